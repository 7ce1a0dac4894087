import * as vscode from 'vscode';
import { delimiterBytes, settings } from '../../settings';
import {
  DEFAULT_EXPIRE_BATCH,
  ExpireResult,
  expireKeysWithoutTtl,
  Finding,
  NoTtlPlan,
  planTtlForKeysWithoutOne,
} from '../../redis/checks';
import {
  BinaryString,
  displayBytes,
  filterPatternFor,
  formatKeyCount,
  fromBinary,
  groupThousands,
  KeyspaceCancelledError,
  toBinary,
} from '../../redis/keyspace';
import { describeSeconds } from '../../redis/mutations';
import {
  ClusterNoTtlPlan,
  expireClusterKeysWithoutTtl,
  planClusterTtlForKeysWithoutOne,
} from '../../redis/cluster/clusterTtl';
import type { CommandHandler, ExtensionServices } from '../context';
import { withLateProgress } from '../../views/lateProgress';
import { askTtl } from '../../views/ttlInput';
import type { KeyOperationResult } from '../keys/operations';
import { presentError } from '../presentError';

/** What `sharedRedis.setTtlOnKeysWithoutTtl` resolves to: a key operation's outcome, with the count and what the EXPIREs did. */
export interface BulkTtlResult extends KeyOperationResult {
  /** Keys without a TTL found under the namespace just before asking. */
  readonly count?: number;
  readonly expire?: ExpireResult;
}

/** What `sharedRedis.openCheckKeys` resolves to: the Keys view's filter and its walk's end state. */
export interface OpenKeysResult {
  readonly match: string | undefined;
  readonly state: string;
}

/** Options tests (and other extensions) pass instead of answering the modal confirmation. */
interface BulkTtlOptions {
  readonly confirm?: boolean;
}

/** A Checks view finding row, or anything with its shape. */
function findingOf(target: unknown): Finding | undefined {
  const finding = (target as { finding?: unknown } | null | undefined)?.finding;
  return finding && typeof finding === 'object' && typeof (finding as Finding).check === 'string'
    ? (finding as Finding)
    : undefined;
}

/** `sharedRedis.openCheckKeys` and `sharedRedis.setTtlOnKeysWithoutTtl`: the quick actions of the Checks view's findings. */
export function checkActionCommands(services: ExtensionServices): {
  openCheckKeys: CommandHandler;
  setTtlOnKeysWithoutTtl: CommandHandler;
} {
  const log = services.logger.child('Checks');
  // After a bulk change: the Keys view walks again (and the checks run after it) when it is visible; else the checks run now.
  const rerun = (): void => {
    if (!services.keyBrowser.visible) void services.checks.run();
  };
  const delimiter = (): Buffer => {
    const state = services.keyBrowser.state;
    if (state.kind !== 'idle' && state.model) return state.model.delimiter;
    return delimiterBytes();
  };
  /** A path from a finding row (exact bytes), a string (UTF-8, a trailing delimiter dropped) or a Buffer. `null`: keys without a namespace. */
  const pathOf = (target: unknown): BinaryString | null | undefined => {
    const finding = findingOf(target);
    if (finding) return finding.namespacePath ?? null;
    const d = toBinary(delimiter());
    const trim = (path: BinaryString): BinaryString =>
      path.length > d.length && path.endsWith(d) ? path.slice(0, -d.length) : path;
    if (Buffer.isBuffer(target)) return target.length > 0 ? trim(toBinary(target)) : undefined;
    if (typeof target === 'string' && target !== '') return trim(toBinary(Buffer.from(target, 'utf8')));
    return undefined;
  };

  const openKeys = async (target: unknown): Promise<OpenKeysResult | undefined> => {
    const path = pathOf(target);
    if (path === undefined) return undefined;
    const prefix = path === null ? undefined : Buffer.concat([fromBinary(path), delimiter()]);
    // KeyFilter patterns are text (UTF-8), as a person types them; bytes that are not UTF-8
    // become `?` (decoded, they would name another key: "caf\xe9" as "caf\uFFFD").
    const match = prefix ? filterPatternFor(prefix) : undefined;
    void vscode.commands.executeCommand('sharedRedis.keys.focus');
    const state = await services.keyBrowser.setFilter({ match });
    if (path !== null && state.kind === 'complete') {
      // Expand the namespace in the Keys view.
      try {
        await services.keyBrowser.reveal(path);
      } catch (error) {
        log.debug(
          `Could not reveal ${displayBytes(path)} in the Keys view: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    return { match, state: state.kind };
  };

  const setTtl = async (
    target: unknown,
    ttlArgument: unknown,
    options: BulkTtlOptions | undefined,
  ): Promise<BulkTtlResult> => {
    const dismissed: BulkTtlResult = { outcome: 'dismissed', message: '' };
    // The write gate, before any question: the readOnly setting, and a read-only replica (every EXPIRE would fail).
    const early = await services.keyChanges.confirmWrite([], 'Set TTL on Keys Without One');
    if (!early.allowed) return { outcome: early.outcome, message: early.message };
    let path = pathOf(target);
    if (path === null) {
      const message = 'Keys without a namespace have no common prefix: set their TTLs one by one.';
      void vscode.window.showWarningMessage(message);
      return { outcome: 'invalid', message };
    }
    path ??= await pickCacheNamespace();
    if (path === undefined) return dismissed;
    const prefix = Buffer.concat([fromBinary(path), delimiter()]);
    const prefixText = displayBytes(prefix);
    const answer = await askTtl(ttlArgument, {
      title: `Set a TTL on the keys without one under ${prefixText}`,
      prompt: 'Seconds, or with a unit: 90, 90s, 30m, 1h, 2d. Keys that already expire keep their TTL.',
      placeHolder: '1h',
    });
    if (answer.kind === 'dismissed') return dismissed;
    if (answer.kind === 'invalid') return { outcome: 'invalid', message: answer.message };
    const ttl = answer;
    const action = `Set TTL on ${prefixText}* keys without one`;
    // The owner's question, as Delete, Move and Import ask it: these keys will expire under that service.
    const gate = await services.keyChanges.confirmWriteUnder(prefix, action);
    if (!gate.allowed) return { outcome: gate.outcome, message: gate.message };
    /** Undo Last Change names this change rather than offering an older one. */
    const recordForUndo = (): void =>
      services.keyChanges.recordNotUndoable(action, 'TTLs set on many keys are not recorded for undo');
    const scanCount = settings().scanCount;
    const endpoint = services.session.endpoint;
    const where = `${endpoint.host}:${endpoint.port}${endpoint.db ? ` db ${endpoint.db}` : ''}`;
    const notify = (
      outcome: BulkTtlResult['outcome'],
      message: string,
      extra: Partial<BulkTtlResult> = {},
    ): BulkTtlResult => {
      void vscode.window.showInformationMessage(message);
      return { outcome, message, ...extra };
    };
    try {
      // A cluster: every master counts its own keys, and later expires them on its own connection.
      const topology = await services.session.topology();
      const plan = await withLateProgress(`Counting keys without a TTL (${prefixText}*)`, (report, signal) => {
        const options = {
          scanCount,
          signal,
          onProgress: (found: number, scanned: number) =>
            report(`${groupThousands(found)} of ${formatKeyCount(scanned)} so far`),
        };
        return topology.kind === 'cluster'
          ? planClusterTtlForKeysWithoutOne(topology, prefix, options)
          : planTtlForKeysWithoutOne(topology.client, prefix, { ...options, endpoint });
      }).then(
        (p): NoTtlPlan | ClusterNoTtlPlan | undefined => p,
        (error: unknown) => {
          if (error instanceof KeyspaceCancelledError) return undefined;
          throw error;
        },
      );
      if (!plan) return notify('cancelled', `Cancelled counting the keys under ${prefixText}: nothing was changed.`);
      if (plan.scanned === 0) {
        // A typo, or a typed trailing delimiter: the prefix shown lets the user see which.
        return notify('unchanged', `There are no keys under ${prefixText} (nothing to change).`, { count: 0 });
      }
      if (plan.count === 0) {
        return notify(
          'unchanged',
          `Every key under ${prefixText} already has a TTL (${formatKeyCount(plan.scanned)}): nothing to change.`,
          { count: 0 },
        );
      }
      if (options?.confirm !== true) {
        const choice = await vscode.window.showWarningMessage(
          `Set a TTL of ${describeSeconds(ttl.seconds)} on ${formatKeyCount(plan.count)} without one under ${prefixText}?`,
          {
            modal: true,
            detail:
              `Exactly the ${formatKeyCount(plan.count)} under ${prefixText} that have no TTL (of ${formatKeyCount(plan.scanned)} there), counted just now in the shared Redis at ${where}. ` +
              `They will be deleted by Redis when it runs out, in ${describeSeconds(ttl.seconds)}. Keys that have a TTL keep theirs. EXPIRE runs in batches of ${DEFAULT_EXPIRE_BATCH}; cancelling stops after the current batch.`,
          },
          'Set TTL',
        );
        if (choice !== 'Set TTL') return { ...dismissed, count: plan.count };
      }
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Setting a TTL on ${formatKeyCount(plan.count)} (${prefixText}*)`,
          cancellable: true,
        },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          let reported = 0;
          const options = {
            signal: abort.signal,
            onProgress: ({ expired, processed, total }: { expired: number; processed: number; total: number }) => {
              const fraction = (processed / total) * 100;
              progress.report({ increment: fraction - reported, message: `${formatKeyCount(expired)} done` });
              reported = fraction;
            },
          };
          if ('perMaster' in plan) return expireClusterKeysWithoutTtl(plan, ttl.seconds, options);
          if (topology.kind === 'cluster') throw new Error('A cluster is planned master by master.');
          return expireKeysWithoutTtl(topology.client, plan, ttl.seconds, { ...options, endpoint });
        },
      );
      const skipped = result.skipped > 0 ? ` (${formatKeyCount(result.skipped)} had meanwhile got a TTL or gone)` : '';
      const message = result.cancelled
        ? `Cancelled after setting a TTL of ${describeSeconds(ttl.seconds)} on ${groupThousands(result.expired)} of ${formatKeyCount(result.total)} under ${prefixText}${skipped}; ${formatKeyCount(result.remaining)} still have none.`
        : `Set a TTL of ${describeSeconds(ttl.seconds)} on ${formatKeyCount(result.expired)} under ${prefixText}${skipped}.`;
      log.info(message);
      if (result.expired > 0) recordForUndo();
      services.keyBrowser.requestRefresh();
      rerun();
      return notify(result.cancelled ? 'cancelled' : 'done', message, { count: plan.count, expire: result });
    } catch (error) {
      const partial = (error as { partial?: ExpireResult }).partial;
      if (partial && partial.expired > 0) {
        recordForUndo();
        services.keyBrowser.requestRefresh();
        rerun();
      }
      const suffix = partial ? ` (${formatKeyCount(partial.expired)} got the TTL before the failure)` : '';
      return {
        outcome: 'failed',
        message: presentError(`Could not set the TTLs under ${prefixText}${suffix}`, error, log),
      };
    }
  };

  return {
    openCheckKeys: (target?: unknown) => openKeys(target),
    setTtlOnKeysWithoutTtl: (target?: unknown, ttl?: unknown, options?: BulkTtlOptions) => setTtl(target, ttl, options),
  };
}

/** The namespaces declared as caches, and any the checks found, to choose from; or a path typed as text. */
async function pickCacheNamespace(): Promise<BinaryString | undefined> {
  const items = settings()
    .namespaces.filter((d) => d.cache)
    .map((d) => ({ label: d.name, description: d.owner ? `cache · ${d.owner}` : 'cache', path: d.path }));
  const picked = await vscode.window.showQuickPick(
    [
      ...items,
      { label: 'Another namespace…', description: 'type its path', path: undefined as BinaryString | undefined },
    ],
    {
      title: 'Set TTL on Keys Without One: which namespace?',
      placeHolder: 'Its keys without a TTL get one; keys with a TTL keep theirs.',
    },
  );
  if (!picked) return undefined;
  if (picked.path !== undefined) return picked.path;
  const typed = await vscode.window.showInputBox({
    title: 'Set TTL on Keys Without One',
    prompt: 'Namespace path, e.g. user:search',
    ignoreFocusOut: true,
  });
  return typed?.trim() ? toBinary(Buffer.from(typed.trim(), 'utf8')) : undefined;
}
