import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../../support/redisServer';

/**
 * Certificates made with the real openssl for one test run: a CA the client is told about,
 * another CA it is not, and server certificates signed by them (valid, expired, for another
 * name), plus a client certificate.
 */
export interface TestCertificates {
  readonly dir: string;
  readonly caCert: string;
  /** A second CA that signed nothing the servers use: the "wrong CA" a user may configure. */
  readonly otherCaCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly expiredCert: string;
  readonly expiredKey: string;
  /** Signed by the trusted CA but only for `other.example`. */
  readonly wrongNameCert: string;
  readonly wrongNameKey: string;
  /** Signed by the CA that is not configured on the client side. */
  readonly unknownCaCert: string;
  readonly unknownCaKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** Self-signed (its own issuer), for the loopback names. */
  readonly selfSignedCert: string;
  readonly selfSignedKey: string;
  remove(): void;
}

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'shared-redis-tls-'));
  const ca = (name: string): void =>
    openssl(
      dir,
      'req',
      '-x509',
      ...EC,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      '-subj',
      `/CN=${name} test CA`,
    );
  const leaf = (name: string, signer: string, days: string, san: string, usage: string): void => {
    openssl(dir, 'req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`);
    openssl(
      dir,
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${signer}.crt`,
      '-CAkey',
      `${signer}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      days,
      '-extfile',
      `${name}.ext`,
    );
  };
  ca('ca');
  ca('other-ca');
  const local = 'IP:127.0.0.1,DNS:localhost,DNS:redis.test';
  leaf('server', 'ca', '2', local, 'serverAuth');
  // notAfter one day before notBefore (now): expired the moment it exists.
  leaf('expired', 'ca', '-1', local, 'serverAuth');
  leaf('wrong-name', 'ca', '2', 'DNS:other.example', 'serverAuth');
  leaf('unknown-ca', 'other-ca', '2', local, 'serverAuth');
  leaf('client', 'ca', '2', 'DNS:client.test', 'clientAuth');
  openssl(
    dir,
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'self-signed.key',
    '-out',
    'self-signed.crt',
    '-days',
    '2',
    '-subj',
    '/CN=self-signed',
    '-addext',
    `subjectAltName=${local}`,
    '-addext',
    'basicConstraints=critical,CA:FALSE',
  );
  const at = (file: string): string => join(dir, file);
  return {
    dir,
    caCert: at('ca.crt'),
    otherCaCert: at('other-ca.crt'),
    serverCert: at('server.crt'),
    serverKey: at('server.key'),
    expiredCert: at('expired.crt'),
    expiredKey: at('expired.key'),
    wrongNameCert: at('wrong-name.crt'),
    wrongNameKey: at('wrong-name.key'),
    unknownCaCert: at('unknown-ca.crt'),
    unknownCaKey: at('unknown-ca.key'),
    clientCert: at('client.crt'),
    clientKey: at('client.key'),
    selfSignedCert: at('self-signed.crt'),
    selfSignedKey: at('self-signed.key'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A real redis-server; `port` is its TLS port when started with TLS. */
export interface TestRedis {
  readonly host: string;
  readonly port: number;
  stop(): Promise<void>;
}

/**
 * Starts redis-server with the given listening arguments and waits until `host:port`
 * accepts connections. The password, if any, goes through the config on stdin.
 */
export async function startRedis(options: {
  host?: string;
  tls?: { cert: string; key: string; ca: string; authClients: 'yes' | 'no' | 'optional' };
  password?: string;
  extraArgs?: string[];
}): Promise<TestRedis> {
  const host = options.host ?? '127.0.0.1';
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'shared-redis-tls-server-'));
  const listen = options.tls
    ? [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        options.tls.cert,
        '--tls-key-file',
        options.tls.key,
        '--tls-ca-cert-file',
        options.tls.ca,
        '--tls-auth-clients',
        options.tls.authClients,
      ]
    : ['--port', String(port)];
  const args = [
    '-',
    ...listen,
    '--bind',
    host,
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    ...(options.extraArgs ?? []),
  ];
  const child: ChildProcess = spawn('redis-server', args, { stdio: ['pipe', 'ignore', 'pipe'] });
  child.stdin?.end(options.password ? `requirepass "${options.password}"\n` : '');
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}: ${stderr}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, host);
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) break;
    if (Date.now() > deadline) throw new Error(`redis-server did not listen on ${host}:${port}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    host,
    port,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A TCP forwarder on 127.0.0.1 in front of a server that counts the connections made
 * through it that send something: how a test sees how many times a client tried to connect.
 */
export interface CountingProxy {
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  close(): Promise<void>;
}

export async function startCountingProxy(target: { host: string; port: number }): Promise<CountingProxy> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    // An attempt is a connection that says something (a command, a TLS hello); the extension's
    // silent look at a server's greeting after a hang-up (protected mode's DENIED) is not one.
    client.once('data', () => connections++);
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    host: '127.0.0.1',
    port,
    get connections() {
      return connections;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
