import { connect } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Runs in a worker thread: a second client that sends a PING every millisecond on a
 * fixed schedule, whether or not the previous one was answered (an open loop, as
 * independent clients behave), and records each one's time from send to reply. A
 * closed loop (next PING after the reply) would record a long stall as one sample and
 * hide it; here a 300 ms stall yields ~300 slow samples. A worker thread, so that the
 * main thread's event loop (busy counting keys) does not delay the replies.
 * Messages: 'start' begins a window, 'stop' ends it and posts the latencies in ms.
 */
const { host, port } = workerData as { host: string; port: number };
const socket = connect(port, host);
socket.setNoDelay(true);
let recording = false;
let samples: number[] = [];
/** Send times of the PINGs not answered yet, oldest first (replies come in order). */
const outstanding: bigint[] = [];
const recorded: boolean[] = [];
let timer: NodeJS.Timeout | undefined;

function ping(): void {
  outstanding.push(process.hrtime.bigint());
  recorded.push(recording);
  socket.write('PING\r\n');
}

socket.on('data', (chunk: Buffer) => {
  const now = process.hrtime.bigint();
  // Each reply is `+PONG\r\n`: count line ends across chunks.
  for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) {
    const sent = outstanding.shift();
    const keep = recorded.shift();
    if (sent !== undefined && keep) samples.push(Number(now - sent) / 1e6);
  }
});

parentPort?.on('message', (message: string) => {
  if (message === 'start') {
    samples = [];
    recording = true;
    timer = setInterval(ping, 1);
  } else if (message === 'stop') {
    recording = false;
    clearInterval(timer);
    // PINGs still out at the end of the window count with what they have waited so far.
    const now = process.hrtime.bigint();
    outstanding.forEach((sent, i) => {
      if (recorded[i]) samples.push(Number(now - sent) / 1e6);
      recorded[i] = false;
    });
    parentPort?.postMessage(samples);
  } else if (message === 'exit') {
    socket.destroy();
    parentPort?.close();
  }
});

socket.on('connect', () => parentPort?.postMessage('ready'));
