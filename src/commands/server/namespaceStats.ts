import * as vscode from 'vscode';
import { settings } from '../../settings';
import { NamespaceModel, NamespaceNode, fromBinary, namespaceChoices } from '../../redis/keyspace';
import { describeNotSampled, type NamespaceStatsRow } from '../../redis/serverInfo';
import type { CommandHandler, ExtensionServices } from '../context';
import { showNamespaceStatsPanel } from '../../views/infoPanel';
import { presentError } from '../presentError';
import { explainWithStack } from '../../redisNotReady';
import { completedModel, memoryRefusedNote, samplingNote, statsOf, targetsForPath } from './namespaces';

/** What the command accepts: a Keys view namespace row (its `path`, exact bytes as a binary string), or a path typed as text. */
type NamespaceArgument = string | { readonly path: string } | undefined;

function pathOf(argument: NamespaceArgument): Buffer | undefined {
  if (typeof argument === 'string') return argument.length > 0 ? Buffer.from(argument, 'utf8') : undefined;
  if (argument && typeof argument === 'object' && typeof argument.path === 'string') return fromBinary(argument.path);
  return undefined;
}

/** Namespaces offered in the list at most; any other is typed. */
const MAX_CHOICES = 1000;

const TYPE_A_PATH = 'Type a namespace path…';

/** Asks for a namespace: the Keys view's, shallowest and largest first (at most
 * MAX_CHOICES, with a row saying how many more), or one typed. */
async function pickNamespace(model: NamespaceModel | undefined): Promise<Buffer | undefined> {
  const choices = model ? namespaceChoices(model, MAX_CHOICES) : { nodes: [], notListed: 0 };
  if (choices.nodes.length === 0) return typeNamespace();
  type Item = vscode.QuickPickItem & { readonly node?: NamespaceNode };
  // Largest first, so Enter takes the largest; the typed path last, shown whatever is typed.
  const items: Item[] = [
    ...choices.nodes.map((node) => ({
      label: node.displayPath(),
      description: `${node.count.toLocaleString('en-US')} ${node.count === 1 ? 'key' : 'keys'}`,
      node,
    })),
  ];
  if (choices.notListed > 0) {
    items.push({
      label: `${choices.notListed.toLocaleString('en-US')} more namespaces not listed`,
      detail: `Choose this or "${TYPE_A_PATH}" to type the path of one`,
      alwaysShow: true,
    });
  }
  items.push({ label: TYPE_A_PATH, detail: 'Any namespace, also one not listed here', alwaysShow: true });
  // A created pick, not showQuickPick: what was typed into its filter starts the typed path.
  const pick = vscode.window.createQuickPick<Item>();
  pick.title = 'Namespace Statistics';
  pick.placeholder = 'Which namespace? Its child namespaces are included.';
  pick.matchOnDescription = false;
  pick.items = items;
  const picked = await new Promise<{ item: Item; filter: string } | undefined>((resolve) => {
    pick.onDidAccept(() => {
      const item = pick.selectedItems[0] ?? pick.activeItems[0];
      resolve(item ? { item, filter: pick.value } : undefined);
      pick.hide();
    });
    pick.onDidHide(() => {
      resolve(undefined);
      pick.dispose();
    });
    pick.show();
  });
  if (!picked) return undefined;
  return picked.item.node ? picked.item.node.pathBytes : typeNamespace(picked.filter);
}

async function typeNamespace(value = ''): Promise<Buffer | undefined> {
  const typed = await vscode.window.showInputBox({
    title: 'Namespace Statistics',
    prompt: 'Namespace path, e.g. auth or auth:session',
    value,
    ignoreFocusOut: true,
  });
  return typed ? Buffer.from(typed, 'utf8') : undefined;
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
      const { targets, notSampled } = targetsForPath(model, path);
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
      const rows =
        notSampled && !result.cancelled
          ? [...result.rows, describeNotSampled(notSampled, model?.complete ? model.totalKeys : undefined)]
          : result.rows;
      const scanCount = settings().scanCount;
      const note = [
        result.cancelled ? `Cancelled after ${result.rows.length} of ${targets.length} namespaces.` : '',
        memoryRefusedNote(result),
        samplingNote(scanCount),
      ]
        .filter(Boolean)
        .join(' ');
      showNamespaceStatsPanel(services.context.extensionUri, `Namespace ${name}`, rows, note);
      log.info(
        `${name}: ${result.rows.map((row) => `${row.namespace} ${row.keys}, ${row.withTtl} with a TTL, ${row.memory} (${row.sample})`).join('; ')}`,
      );
      return rows;
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
