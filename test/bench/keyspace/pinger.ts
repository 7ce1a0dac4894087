import { connect } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Runs in a worker thread: a second client that sends PING about every millisecond and
 * records each round trip, so its latency is not skewed by the main thread's event
 * loop (busy counting keys). Messages: 'start' begins a window, 'stop' ends it and
 * posts the window's latencies in milliseconds.
 */
const { host, port } = workerData as { host: string; port: number };
const socket = connect(port, host);
socket.setNoDelay(true);
let recording = false;
let samples: number[] = [];
let sentAt = 0n;
let waiting = false;
let pending = '';

function ping(): void {
  if (!recording || waiting) return;
  waiting = true;
  sentAt = process.hrtime.bigint();
  socket.write('PING\r\n');
}

socket.on('data', (chunk: Buffer) => {
  pending += chunk.toString('latin1');
  while (pending.includes('\r\n')) {
    pending = pending.slice(pending.indexOf('\r\n') + 2);
    const ms = Number(process.hrtime.bigint() - sentAt) / 1e6;
    waiting = false;
    if (recording) samples.push(ms);
    setTimeout(ping, 1);
  }
});

parentPort?.on('message', (message: string) => {
  if (message === 'start') {
    samples = [];
    recording = true;
    ping();
  } else if (message === 'stop') {
    recording = false;
    // A PING still out at the end of the window counts with what it has waited so far.
    if (waiting) samples.push(Number(process.hrtime.bigint() - sentAt) / 1e6);
    parentPort?.postMessage(samples);
  } else if (message === 'exit') {
    socket.destroy();
    parentPort?.close();
  }
});

socket.on('connect', () => parentPort?.postMessage('ready'));
