import * as vscode from 'vscode';
import type { Logger } from '../logger';
import { connectsBeforeStack } from '../redis/connectBeforeStack';
import { BinaryString, toBinary } from '../redis/keyspace/binary';
import { formatKeyCount } from '../redis/keyspace/format';
import { firstGlance, glanceNamespaces } from '../redis/keyspace/firstGlance';
import { DEFAULT_PARTS, walkCallCount } from '../redis/keyspace/scanSource';
import type { RedisSecrets } from '../secrets';
import { connectionBlocked, delimiterBytes, explicitlySet, readRedisEndpoint, settings } from '../settings';
import { keysHereSoFar, namespaceItem, scopedRowId, shownOf } from './keysRowItems';

/** A row the first stage lists in the Keys view before the view has loaded: drawn only, with
 * no context menu or command (the view's own rows replace it within a few hundred ms). */
export class FirstKeysRow {
  constructor(
    readonly item: vscode.TreeItem,
    /** What it lists when opened before the view has loaded. */
    readonly children: FirstKeysRow[] = [],
  ) {}
}

/** A namespace's one row while the walk has not reached it, as the view shows it (keysView.ts). */
function countingRow(path: BinaryString): FirstKeysRow {
  const item = new vscode.TreeItem('Counting…', vscode.TreeItemCollapsibleState.None);
  item.id = scopedRowId('counting', path);
  item.iconPath = new vscode.ThemeIcon('loading~spin');
  return new FirstKeysRow(item);
}

/** What the walk's connections are named (DEFAULT_TUNING of connection.ts, which imports ioredis). */
const CONNECTION_NAME = 'shared-redis-vscode';

/** After this the glance gives up (the stored password's read, connecting, logging in and the
 * SCAN together) and the view waits for the walk, as without it: the second stage waits for it. */
const GLANCE_TIMEOUT_MS = 300;

/**
 * The Keys view's first rows, from one SCAN made by the first stage (firstGlance.ts) while
 * the second stage is yet to load; undefined when there is nothing to show or the glance
 * cannot log in as the walk will. Only where the walk's first connection also goes before
 * the stack answers (a port the settings name, neither Sentinel nor cluster), over plain
 * TCP (TLS's certificate files and checks are the second stage's), and with the password
 * the walk would use: a user named in the settings without a stored password may log in
 * with the stack's `.env`, which only the second stage reads.
 */
export async function firstKeysRows(
  secrets: RedisSecrets,
  log: Logger,
  /** Tests of what it lists give it longer: a machine busy with other tests may take 300 ms. */
  timeoutMs = GLANCE_TIMEOUT_MS,
): Promise<FirstKeysRow[] | undefined> {
  const values = settings();
  const endpoint = readRedisEndpoint(values);
  if (
    connectionBlocked() !== undefined ||
    endpoint.tls ||
    endpoint.sentinel ||
    !connectsBeforeStack({ portNamed: explicitlySet('port'), sentinel: false, variant: values.stackVariant })
  ) {
    return undefined;
  }
  const started = performance.now();
  const late = (): undefined => {
    log.info(`No first rows before loading the Keys view: none within ${timeoutMs} ms`);
    return undefined;
  };
  // A workbench round trip that may not answer: the load waits for this glance.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stored = await Promise.race([
    secrets.peekEarly(endpoint).then((credentials) => ({ credentials })),
    new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs))),
  ]).finally(() => clearTimeout(timer));
  const left = timeoutMs - (performance.now() - started);
  if (!stored || left <= 0) return late();
  // As RedisSession.credentials: a stored user applies unless the `username` setting names another.
  const login =
    stored.credentials && (!endpoint.username || stored.credentials.username === endpoint.username)
      ? stored.credentials
      : undefined;
  if (!login && endpoint.username) return undefined;
  const delimiter = toBinary(delimiterBytes());
  try {
    const glance = await firstGlance({
      host: endpoint.host,
      port: endpoint.port,
      db: endpoint.db,
      username: login?.username,
      password: login?.password,
      count: walkCallCount(values.scanCount, DEFAULT_PARTS),
      delimiter,
      connectionName: CONNECTION_NAME,
      timeoutMs: left,
    });
    if (glance.keysRead === 0) {
      log.info('No first rows before loading the Keys view: its first SCAN found no key');
      return undefined;
    }
    const namespaces = glanceNamespaces(glance, values.namespaces, delimiter, values.pageSize);
    const rows = namespaces.rows.map(
      ({ path, count, declared }) =>
        new FirstKeysRow(namespaceItem(path, path, count, true, declared), [countingRow(path)]),
    );
    if (namespaces.othersListed < namespaces.othersFound) {
      // As the view's own row says it, without its action: the view's rows replace it within moments.
      const item = new vscode.TreeItem('Load more…', vscode.TreeItemCollapsibleState.None);
      item.id = scopedRowId('more-namespaces', undefined);
      item.description = shownOf(namespaces.othersListed, namespaces.othersFound, 'namespaces');
      item.iconPath = new vscode.ThemeIcon('ellipsis');
      rows.push(new FirstKeysRow(item));
    }
    if (glance.rootKeys > 0) {
      const item = new vscode.TreeItem(keysHereSoFar(glance.rootKeys), vscode.TreeItemCollapsibleState.None);
      item.id = scopedRowId('counting', undefined);
      item.iconPath = new vscode.ThemeIcon('loading');
      rows.push(new FirstKeysRow(item));
    }
    log.info(
      `Listed ${namespaces.rows.length} namespaces of the first ${formatKeyCount(glance.keysRead)} in ${(performance.now() - started).toFixed(1)} ms, before loading the Keys view`,
    );
    return rows;
  } catch (error) {
    // The walk will say what is wrong, with its fixes; this was only a head start.
    log.info(`No first rows before loading the Keys view: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}
