import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { checkServerIdentity, ConnectionOptions, createSecureContext } from 'node:tls';
import { describeEndpoint, RedisEndpoint, RedisTlsSettings } from './endpoint';
import { RedisConnectionError } from './errors';
import { looksLikePem } from './settingPath';

/** The setting behind each file, to name it in messages. */
export const TLS_FILE_SETTINGS = {
  caFile: 'sharedRedis.tlsCaFile',
  certFile: 'sharedRedis.tlsCertFile',
  keyFile: 'sharedRedis.tlsKeyFile',
} as const satisfies Record<keyof RedisTlsSettings & ('caFile' | 'certFile' | 'keyFile'), string>;

type TlsFile = keyof typeof TLS_FILE_SETTINGS;

const WHAT: Record<TlsFile, string> = {
  caFile: 'CA certificate',
  certFile: 'client certificate',
  keyFile: 'client key',
};

/**
 * The `tls.connect` options for an endpoint, or undefined without TLS. The files are read
 * now (each connection reads them afresh, so a renewed certificate needs no reload).
 * A file that cannot be used is a RedisConnectionError of kind `tls-config` naming the
 * setting and the path, never its content.
 */
export function tlsConnectionOptions(endpoint: RedisEndpoint): ConnectionOptions | undefined {
  if (!endpoint.tls) return undefined;
  const settings = endpoint.tlsSettings ?? {};
  const serverName = settings.serverName?.trim() || undefined;
  const options: ConnectionOptions = { rejectUnauthorized: settings.verifyCertificate !== false };
  // SNI carries host names only (RFC 6066): an IP address is checked against the certificate but not sent.
  const checkedName = serverName ?? endpoint.host;
  if (isIP(checkedName) === 0) options.servername = checkedName;
  else if (serverName) {
    options.checkServerIdentity = (_host, certificate) => checkServerIdentity(serverName, certificate);
  }
  if (settings.caFile) options.ca = readPem(endpoint, 'caFile', settings.caFile);
  if (settings.certFile || settings.keyFile) {
    if (!settings.certFile || !settings.keyFile) {
      const missing: TlsFile = settings.certFile ? 'keyFile' : 'certFile';
      throw tlsConfigError(
        endpoint,
        `has a TLS ${settings.certFile ? 'client certificate' : 'client key'} but no ${WHAT[missing]}`,
        `Set ${TLS_FILE_SETTINGS[missing]} too: the client certificate and its key go together.`,
      );
    }
    options.cert = readPem(endpoint, 'certFile', settings.certFile);
    options.key = readPem(endpoint, 'keyFile', settings.keyFile);
  }
  try {
    // OpenSSL reads the files here as it would at connect time, where a bad key would look like a network failure.
    createSecureContext({ ca: options.ca, cert: options.cert, key: options.key });
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).replace(/^error:[0-9A-F]+:/i, '');
    throw tlsConfigError(
      endpoint,
      `cannot use its TLS files (${reason})`,
      'Check sharedRedis.tlsCaFile, sharedRedis.tlsCertFile and sharedRedis.tlsKeyFile: the client certificate and its key must belong together.',
    );
  }
  return options;
}

function readPem(endpoint: RedisEndpoint, file: TlsFile, path: string): Buffer {
  const setting = TLS_FILE_SETTINGS[file];
  if (looksLikePem(path)) {
    throw tlsConfigError(
      endpoint,
      `has the ${WHAT[file]} itself in ${setting} instead of a file path`,
      `Save it in a file (keys never belong in settings) and set ${setting} to that file's path.`,
    );
  }
  let content: Buffer;
  try {
    content = readFileSync(path);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES' || code === 'EPERM'
          ? 'cannot be read (permission denied)'
          : code === 'EISDIR'
            ? 'is a folder, not a file'
            : `cannot be read (${typeof code === 'string' ? code : String(error)})`;
    throw tlsConfigError(
      endpoint,
      `cannot use the ${WHAT[file]}: ${path} ${why}`,
      `Check ${setting}: it must be the path of a PEM file this editor can read.`,
    );
  }
  const text = content.toString('latin1');
  if (!looksLikePem(text)) {
    throw tlsConfigError(
      endpoint,
      `cannot use the ${WHAT[file]}: ${path} is not a PEM file`,
      `Check ${setting}: it must be a PEM file (text starting with -----BEGIN ...). Convert DER with openssl x509 -inform der.`,
    );
  }
  // A passphrase would be one more secret to keep; the extension asks for none.
  if (file === 'keyFile' && /-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type:\s*4,ENCRYPTED/m.test(text)) {
    throw tlsConfigError(
      endpoint,
      `cannot use the ${WHAT[file]}: ${path} is encrypted with a passphrase`,
      `Check ${setting}: point it at a key without a passphrase, kept where only you can read it (openssl pkey -in ${path} -out client.key).`,
    );
  }
  return content;
}

function tlsConfigError(endpoint: RedisEndpoint, reason: string, hint: string): RedisConnectionError {
  return new RedisConnectionError('tls-config', describeEndpoint(endpoint), reason, hint);
}
