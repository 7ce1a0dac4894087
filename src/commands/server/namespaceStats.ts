import * as vscode from 'vscode';
import { settings } from '../../settings';
import { NamespaceModel, NamespaceNode, fromBinary } from '../../redis/keyspace';
import type { NamespaceStatsRow } from '../../redis/serverInfo';
import type { CommandHandler, ExtensionServices } from '../context';
import { showNamespaceStatsPanel } from '../../views/infoPanel';
import { presentError } from '../presentError';
import { explainWithStack } from '../../redisNotReady';
import { completedModel, samplingNote, statsOf, targetsForPath } from './namespaces';

/** What the command accepts: a Keys view namespace row (its `path`, exact bytes as a binary string), or a path typed as text. */
type NamespaceArgument = string | { readonly path: string } | undefined;

function pathOf(argument: NamespaceArgument): Buffer | undefined {
  if (typeof argument === 'string') return argument.length > 0 ? Buffer.from(argument, 'utf8') : undefined;
  if (argument && typeof argument === 'object' && typeof argument.path === 'string') return fromBinary(argument.path);
  return undefined;
}

/** Asks for a namespace, offering every one the Keys view walked (largest first). */
async function pickNamespace(model: NamespaceModel | undefined): Promise<Buffer | undefined> {
  const nodes: NamespaceNode[] = [];
  const visit = (node: NamespaceNode): void => {
    for (const child of node.childNamespaces('count')) {
      if (nodes.length >= 1000) return;
      nodes.push(child);
      visit(child);
    }
  };
  if (model) visit(model.root);
  if (nodes.length === 0) {
    const typed = await vscode.window.showInputBox({
      title: 'Namespace Statistics',
      prompt: 'Namespace path, e.g. auth or auth:session',
      ignoreFocusOut: true,
    });
    return typed ? Buffer.from(typed, 'utf8') : undefined;
  }
  const picked = await vscode.window.showQuickPick(
    nodes.map((node) => ({
      label: node.displayPath(),
      description: `${node.count.toLocaleString('en-US')} ${node.count === 1 ? 'key' : 'keys'}`,
      node,
    })),
    {
      title: 'Namespace Statistics',
      placeHolder: 'Which namespace? Its child namespaces are included.',
      matchOnDescription: false,
    },
  );
  return picked?.node.pathBytes;
}

/**
 * `sharedRedis.namespaceStats`: the per-namespace table for one namespace and its child
 * namespaces (keys, share of all keys, share with a TTL, memory from sampled MEMORY
 * USAGE). From a namespace row, the palette (asks) or with a path. Shows it in a panel and
 * resolves to its rows, or undefined when nothing was chosen or it failed.
 */
export function namespaceStatsCommand(services: ExtensionServices): CommandHandler {
  const log = services.logger.child('Namespace stats');
  return async (argument?: NamespaceArgument): Promise<NamespaceStatsRow[] | undefined> => {
    try {
      const model = await completedModel(services.keyBrowser).catch(() => undefined);
      const path = pathOf(argument) ?? (await pickNamespace(model));
      if (!path) return undefined;
      const targets = targetsForPath(model, path, true);
      const name = path.toString('utf8');
      const result = await vscode.window.withProgress(
        {
          location: vscode.ProgressLocation.Notification,
          title: `Sampling ${name} and its namespaces`,
          cancellable: true,
        },
        (_progress, token) => {
          const abort = new AbortController();
          const subscription = token.onCancellationRequested(() => abort.abort());
          return statsOf(services.session, targets, abort.signal).finally(() => subscription.dispose());
        },
      );
      const scanCount = settings().scanCount;
      const note = `${result.cancelled ? `Cancelled after ${result.rows.length} of ${targets.length} namespaces. ` : ''}${samplingNote(scanCount)}`;
      showNamespaceStatsPanel(services.context.extensionUri, `Namespace ${name}`, result.rows, note);
      log.info(
        `${name}: ${result.rows.map((row) => `${row.namespace} ${row.keys}, ${row.withTtl} with a TTL, ${row.memory} (${row.sample})`).join('; ')}`,
      );
      return result.rows;
    } catch (error) {
      presentError(
        'Namespace statistics failed',
        explainWithStack(error, services.stack.snapshot, services.session.endpoint),
        log,
      );
      return undefined;
    }
  };
}
