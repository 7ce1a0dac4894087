import { basename, join } from 'node:path';
import type Redis from 'ioredis';
import * as vscode from 'vscode';
import { delimiterBytes, settings } from '../../settings';
import { displayBytes, formatKeyCount, fromBinary, groupThousands } from '../../redis/keyspace';
import { namespacePrefix } from '../../redis/mutations';
import { exportClusterNamespace } from '../../redis/cluster/clusterExport';
import {
  ExportResult,
  ImportPlan,
  ImportResult,
  ImportTargetReadOnlyError,
  defaultExportFileName,
  exportNamespace,
  importNamespace,
  planImport,
  readExportHeader,
} from '../../redis/transfer';
import type { CommandHandler, ExtensionServices } from '../context';
import { NamespaceRow } from '../../views/keysView';
import { presentError } from '../presentError';
import { typedBytes } from './edit/common';
import type { KeyOperationResult } from './operations';

/** What Export/Import Namespace resolve to (outcomes as in KeyOperationResult). */
export interface TransferResult extends KeyOperationResult {
  readonly exported?: ExportResult;
  readonly plan?: ImportPlan;
  readonly imported?: ImportResult;
}

const DISMISSED: TransferResult = { outcome: 'dismissed', message: '' };
export const IMPORT = 'Import';
const SHOWN_INVALID = 3;

/** `sharedRedis.exportNamespace` (namespace, file?) and `sharedRedis.importNamespace` (file?, target prefix?, answer?). */
export function transferCommands(
  services: ExtensionServices,
): Record<'exportNamespace' | 'importNamespace', CommandHandler> {
  const log = services.logger.child('Transfer');
  const where = (): string => {
    const e = services.session.endpoint;
    return `${e.host}:${e.port}${e.db ? ` db ${e.db}` : ''}`;
  };
  const info = (
    outcome: TransferResult['outcome'],
    message: string,
    extra: Partial<TransferResult> = {},
  ): TransferResult => {
    void (outcome === 'done' || outcome === 'unchanged'
      ? vscode.window.showInformationMessage(message)
      : vscode.window.showWarningMessage(message));
    return { outcome, message, ...extra };
  };
  const client = async (): Promise<Redis> => services.session.client();

  async function exportCommand(target?: unknown, fileArgument?: unknown): Promise<TransferResult> {
    const delimiter = delimiterBytes();
    const path = await namespacePath(target, delimiter, 'Export which namespace?');
    if (!path) return DISMISSED;
    const prefix = namespacePrefix(path, delimiter);
    const prefixText = displayBytes(prefix);
    const file = fileArgument !== undefined ? filePath(fileArgument) : await askExportFile(prefix, delimiter);
    if (!file) return DISMISSED;
    try {
      const topology = await services.session.topology();
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Exporting ${prefixText}*`, cancellable: true },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          const options = {
            delimiter,
            scanCount: settings().scanCount,
            signal: abort.signal,
            onProgress: (exported: number) => progress.report({ message: `${formatKeyCount(exported)} written` }),
          };
          // A cluster: every master's keys of the namespace, read master by master into the one file.
          if (topology.kind === 'cluster') return exportClusterNamespace(topology, prefix, file, options);
          return exportNamespace(topology.client, prefix, file, { ...options, endpoint: services.session.endpoint });
        },
      );
      if (result.cancelled) return info('cancelled', `Export of ${prefixText} cancelled: no file was written.`);
      const gone = result.gone > 0 ? ` (${formatKeyCount(result.gone)} expired or were deleted while it ran)` : '';
      const message = `Exported ${formatKeyCount(result.keys)} under ${prefixText} to ${basename(file)}${gone}. The file holds their values: share it like the data it is.`;
      log.info(`${message} (${file}, ${groupThousands(result.bytes)} bytes)`);
      return info(result.keys === 0 ? 'unchanged' : 'done', message, { exported: result });
    } catch (error) {
      return { outcome: 'failed', message: presentError(`Could not export ${prefixText}`, error, log) };
    }
  }

  async function importCommand(
    fileArgument?: unknown,
    prefixArgument?: unknown,
    answer?: unknown,
  ): Promise<TransferResult> {
    // The write gate, before the file and the prefix are asked for: the readOnly setting, and a read-only replica.
    const early = await services.keyChanges.confirmWrite([], 'Import Namespace');
    if (!early.allowed) return { outcome: early.outcome, message: early.message };
    const delimiter = delimiterBytes();
    // From a namespace row's menu: that namespace is the target offered.
    const rowPrefix =
      fileArgument instanceof NamespaceRow ? namespacePrefix(fromBinary(fileArgument.path), delimiter) : undefined;
    const file = fileArgument !== undefined && !rowPrefix ? filePath(fileArgument) : await askImportFile();
    if (!file) return DISMISSED;
    let header;
    try {
      header = await readExportHeader(file);
    } catch (error) {
      return { outcome: 'failed', message: presentError(`Could not read ${basename(file)}`, error, log) };
    }
    if (typeof header === 'string') {
      return info('invalid', `Nothing was imported: ${basename(file)} line 1: ${header}.`);
    }
    const targetPrefix =
      prefixArgument !== undefined
        ? prefixOf(prefixArgument, delimiter)
        : await askTargetPrefix(rowPrefix ?? header.prefix, header.prefix, delimiter);
    if (!targetPrefix) return DISMISSED;
    if (!Buffer.isBuffer(targetPrefix)) return info('invalid', targetPrefix.refused);
    if (targetPrefix.length === 0) {
      return info('invalid', 'Nothing was imported: the target prefix is empty. Give a namespace, e.g. auth.');
    }
    const targetText = displayBytes(targetPrefix);
    try {
      const redis = await client();
      const plan = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Checking ${basename(file)} (dry run)`,
          cancellable: true,
        },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          return planImport(redis, file, targetPrefix, {
            signal: abort.signal,
            endpoint: services.session.endpoint,
            onProgress: (read) => progress.report({ message: `${formatKeyCount(read)} checked` }),
          }).then((p) => (abort.signal.aborted ? undefined : p));
        },
      );
      if (!plan) return info('cancelled', 'Import cancelled during the dry run: nothing was written.');
      if (plan.check.invalidCount > 0) {
        const lines = plan.check.invalid.map((line) => `line ${line.line}: ${line.reason}`);
        for (const line of lines) log.warn(`${basename(file)} ${line}`);
        const more =
          plan.check.invalidCount > SHOWN_INVALID
            ? `; ${groupThousands(plan.check.invalidCount - SHOWN_INVALID)} more in the log`
            : '';
        return info(
          'invalid',
          `Nothing was imported: ${basename(file)} has ${groupThousands(plan.check.invalidCount)} invalid line${plan.check.invalidCount === 1 ? '' : 's'} (${lines.slice(0, SHOWN_INVALID).join('; ')}${more}). Fix the file and import again.`,
          { plan },
        );
      }
      if (plan.toCreate === 0) {
        return info('unchanged', `Nothing to import into ${targetText}: ${describePlan(plan)}.`, { plan });
      }
      const decision = await services.keyChanges.confirmWriteUnder(
        targetPrefix,
        `Import ${basename(file)} into ${targetText}`,
      );
      if (!decision.allowed) return { outcome: decision.outcome, message: decision.message, plan };
      if (answer !== IMPORT) {
        const choice = await vscode.window.showWarningMessage(
          `Import ${formatKeyCount(plan.toCreate)} into ${targetText}?`,
          {
            modal: true,
            detail: `Dry run of ${basename(file)} (exported from ${displayBytes(header.prefix)} on ${header.server || 'an unknown server'}): ${describePlan(plan)}. Existing keys are never overwritten. Keys with a TTL get the time they had left when exported, counted from now. Target: the shared Redis at ${where()}.`,
          },
          IMPORT,
        );
        if (choice !== IMPORT) return { ...DISMISSED, plan };
      }
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Importing into ${targetText}`, cancellable: true },
        (progress, token) => {
          const abort = new AbortController();
          token.onCancellationRequested(() => abort.abort());
          let reported = 0;
          return importNamespace(redis, plan, {
            signal: abort.signal,
            endpoint: services.session.endpoint,
            onProgress: ({ processed, created, total }) => {
              const fraction = (processed / Math.max(1, total)) * 100;
              progress.report({ increment: fraction - reported, message: `${formatKeyCount(created)} created` });
              reported = fraction;
            },
          })
            .catch((error: unknown) => {
              // Keys already created stay: say how many, as Delete Namespace does.
              const partial = (error as { partial?: ImportResult }).partial;
              if (!partial || partial.created === 0) throw error;
              services.keyChanges.recordNotUndoable(
                `Import into ${targetText}`,
                'an import is not undone key by key: delete the namespace it created instead',
              );
              throw Object.assign(error as Error, {
                message: `${(error as Error).message} (${describeImport(partial, targetText)} before the failure)`,
              });
            })
            .finally(() =>
              services.keyChanges.keysChanged({ keys: [], kind: 'many', db: services.session.endpoint.db }),
            );
        },
      );
      if (result.created > 0) {
        services.keyChanges.recordNotUndoable(
          `Import into ${targetText}`,
          'an import is not undone key by key: delete the namespace it created instead',
        );
      }
      const message = describeImport(result, targetText);
      log.info(message);
      for (const failure of result.failures) {
        log.warn(`${failure.count} failed (${failure.reason}), lines ${failure.lines.join(', ')}`);
      }
      const outcome = result.cancelled
        ? 'cancelled'
        : result.failed > 0
          ? 'failed'
          : result.created > 0
            ? 'done'
            : 'unchanged';
      return info(outcome, message, { plan, imported: result });
    } catch (error) {
      if (error instanceof ImportTargetReadOnlyError) return info('refused', error.message);
      return { outcome: 'failed', message: presentError(`Could not import ${basename(file)}`, error, log) };
    }
  }

  return { exportNamespace: exportCommand, importNamespace: importCommand };
}

function describePlan(plan: ImportPlan): string {
  return `${formatKeyCount(plan.toCreate)} to create, ${formatKeyCount(plan.existing)} already exist${plan.existing === 1 ? 's' : ''} and will be skipped`;
}

/** The summary of an import, one sentence (and the fallback said when it was used). */
export function describeImport(result: ImportResult, targetText: string): string {
  const parts = [
    `${result.cancelled ? 'Import cancelled' : 'Imported'}: ${formatKeyCount(result.created)} created under ${targetText}`,
  ];
  if (result.existing > 0) parts.push(`${formatKeyCount(result.existing)} skipped (they exist)`);
  if (result.failed > 0) {
    parts.push(`${formatKeyCount(result.failed)} failed (${result.failures[0]?.reason ?? ''}; see the log)`);
  }
  if (result.cancelled) parts.push(`${formatKeyCount(result.total - result.processed)} not reached`);
  let text = parts.join(', ');
  if (result.fromReadableValue > 0) {
    const why = result.restoreNotAllowed
      ? 'this user may not run RESTORE (its ACL leaves out @dangerous commands)'
      : 'this server refused their DUMP payloads (written by a newer Redis)';
    text += `. ${formatKeyCount(result.fromReadableValue)} were written from their readable value because ${why}: stream consumer groups are not in that form and were not restored`;
  }
  return `${text}.`;
}

/** A NamespaceRow, a Buffer or string path (a trailing delimiter is dropped); else asks. */
async function namespacePath(target: unknown, delimiter: Buffer, title: string): Promise<Buffer | undefined> {
  if (target instanceof NamespaceRow) return fromBinary(target.path);
  let typed: Buffer | undefined;
  if (Buffer.isBuffer(target)) typed = target;
  else if (typeof target === 'string' && target !== '') typed = Buffer.from(target, 'utf8');
  else {
    const text = await vscode.window.showInputBox({
      title,
      prompt: 'A namespace, e.g. auth or auth:session (the delimiter is added)',
    });
    if (!text) return undefined;
    typed = Buffer.from(text, 'utf8');
  }
  const ends = typed.length > delimiter.length && typed.subarray(typed.length - delimiter.length).equals(delimiter);
  return ends ? typed.subarray(0, typed.length - delimiter.length) : typed;
}

/** A target prefix as given: the delimiter is added when it does not end with one. */
function prefixOf(value: unknown, delimiter: Buffer): Buffer | undefined {
  const bytes = Buffer.isBuffer(value) ? value : typeof value === 'string' ? Buffer.from(value, 'utf8') : undefined;
  if (!bytes || bytes.length === 0) return bytes;
  return bytes.subarray(bytes.length - delimiter.length).equals(delimiter) ? bytes : Buffer.concat([bytes, delimiter]);
}

async function askTargetPrefix(
  offered: Buffer,
  filePrefix: Buffer,
  delimiter: Buffer,
): Promise<Buffer | { readonly refused: string } | undefined> {
  const text = await vscode.window.showInputBox({
    title: 'Import into which namespace?',
    prompt: `Each key's name after ${displayBytes(filePrefix)} is kept under this prefix (the delimiter is added)`,
    value: offered.toString('utf8'),
    validateInput: (value) => {
      const typed = typedBytes(value, offered);
      return Buffer.isBuffer(typed)
        ? undefined
        : { message: typed.refused, severity: vscode.InputBoxValidationSeverity.Error };
    },
  });
  if (text === undefined) return undefined;
  const typed = typedBytes(text, offered);
  return Buffer.isBuffer(typed) ? prefixOf(typed, delimiter) : typed;
}

function filePath(value: unknown): string | undefined {
  if (value instanceof vscode.Uri) return value.fsPath;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function workspaceFolder(): string | undefined {
  return (vscode.workspace.workspaceFolders ?? []).find((f) => f.uri.scheme === 'file')?.uri.fsPath;
}

async function askExportFile(prefix: Buffer, delimiter: Buffer): Promise<string | undefined> {
  const folder = workspaceFolder();
  const name = defaultExportFileName(prefix, delimiter);
  const uri = await vscode.window.showSaveDialog({
    title: `Export ${displayBytes(prefix)}* to`,
    defaultUri: vscode.Uri.file(folder ? join(folder, name) : name),
    filters: { 'Shared Redis export': ['jsonl'] },
    saveLabel: 'Export',
  });
  return uri?.fsPath;
}

async function askImportFile(): Promise<string | undefined> {
  const folder = workspaceFolder();
  const picked = await vscode.window.showOpenDialog({
    title: 'Import a namespace from',
    ...(folder ? { defaultUri: vscode.Uri.file(folder) } : {}),
    canSelectMany: false,
    filters: { 'Shared Redis export': ['jsonl'], 'All files': ['*'] },
    openLabel: 'Dry Run',
  });
  return picked?.[0]?.fsPath;
}
