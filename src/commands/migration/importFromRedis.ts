import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import * as vscode from 'vscode';
import { connectCluster } from '../../redis/cluster/connection';
import { lostConnection } from '../../redis/cluster/nodes';
import { migrateFromClusterMasters, scanClusterSourceSegments } from '../../redis/cluster/clusterSourceImport';
import { clusterMasters, isClusterEnabled } from '../../redis/cluster/topology';
import { delimiterBytes, settings } from '../../settings';
import { connectRedis, DEFAULT_TUNING } from '../../redis/connection';
import { describeEndpoint, RedisEndpoint } from '../../redis/endpoint';
import { RedisConnectionError } from '../../redis/errors';
import {
  BinaryString,
  displayBytes,
  displaySegment,
  formatKeyCount,
  fromBinary,
  KeyspaceCancelledError,
  toBinary,
} from '../../redis/keyspace';
import {
  checkMappings,
  compareVersions,
  compileMappings,
  DataRelation,
  dataRelation,
  describeMigration,
  ExistingTargets,
  guessTargetPrefix,
  MigrationMode,
  MigrationOptions,
  MigrationResult,
  migrateKeys,
  NamespaceOwner,
  ownerOf,
  renderMigrationReport,
  scanSourceSegments,
  SegmentCount,
  SegmentMapping,
  ServerIdentity,
  serverIdentity,
} from '../../redis/migration';
import type { CommandHandler, ExtensionServices } from '../context';
import { presentError } from '../presentError';
import { readOnlyRefusal } from '../readOnly';
import { typedBytes } from '../keys/edit/common';
import { ReportDocuments } from '../../views/reportDocument';

/** The source server, as the input boxes ask for it. The password is used for this run only: never logged or stored. */
export interface ImportSource {
  readonly host: string;
  readonly port: number;
  readonly db?: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls?: boolean;
}

/**
 * Optional argument of `sharedRedis.importFromRedis` (tests, other extensions, keybindings):
 * what is given is not asked. Giving `mode` counts as the confirmation of that mode.
 */
export interface ImportOptions {
  readonly source?: ImportSource;
  /** Source first segments (UTF-8 text or exact bytes, or `null` for keys without a delimiter) and their target prefixes. */
  readonly mappings?: readonly {
    readonly source: string | Buffer | null;
    readonly target: string;
    readonly crossOwner?: boolean;
  }[];
  readonly mode?: MigrationMode;
  readonly batchSize?: number;
  /** Open the summary document (default true). */
  readonly showReport?: boolean;
}

/**
 * What the command resolves to:
 * - `done`: it ran (a dry run or a copy); `result` and `report` say what happened;
 * - `cancelled`: cancelled during the scan or the copy (a copy keeps what it wrote: `result`);
 * - `refused`: read-only is on (copy or replace), or the source is the shared Redis itself;
 * - `invalid`: a bad argument or mapping, nothing was copied;
 * - `dismissed`: a prompt was closed;
 * - `failed`: a server could not be reached or answered with an error.
 */
export interface ImportOutcome {
  readonly outcome: 'done' | 'cancelled' | 'refused' | 'invalid' | 'dismissed' | 'failed';
  readonly message: string;
  readonly segments?: readonly SegmentCount[];
  readonly result?: MigrationResult;
  /** The summary (Markdown), and the read-only document it was opened in. */
  readonly report?: string;
  readonly reportUri?: string;
}

const DISMISSED: ImportOutcome = { outcome: 'dismissed', message: '' };
const MAX_SEGMENT_PICKS = 2000;
const MODE_PICKS: readonly (vscode.QuickPickItem & { mode: MigrationMode })[] = [
  {
    label: 'Dry run',
    description: 'default',
    detail: 'Read the source and check the target: what would be copied, what exists already. Writes nothing.',
    mode: 'dry-run',
  },
  {
    label: 'Copy',
    detail: 'Copy with DUMP/RESTORE, keeping types and TTLs. Keys that exist in the target are skipped and reported.',
    mode: 'copy',
  },
  {
    label: 'Copy and replace existing',
    detail: "Copy, and overwrite keys that exist in the target with the source's.",
    mode: 'replace',
  },
];

/** `sharedRedis.importFromRedis`. */
export function importFromRedisCommand(services: ExtensionServices): CommandHandler {
  const importer = new Importer(services, services.reports);
  return (options?: ImportOptions) => importer.run(options ?? {});
}

class Importer {
  private readonly log: ExtensionServices['logger'];

  constructor(
    private readonly services: ExtensionServices,
    private readonly reports: ReportDocuments,
  ) {
    this.log = services.logger.child('Import');
  }

  async run(options: ImportOptions): Promise<ImportOutcome> {
    if (options.mode !== undefined && options.mode !== 'dry-run') {
      const refused = readOnlyRefusal('Import from Another Redis (copy)');
      if (refused) return { outcome: 'refused', message: refused };
    }
    const source = options.source ? this.checkSource(options.source) : await this.askSource();
    if (source === undefined) return DISMISSED;
    if (typeof source === 'string') return this.say('invalid', source, 'error');
    const { endpoint: sourceEndpoint, password } = source;
    const sourceName = describeEndpoint(sourceEndpoint);

    let sourceClient: Redis | undefined;
    let sourceCluster: Cluster | undefined;
    let targetClient: Redis | Cluster | undefined;
    try {
      try {
        sourceClient = await connectRedis(
          sourceEndpoint,
          { password },
          { ...DEFAULT_TUNING, connectionName: 'shared-redis-vscode-import', timeoutMs: 15_000 },
        );
      } catch (error) {
        return this.say('failed', sourceFailure(error, sourceName), 'error');
      }
      const tuning = { ...DEFAULT_TUNING, connectionName: 'shared-redis-vscode-import', timeoutMs: 15_000 };
      const sourceIsCluster = await isClusterEnabled(sourceClient);
      if (sourceIsCluster && sourceEndpoint.db !== 0) {
        return this.say('invalid', `${sourceName} is a Redis Cluster node: a cluster has only database 0.`, 'error');
      }
      const target = await this.services.session.target();
      const targetName = describeEndpoint(target.endpoint);
      try {
        // A cluster target: keys go through a cluster client of the import's own, each to its slot's master.
        targetClient =
          (await this.services.session.topology()).kind === 'cluster'
            ? await connectCluster(target.endpoint, target.credentials, tuning)
            : await connectRedis(target.endpoint, target.credentials, tuning);
      } catch (error) {
        return {
          outcome: 'failed',
          message: presentError('Could not reach the shared Redis to import into', error, this.log),
        };
      }
      const [sourceNode, targetIds] = await Promise.all([
        identities(sourceClient, sourceEndpoint),
        identities(targetClient, target.endpoint),
      ]);
      let sourceIds = sourceNode;
      // The same data (the same server, or one linked to it by replication) is refused: what the
      // import writes would come back in the source and be copied again. An unknown one is asked about.
      const linked = (): ImportOutcome | undefined => {
        const relations = sourceIds.flatMap((a) => targetIds.map((b) => dataRelation(a, b)));
        const relation = relations.find((r) => r !== 'different' && r !== 'unknown');
        if (relation) return this.say('refused', sameDataRefusal(relation, sourceName, targetName), 'error');
        return undefined;
      };
      const refusal = linked();
      if (refusal) return refusal;
      if (sourceIsCluster) {
        // A cluster node holds only its own slots' keys: the import walks every master of the source cluster.
        try {
          sourceCluster = await connectCluster(sourceEndpoint, { password }, tuning);
        } catch (error) {
          return this.say('failed', sourceFailure(error, sourceName), 'error');
        }
        sourceIds = await identities(sourceCluster, sourceEndpoint);
        const clusterRefusal = linked();
        if (clusterRefusal) return clusterRefusal;
      }
      const unsure = sourceIds.some((a) => targetIds.some((b) => dataRelation(a, b) === 'unknown'));
      if (unsure && !(await this.confirmUnknownSource(sourceName, targetName))) return DISMISSED;
      const unknown: ServerIdentity = { runId: '', version: '', db: 0, role: '', replicationId: '' };
      const sourceId = sourceIds[0] ?? unknown;
      const targetId = targetIds[0] ?? unknown;
      this.log.info(
        `Import from ${sourceName} (Redis ${sourceId.version}) into ${targetName} (Redis ${targetId.version})`,
      );

      const delimiter = this.delimiter();
      const scan = await this.scan(sourceEndpoint, password, sourceName, delimiter, sourceCluster);
      if (scan === undefined) {
        return this.say('cancelled', `Cancelled counting the keys of ${sourceName}: nothing was copied.`);
      }
      if (scan.segments.length === 0) {
        return { ...this.say('done', `${sourceName} has no keys: nothing to import.`), segments: scan.segments };
      }

      const declared: NamespaceOwner[] = settings().namespaces.map((ns) => ({ path: ns.name, owner: ns.owner }));
      const mappings = options.mappings
        ? options.mappings.map((m): SegmentMapping => ({
            source: m.source,
            target: m.target,
            ...(m.crossOwner ? { crossOwner: true } : {}),
          }))
        : await this.askMappings(scan.segments, declared, delimiter, sourceEndpoint.host);
      if (mappings === undefined) return { ...DISMISSED, segments: scan.segments };
      if ('refused' in mappings) return { ...this.say('invalid', mappings.refused, 'error'), segments: scan.segments };
      const check = checkMappings(mappings, { delimiter, declared });
      if (check.errors.length > 0) {
        return {
          ...this.say(
            'invalid',
            `The mapping cannot be used: ${check.errors.map((e) => e.message).join(' ')}`,
            'error',
          ),
          segments: scan.segments,
        };
      }

      const mode = options.mode ?? (await this.askMode(targetName));
      if (mode === undefined) return { ...DISMISSED, segments: scan.segments };
      if (mode !== 'dry-run') {
        const refused = readOnlyRefusal('Import from Another Redis (copy)');
        if (refused) return { outcome: 'refused', message: refused, segments: scan.segments };
      }

      const bytes = (value: Buffer | string | null): BinaryString | null =>
        value === null ? null : toBinary(typeof value === 'string' ? Buffer.from(value, 'utf8') : value);
      const mappedSources = new Set(mappings.map((m) => bytes(m.source)));
      const expected = scan.segments
        .filter((s) => mappedSources.has(s.segment === null ? null : toBinary(s.segment)))
        .reduce((sum, s) => sum + s.count, 0);
      const warnings = check.warnings.map((w) => w.message);
      if (sourceId.version && targetId.version && compareVersions(sourceId.version, targetId.version) > 0) {
        warnings.push(
          `The source runs Redis ${sourceId.version}, newer than the target's ${targetId.version}: RESTORE may refuse payloads in a newer format (reported per key as failed).`,
        );
      }
      const from = sourceCluster ?? sourceClient;
      const compiled = compileMappings(mappings, { delimiter, declared });
      const plan = {
        mode,
        delimiter,
        expected,
        sourceEndpoint,
        targetEndpoint: target.endpoint,
        batchSize: options.batchSize,
        sourceName,
      };
      let replaceOnly: ExistingTargets | undefined;
      if (mode === 'replace' && options.mode === undefined) {
        // Asked here, not with the mode: the question says how many keys it replaces, and only those are.
        replaceOnly = await this.confirmReplace(from, targetClient, compiled, plan, targetName);
        if (replaceOnly === undefined) return { ...DISMISSED, segments: scan.segments };
      }
      const result = await this.copy(from, targetClient, compiled, plan, replaceOnly ? { replaceOnly } : {});
      if (result.copied > 0 && mode !== 'dry-run') this.services.keyBrowser.requestRefresh();
      const report = renderMigrationReport(result, {
        source: sourceName,
        target: targetName,
        sourceVersion: sourceId.version,
        targetVersion: targetId.version,
        expected,
        warnings,
      });
      const message = describeMigration(result);
      this.log.info(message);
      const reportUri =
        options.showReport === false ? undefined : (await this.reports.open('Import from Redis', report)).toString();
      const outcome = this.say(
        result.cancelled ? 'cancelled' : 'done',
        message,
        result.failed > 0 ? 'warning' : 'info',
      );
      return { ...outcome, segments: scan.segments, result, report, ...(reportUri ? { reportUri } : {}) };
    } catch (error) {
      const partial = (error as { partial?: MigrationResult }).partial;
      if (partial && partial.copied > 0 && partial.mode !== 'dry-run') this.services.keyBrowser.requestRefresh();
      const detail = partial ? ` (before the failure: ${describeMigration(partial)})` : '';
      if (error instanceof RedisConnectionError && error.endpoint === sourceName) {
        // The source dropped out: say so in words about the source, not the shared Redis's settings.
        return {
          ...this.say('failed', `The import stopped. ${sourceFailure(error, sourceName)}${detail}`, 'error'),
          ...(partial ? { result: partial } : {}),
        };
      }
      const failure = error instanceof Error ? Object.assign(error, { message: `${error.message}${detail}` }) : error;
      return {
        outcome: 'failed',
        message: presentError('The import stopped', failure, this.log),
        ...(partial ? { result: partial } : {}),
      };
    } finally {
      sourceClient?.disconnect();
      sourceCluster?.disconnect();
      targetClient?.disconnect();
    }
  }

  private checkSource(source: ImportSource): { endpoint: RedisEndpoint; password: string | undefined } | string {
    const host = typeof source.host === 'string' ? source.host.trim() : '';
    if (!host) return 'The source needs a host.';
    if (!Number.isInteger(source.port) || source.port < 1 || source.port > 65535) {
      return `The source port must be a number from 1 to 65535 (got ${String(source.port)}).`;
    }
    const db = source.db ?? 0;
    if (!Number.isInteger(db) || db < 0) {
      return `The source database must be a whole number, 0 or more (got ${String(db)}).`;
    }
    return {
      endpoint: {
        host,
        port: source.port,
        db,
        username: source.username?.trim() || undefined,
        tls: source.tls === true,
      },
      password: source.password || undefined,
    };
  }

  private async askSource(): Promise<{ endpoint: RedisEndpoint; password: string | undefined } | string | undefined> {
    const title = (step: number): string => `Import from Another Redis (${step}/5)`;
    const host = await vscode.window.showInputBox({
      title: title(1),
      prompt: 'Host of the Redis to import from (a per-service Redis)',
      value: '127.0.0.1',
      ignoreFocusOut: true,
      validateInput: (v) => (v.trim() ? undefined : 'Enter a host name or address.'),
    });
    if (host === undefined) return undefined;
    const port = await vscode.window.showInputBox({
      title: title(2),
      prompt: 'Port',
      value: '6380',
      ignoreFocusOut: true,
      validateInput: (v) =>
        /^\d+$/.test(v.trim()) && Number(v) >= 1 && Number(v) <= 65535 ? undefined : 'A port number from 1 to 65535.',
    });
    if (port === undefined) return undefined;
    const db = await vscode.window.showInputBox({
      title: title(3),
      prompt: 'Database number',
      value: '0',
      ignoreFocusOut: true,
      validateInput: (v) => (/^\d+$/.test(v.trim()) ? undefined : 'A database number: 0, 1, 2 …'),
    });
    if (db === undefined) return undefined;
    const username = await vscode.window.showInputBox({
      title: title(4),
      prompt: 'Username (ACL), or leave empty for the default user',
      ignoreFocusOut: true,
    });
    if (username === undefined) return undefined;
    const password = await vscode.window.showInputBox({
      title: title(5),
      prompt: 'Password of the source Redis, or leave empty. Used for this import only: not stored, not logged.',
      password: true,
      ignoreFocusOut: true,
    });
    if (password === undefined) return undefined;
    return this.checkSource({ host, port: Number(port), db: Number(db), username, password });
  }

  private async scan(
    endpoint: RedisEndpoint,
    password: string | undefined,
    sourceName: string,
    delimiter: Buffer,
    cluster: Cluster | undefined,
  ): Promise<{ segments: readonly SegmentCount[] } | undefined> {
    const scanCount = settings().scanCount;
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `Counting the keys of ${sourceName}`,
        cancellable: true,
      },
      (progress, token) => {
        const abort = new AbortController();
        const subscription = token.onCancellationRequested(() => abort.abort());
        const options = {
          delimiter,
          count: scanCount,
          signal: abort.signal,
          onProgress: (counted: number, expected: number) =>
            progress.report({ message: `${formatKeyCount(counted)} of ${formatKeyCount(expected)}` }),
        };
        return (
          cluster
            ? scanClusterSourceSegments(cluster, endpoint, { password }, options)
            : scanSourceSegments({ endpoint, credentials: { password } }, options)
        )
          .then(
            (scan) => scan,
            (error: unknown) => {
              if (error instanceof KeyspaceCancelledError) return undefined;
              throw error;
            },
          )
          .finally(() => subscription.dispose());
      },
    );
  }

  private async askMappings(
    segments: readonly SegmentCount[],
    declared: readonly NamespaceOwner[],
    delimiter: Buffer,
    sourceHost: string,
  ): Promise<SegmentMapping[] | { readonly refused: string } | undefined> {
    const d = displayBytes(delimiter);
    type Pick = vscode.QuickPickItem & { readonly segment: SegmentCount };
    // A source with very many first segments: offer the largest ones (and the keys without a delimiter).
    const offered =
      segments.length > MAX_SEGMENT_PICKS
        ? [...segments.slice(0, MAX_SEGMENT_PICKS), ...segments.filter((s) => s.segment === null)]
        : segments;
    const items = offered.map((s): Pick => {
      const owner = s.segment === null ? undefined : ownerLabel(s.segment, declared, delimiter);
      return {
        label: s.segment === null ? `(keys without ${d})` : displaySegment(s.segment),
        description: formatKeyCount(s.count),
        ...(owner ? { detail: owner } : {}),
        segment: s,
      };
    });
    const picks = await vscode.window.showQuickPick(items, {
      title: 'Import from Another Redis: which first segments?',
      placeHolder: `Select the key groups to import; each gets a target prefix next. Unselected ones are left out.${offered.length < segments.length ? ` (The ${MAX_SEGMENT_PICKS.toLocaleString('en-US')} largest of ${segments.length.toLocaleString('en-US')} segments.)` : ''}`,
      canPickMany: true,
      ignoreFocusOut: true,
    });
    if (picks === undefined || picks.length === 0) return undefined;
    const mappings: SegmentMapping[] = [];
    for (const pick of picks) {
      const segment = pick.segment.segment;
      const from = segment === null ? `keys without ${d}` : `${displaySegment(segment)}${d}*`;
      const guess = this.guessTarget(segment, declared, delimiter, sourceHost);
      const check = (value: string): vscode.InputBoxValidationMessage | undefined => {
        const typed = typedBytes(value.trim(), guess);
        if ('refused' in typed) return { message: typed.refused, severity: vscode.InputBoxValidationSeverity.Error };
        const result = checkMappings([...mappings, { source: segment, target: value.trim() }], { delimiter, declared });
        const index = mappings.length;
        const error = result.errors.find((e) => e.index === index);
        if (error) {
          return {
            message: error.message + (/confirmed explicitly/.test(error.message) ? ' Press Enter to confirm it.' : ''),
            severity: /confirmed explicitly/.test(error.message)
              ? vscode.InputBoxValidationSeverity.Warning
              : vscode.InputBoxValidationSeverity.Error,
          };
        }
        const warning = result.warnings.find((w) => w.index === index);
        return warning ? { message: warning.message, severity: vscode.InputBoxValidationSeverity.Warning } : undefined;
      };
      const target = await vscode.window.showInputBox({
        title: `Import ${from} (${pick.description ?? ''}) as`,
        prompt: `Target prefix: ${segment === null ? `counter becomes <prefix>${d}counter` : `${displaySegment(segment)}${d}42 becomes <prefix>${d}42`}`,
        value: guess.toString('utf8'),
        ignoreFocusOut: true,
        validateInput: check,
      });
      if (target === undefined) return undefined;
      const typed = typedBytes(target.trim(), guess);
      if ('refused' in typed) return typed;
      const crossOwner = /confirmed explicitly/.test(check(target)?.message ?? '');
      mappings.push({ source: segment, target: target.trim(), ...(crossOwner ? { crossOwner: true } : {}) });
    }
    return mappings;
  }

  /** guessTargetPrefix with the Keys view's last walk of the shared Redis, as bytes (the input box shows them as UTF-8). */
  private guessTarget(
    segment: Buffer | null,
    declared: readonly NamespaceOwner[],
    delimiter: Buffer,
    sourceHost: string,
  ): Buffer {
    const state = this.services.keyBrowser.state;
    const model = state.kind === 'idle' ? undefined : state.model;
    const guess = guessTargetPrefix(segment, {
      declared,
      delimiter,
      sourceHost,
      ...(model ? { targetHas: (path: BinaryString) => model.findNamespace(path) !== undefined } : {}),
    });
    return fromBinary(guess);
  }

  /** A source that does not say who it is may be the shared Redis or a replica of it: go on only when the user says it is not. */
  private async confirmUnknownSource(sourceName: string, targetName: string): Promise<boolean> {
    const button = 'It is another Redis: import';
    const choice = await vscode.window.showWarningMessage(
      `Cannot tell whether ${sourceName} is the shared Redis (${targetName}) or a replica of it: it does not say who it is (its user may not run INFO, or INFO has no run_id and master_replid).`,
      {
        modal: true,
        detail:
          'Importing the shared Redis into itself, or from one of its replicas, copies keys it has just written again and again. Go on only if you are sure it is another server.',
      },
      button,
    );
    return choice === button;
  }

  private async askMode(targetName: string): Promise<MigrationMode | undefined> {
    const pick = await vscode.window.showQuickPick(MODE_PICKS, {
      title: `Import into ${targetName}: how?`,
      placeHolder: 'Dry run first is a good idea',
      ignoreFocusOut: true,
    });
    if (pick === undefined) return undefined;
    return pick.mode;
  }

  /**
   * Copy and replace: a dry run counts the target keys an imported key would replace, the user
   * confirms that count, and only those may be replaced (a key another client writes there
   * meanwhile is skipped as existing). Undefined: not confirmed, or the count cancelled.
   */
  private async confirmReplace(
    source: Redis | Cluster,
    target: Redis | Cluster,
    mappings: ReturnType<typeof compileMappings>,
    plan: Parameters<Importer['copy']>[3],
    targetName: string,
  ): Promise<ExistingTargets | undefined> {
    const existing = new ExistingTargets();
    const counted = await this.copy(
      source,
      target,
      mappings,
      { ...plan, mode: 'dry-run' },
      { onExisting: (name) => existing.add(name) },
    );
    if (counted.cancelled) return undefined;
    if (existing.count === 0) return existing; // nothing to replace: a plain copy
    const count = `${existing.count.toLocaleString('en-US')} existing ${existing.count === 1 ? 'key' : 'keys'}`;
    const examples = existing.examples.map((name) => displayBytes(name)).join(', ');
    const choice = await vscode.window.showWarningMessage(
      `Replace ${count} of ${targetName}?`,
      {
        modal: true,
        detail: `They have the names of imported keys (${examples}${existing.count > existing.examples.length ? ', …' : ''}) and get the source's value and TTL. Keys written there after this count are not replaced: they are skipped and reported. Keys that do not exist are copied. It cannot be undone.`,
      },
      `Replace ${count}`,
    );
    return choice === `Replace ${count}` ? existing : undefined;
  }

  private copy(
    source: Redis | Cluster,
    target: Redis | Cluster,
    mappings: ReturnType<typeof compileMappings>,
    run: {
      mode: MigrationMode;
      delimiter: Buffer;
      expected: number;
      sourceEndpoint: RedisEndpoint;
      targetEndpoint: RedisEndpoint;
      batchSize: number | undefined;
      sourceName: string;
    },
    /** What Copy and replace may replace, and how a dry run reports the keys that exist. */
    extra: Pick<MigrationOptions, 'replaceOnly' | 'onExisting'> = {},
  ): Thenable<MigrationResult> {
    const verb = run.mode === 'dry-run' ? 'Checking' : 'Copying';
    return vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `${verb} ${formatKeyCount(run.expected)} from ${run.sourceName}`,
        cancellable: true,
      },
      (progress, token) => {
        const abort = new AbortController();
        const subscription = token.onCancellationRequested(() => abort.abort());
        let reported = 0;
        const copy = (options: MigrationOptions): Promise<MigrationResult> =>
          source.isCluster
            ? migrateFromClusterMasters(source as Cluster, run.sourceEndpoint, target, mappings, options)
            : migrateKeys(source as Redis, target, mappings, options);
        return copy({
          ...extra,
          mode: run.mode,
          delimiter: run.delimiter,
          expected: run.expected,
          signal: abort.signal,
          sourceEndpoint: run.sourceEndpoint,
          targetEndpoint: run.targetEndpoint,
          ...(run.batchSize !== undefined ? { batchSize: run.batchSize } : {}),
          onProgress: (p) => {
            const fraction =
              run.expected > 0 ? Math.min(100, (p.processed / run.expected) * 100) : p.scanFraction * 100;
            const skipped = p.skipped > 0 ? `, ${p.skipped.toLocaleString('en-US')} skipped` : '';
            const failed = p.failed > 0 ? `, ${p.failed.toLocaleString('en-US')} failed` : '';
            progress.report({
              increment: fraction - reported,
              message: `${p.processed.toLocaleString('en-US')} done: ${p.copied.toLocaleString('en-US')} ${run.mode === 'dry-run' ? 'to copy' : 'copied'}${skipped}${failed}`,
            });
            reported = fraction;
          },
        }).finally(() => subscription.dispose());
      },
    );
  }

  private delimiter(): Buffer {
    return delimiterBytes();
  }

  private say(
    outcome: ImportOutcome['outcome'],
    message: string,
    level: 'info' | 'warning' | 'error' = 'info',
  ): ImportOutcome {
    if (level === 'error') {
      this.log.warn(message);
      void vscode.window.showErrorMessage(message);
    } else if (level === 'warning') void vscode.window.showWarningMessage(message);
    else void vscode.window.showInformationMessage(message);
    return { outcome, message };
  }
}

/** The server (one), or each master of a cluster (a source and a target must share none). */
async function identities(client: Redis | Cluster, endpoint: RedisEndpoint): Promise<ServerIdentity[]> {
  if (!client.isCluster) return [await serverIdentity(client as Redis, endpoint)];
  return Promise.all(
    clusterMasters(client as Cluster, endpoint).map((master) =>
      master.client ? serverIdentity(master.client, master.endpoint) : Promise.reject(lostConnection(master)),
    ),
  );
}

function ownerLabel(segment: Buffer, declared: readonly NamespaceOwner[], delimiter: Buffer): string | undefined {
  const owner = ownerOf(segment, declared, delimiter);
  return owner ? `declared namespace${owner.owner ? ` of ${owner.owner}` : ''}` : undefined;
}

/** The source's connection failure in words about the source (not the shared Redis's settings). */
function sourceFailure(error: unknown, sourceName: string): string {
  if (error instanceof RedisConnectionError) {
    const hint =
      error.kind === 'auth-failed'
        ? 'Check the username and password you entered for it.'
        : error.kind === 'timeout'
          ? 'Check that it is running and reachable from here.'
          : 'Check the host and port you entered, and that it is running.';
    return `Could not connect to the source Redis at ${sourceName}: it ${error.reason}. ${hint}`;
  }
  return `Could not connect to the source Redis at ${sourceName}: ${error instanceof Error ? error.message : String(error)}`;
}

/** Why a source with the shared Redis's own data is refused, in one sentence. */
function sameDataRefusal(relation: DataRelation, sourceName: string, targetName: string): string {
  const what =
    relation === 'replica-of-target'
      ? `is a replica of the shared Redis (${targetName}): the same data under another address`
      : relation === 'master-of-target'
        ? `is the master of the shared Redis (${targetName}), which replicates it: the same data`
        : relation === 'replicas-of-one-master'
          ? `and the shared Redis (${targetName}) are replicas of one master: the same data`
          : `is the shared Redis itself (${targetName}, same server and database)`;
  const loop = relation === 'same-server' ? '' : ', and what the import writes would come back to be copied again';
  return `${sourceName} ${what}${loop}: choose the per-service Redis to import from.`;
}
