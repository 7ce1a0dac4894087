import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { displayBytes, formatKeyCount, KeyspaceCancelledError } from '../../../redis/keyspace';
import {
  DEFAULT_UNLINK_BATCH,
  describeMove,
  moveNamespaceKeys,
  MoveResult,
  NamespacePlan,
  namespacePrefix,
  planNamespaceDeletion,
} from '../../../redis/mutations';
import { namespaceMoveRefusal } from '../../../redis/cluster/clusterRefusals';
import { settings } from '../../../settings';
import { NamespaceRow } from '../../../views/keysView';
import { withLateProgress } from '../../../views/lateProgress';
import type { ExtensionServices } from '../../context';
import { delimiterOf, keyOf, modelOf, resolveNamespace, runOnSession, whereOf } from '../targets';
import { bytesArgument, DISMISSED, EditResult, tell, typedBytes } from './common';
import { renameTo } from './renameCopy';

export const MOVE = 'Move';
const LISTED_SKIPS = 20;

/**
 * `sharedRedis.moveToNamespace`: one key (a key row, its bytes or name, `{ key }`) or a whole
 * namespace (a namespace row or `{ namespace }`; asked for when nothing is given) gets a new
 * namespace path in place of its own: `auth:session:42` to `legacy` becomes `legacy:42`.
 */
export async function moveToNamespace(
  services: ExtensionServices,
  target: unknown,
  newPath: unknown,
): Promise<EditResult> {
  const early = await services.keyChanges.confirmWrite([], 'Move to Namespace');
  if (!early.allowed) return { outcome: early.outcome, message: early.message };
  const delimiter = delimiterOf(services);
  const namespaceTarget =
    target instanceof NamespaceRow ? target : (target as { namespace?: unknown } | undefined)?.namespace;
  const key = namespaceTarget === undefined ? keyOf(target) : undefined;
  if (key) return moveKey(services, key, delimiter, newPath);
  const path = await resolveNamespace(services, namespaceTarget, delimiter, 'Move which namespace?');
  if (!path) return DISMISSED;
  const to = await askPath(newPath, `Move ${displayBytes(path)} to which namespace?`, path, delimiter);
  if (to === undefined) return DISMISSED;
  if (!Buffer.isBuffer(to)) return tell('invalid', to.refused);
  const refused = targetRefusal(services, to, path, delimiter);
  if (refused) return tell('invalid', refused);
  const [fromPrefix, toPrefix] = [namespacePrefix(path, delimiter), namespacePrefix(to, delimiter)];
  if (fromPrefix.equals(toPrefix)) {
    return tell('invalid', `${displayBytes(path)} is already that namespace: nothing was moved.`);
  }
  return moveNamespace(services, fromPrefix, toPrefix);
}

async function moveKey(
  services: ExtensionServices,
  key: Buffer,
  delimiter: Buffer,
  newPath: unknown,
): Promise<EditResult> {
  // The key's namespace is everything before its last delimiter; the rest keeps its name.
  const cut = key.lastIndexOf(delimiter);
  const path = cut < 0 ? Buffer.alloc(0) : key.subarray(0, cut);
  const rest = cut < 0 ? key : key.subarray(cut + delimiter.length);
  const to = await askPath(newPath, `Move ${displayBytes(key)} to which namespace?`, path, delimiter);
  if (to === undefined) return DISMISSED;
  if (!Buffer.isBuffer(to)) return tell('invalid', to.refused);
  const refused = targetRefusal(services, to, path, delimiter);
  if (refused) return tell('invalid', refused);
  const target = Buffer.concat([to, delimiter, rest]);
  if (target.equals(key)) {
    return tell('invalid', `${displayBytes(key)} is already in ${displayBytes(to)}: nothing was moved.`);
  }
  return renameTo(services, key, target, `Move ${displayBytes(key)} to ${displayBytes(target)}`, 'Move to Namespace');
}

async function moveNamespace(services: ExtensionServices, fromPrefix: Buffer, toPrefix: Buffer): Promise<EditResult> {
  const [fromText, toText] = [displayBytes(fromPrefix), displayBytes(toPrefix)];
  const action = `Move ${fromText}* to ${toText}`;
  for (const prefix of [fromPrefix, toPrefix]) {
    const gate = await services.keyChanges.confirmWriteUnder(prefix, action);
    if (!gate.allowed) return { outcome: gate.outcome, message: gate.message };
  }
  const log = services.logger.child('Keys');
  // A cluster renames only within a slot: one clear refusal instead of a SCAN refused on the first master.
  if ((await services.session.topology().catch(() => undefined))?.kind === 'cluster') {
    return tell('refused', namespaceMoveRefusal(fromPrefix, toPrefix));
  }
  return runOnSession(services, log, `move ${fromText}`, async (client) => {
    const plan = await countKeys(services, client, fromPrefix);
    if (!plan) return tell('cancelled', `Cancelled counting the keys under ${fromText}: nothing was moved.`);
    if (plan.count === 0) return tell('unchanged', `Nothing to move: no keys under ${fromText}`);
    const choice = await vscode.window.showWarningMessage(
      `Move ${formatKeyCount(plan.count)} from ${fromText} to ${toText}?`,
      {
        modal: true,
        detail: `Exactly the keys whose names start with ${fromText} in the shared Redis at ${whereOf(services)}, counted just now (keys that merely start with the same letters stay), each renamed with RENAMENX to start with ${toText} instead, in batches of ${DEFAULT_UNLINK_BATCH}; a key whose new name exists is skipped, never overwritten. Cancelling stops after the current batch. Undo Last Change cannot undo a namespace move.`,
      },
      MOVE,
    );
    if (choice !== MOVE) return DISMISSED;
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Moving ${formatKeyCount(plan.count)} (${fromText}*)`,
        cancellable: true,
      },
      (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let reported = 0;
        return moveNamespaceKeys(client, plan, toPrefix, {
          signal: abort.signal,
          endpoint: services.session.endpoint,
          onProgress: ({ moved, processed, total }) => {
            const fraction = (processed / total) * 100;
            progress.report({ increment: fraction - reported, message: `${formatKeyCount(moved)} moved` });
            reported = fraction;
          },
        }).catch((error: unknown) => {
          afterMove(services, action);
          // Keys already moved stay moved: say how many, as Delete Namespace does.
          const partial = (error as { partial?: MoveResult }).partial;
          throw partial
            ? Object.assign(error as Error, {
                message: `${(error as Error).message} (${describeMove(partial, fromText, toText)} before the failure)`,
              })
            : error;
        });
      },
    );
    afterMove(services, action);
    const message = `${describeMove(result, fromText, toText)}.${listSkipped(result)}`;
    log.info(message);
    for (const { key, reason } of result.failed) log.warn(`Not moved: ${displayBytes(key)}: ${reason}`);
    const outcome = result.cancelled ? 'cancelled' : result.failed.length > 0 ? 'failed' : 'done';
    return { ...tell(outcome, message), move: result };
  });
}

function afterMove(services: ExtensionServices, action: string): void {
  services.keyChanges.recordNotUndoable(action, 'a namespace move is not recorded for undo');
  services.keyChanges.keysChanged({ keys: [], kind: 'many', db: services.session.endpoint.db });
}

function listSkipped(result: MoveResult): string {
  if (result.skipped.length === 0) return '';
  const shown = result.skipped.slice(0, LISTED_SKIPS).map((key) => displayBytes(key));
  const more =
    result.skipped.length > LISTED_SKIPS ? ` and ${result.skipped.length - LISTED_SKIPS} more (see the log)` : '';
  return ` Skipped, left where they are: ${shown.join(', ')}${more}.`;
}

async function countKeys(
  services: ExtensionServices,
  client: Redis,
  prefix: Buffer,
): Promise<NamespacePlan | undefined> {
  const text = displayBytes(prefix);
  return withLateProgress(`Counting keys (${text}*)`, (report, signal) =>
    planNamespaceDeletion(client, prefix, {
      scanCount: settings().scanCount,
      signal,
      endpoint: services.session.endpoint,
      onProgress: (found) => report(`${formatKeyCount(found)} so far`),
    }),
  ).catch((error: unknown) => {
    if (error instanceof KeyspaceCancelledError) return undefined;
    throw error;
  });
}

/**
 * Why `to` cannot be the new namespace path of what is in `current`: empty, or beginning with the
 * delimiter (`:legacy`, an empty first segment, which a stray keystroke makes), unless keys
 * already have an empty first segment (`current` is under one, or the Keys view lists one): then
 * such a path is how those keys are named, and is taken as typed.
 */
function targetRefusal(
  services: ExtensionServices,
  to: Buffer,
  current: Buffer,
  delimiter: Buffer,
): string | undefined {
  if (to.length === 0) {
    return 'The new namespace cannot be empty: type a namespace path such as legacy. Nothing was moved.';
  }
  const leading = (bytes: Buffer): boolean =>
    delimiter.length > 0 && bytes.subarray(0, delimiter.length).equals(delimiter);
  if (!leading(to) || leading(current) || modelOf(services)?.root.child('') !== undefined) return undefined;
  let rest = to;
  while (leading(rest)) rest = rest.subarray(delimiter.length);
  const mark = displayBytes(delimiter);
  return `The new namespace ${displayBytes(to)} begins with the delimiter '${mark}', which would make its first segment empty: type the path without the leading '${mark}' (${rest.length > 0 ? displayBytes(rest) : 'such as legacy'}). Nothing was moved.`;
}

/** The new namespace path, given or typed, without one trailing delimiter (see withoutTrailingDelimiter),
 * unless typed as the current path itself. */
async function askPath(
  given: unknown,
  title: string,
  current: Buffer,
  delimiter: Buffer,
): Promise<Buffer | { readonly refused: string } | undefined> {
  const bytes = bytesArgument(given);
  if (bytes !== undefined) return withoutTrailingDelimiter(bytes, delimiter);
  const typed = await vscode.window.showInputBox({
    title,
    prompt: 'The new namespace path (without the trailing delimiter)',
    value: current.toString('utf8'),
  });
  if (typed === undefined) return undefined;
  const path = typedBytes(typed, current);
  if (!Buffer.isBuffer(path)) return path;
  // The offered path accepted as is is the current one, even when it ends with the delimiter
  // (edkt:dbl: of edkt:dbl::42, an empty last segment): nothing to move, not a rename to edkt:dbl:42.
  return path.equals(current) ? current : withoutTrailingDelimiter(path, delimiter);
}

/**
 * `legacy:` typed for a namespace means the namespace `legacy`, as the namespace to move
 * does (resolveNamespace): the delimiter is added after the path, and kept it would make an
 * empty segment (`legacy::42`). One is dropped; `legacy::` still names the empty segment
 * under `legacy` on purpose. A lone delimiter leaves an empty path, which is refused.
 */
function withoutTrailingDelimiter(path: Buffer, delimiter: Buffer): Buffer {
  const end = path.length - delimiter.length;
  return end >= 0 && path.subarray(end).equals(delimiter) ? path.subarray(0, end) : path;
}
