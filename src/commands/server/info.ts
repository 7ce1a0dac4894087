import * as vscode from 'vscode';
import { settings } from '../../settings';
import { parseInfo } from '../../redis/info';
import { describeEndpoint } from '../../redis/endpoint';
import { isProgrammingError } from '../../redis/errors';
import { describeSummary, summarizeInfo } from '../../redis/serverInfo';
import { MissingRightError, serviceOfUser } from '../../redis/observe/clientList';
import { readServerSample, ServerSample } from '../../redis/observe/infoSampler';
import type { CommandHandler, ExtensionServices } from '../context';
import { describeNodeInfos, rawNodeInfos, readNodeInfos } from '../../redis/cluster/nodes';
import { readClusterServerSample } from '../../redis/cluster/clusterSample';
import { InfoContent, InfoPanel, InfoPanelState } from '../../views/infoPanel';
import { completedModel, memoryRefusedNote, samplingNote, statsOf, targetOf } from './namespaces';

/** Top-level namespaces in the INFO view's table, largest first. */
export const INFO_NAMESPACES = 20;

/** Reads INFO and the top-level namespaces' stats: what the INFO view shows. */
export async function readInfoContent(services: ExtensionServices): Promise<InfoContent> {
  const { session, keyBrowser } = services;
  const endpoint = describeEndpoint(session.endpoint);
  const topology = await session.topology();
  // A cluster: one card per node plus totals (nodes.ts); the header's version is the first node's that answered.
  const nodes = topology.kind === 'cluster' ? await readNodeInfos(topology) : undefined;
  const raw = nodes ? rawNodeInfos(nodes) : await session.use((client) => client.info());
  const summary = nodes?.find((node) => node.summary !== undefined)?.summary ?? summarizeInfo(parseInfo(raw));
  const scanCount = settings().scanCount;
  let namespaces: InfoContent['namespaces'] = [];
  let namespacesNote: string;
  const model = await completedModel(keyBrowser).catch(() => undefined);
  if (!model) {
    namespacesNote = 'The keyspace could not be walked, so there is no namespace table; see the Keys view.';
  } else {
    const top = model.root.childNamespaces('count');
    // The table is a part of the view: whatever stops it (SCAN refused, statistics that SCAN
    // one server refused on a cluster: ClusterRoutingError) is said in its note, and INFO shown.
    const result = await statsOf(
      session,
      top.slice(0, INFO_NAMESPACES).map((node) => targetOf(model, node)),
    ).then(
      (done) => done,
      (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
    );
    // A bug (a TypeError, say) is no answer of Redis: logged with its stack, and the note says where.
    // Anything else is what Redis or the connection said, typed or not (a cluster node's plain ioredis error).
    if (result instanceof Error && isProgrammingError(result)) {
      services.logger
        .child('Info')
        .error(`Namespace table failed (an internal error): ${result.stack ?? result.message}`);
    }
    namespaces = result instanceof Error ? [] : result.rows;
    const filtered = model.match !== undefined || model.type !== undefined;
    namespacesNote = [
      result instanceof Error
        ? isProgrammingError(result)
          ? 'No namespace table: an internal error happened; it is logged with its stack in the "Shared Redis" output (Output view).'
          : `No namespace table: ${(result as Error).message}`
        : '',
      result instanceof Error ? '' : memoryRefusedNote(result),
      top.length === 0 ? 'No namespaces: no key contains the delimiter.' : '',
      top.length > INFO_NAMESPACES ? `The ${INFO_NAMESPACES} largest of ${top.length} top-level namespaces.` : '',
      filtered ? 'The Keys view is filtered: its counts are not used; keys are counted with a bounded SCAN.' : '',
      top.length > 0 ? samplingNote(scanCount) : '',
    ]
      .filter(Boolean)
      .join(' ');
  }
  const sections = nodes ? describeNodeInfos(nodes) : describeSummary(summary);
  return { endpoint, readAt: new Date(), summary, sections, namespaces, namespacesNote, raw };
}

/**
 * One chart sample on the shared connection (on a cluster, of every node). A refused INFO stays a MissingRightError (it
 * names the right to grant) rather than being read as a connection failure.
 */
export async function readChartSample(services: ExtensionServices): Promise<ServerSample> {
  const { namespaces, delimiter } = settings();
  const serviceOf = (user: string): string | undefined => serviceOfUser(user, namespaces, delimiter);
  // INFO answers for one node: on a cluster, every node's figures summed (as the totals card).
  const topology = await services.session.topology();
  if (topology.kind === 'cluster') return readClusterServerSample(topology, serviceOf);
  const outcome = await services.session.use((client) =>
    readServerSample(client, serviceOf).catch((error: unknown) => {
      if (error instanceof MissingRightError) return error;
      throw error;
    }),
  );
  if (outcome instanceof MissingRightError) throw outcome;
  return outcome;
}

/**
 * `sharedRedis.info`: opens (or reveals) the INFO view and reads INFO again. Resolves to
 * the view's state: its title, its HTML and what it shows (or the error it shows).
 */
export function infoCommand(services: ExtensionServices): CommandHandler {
  const log = services.logger.child('Info');
  let sampling = true;
  const charts = {
    read: () =>
      readChartSample(services).then((sample) => {
        if (!sampling) log.info('Charts: sampling again');
        sampling = true;
        return sample;
      }),
    // Logged once when sampling starts failing, not every 2 s while it does.
    describeError: (error: unknown): string => {
      const message = error instanceof Error ? error.message : String(error);
      if (sampling) log.warn(`Charts: no sample (${message}); trying again every 2 s while the page is visible`);
      sampling = false;
      return message;
    },
  };
  return async (): Promise<InfoPanelState> => {
    const state = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Window,
        title: `Reading INFO of ${describeEndpoint(services.session.endpoint)}`,
      },
      () =>
        InfoPanel.show(
          services.context.extensionUri,
          () => readInfoContent(services),
          (error) => {
            const message = error instanceof Error ? error.message : String(error);
            log.error(`INFO failed: ${message}`);
            return message;
          },
          charts,
        ),
    );
    if (state.error) {
      void vscode.window.showErrorMessage(`Redis INFO: ${state.error}`, 'Show Logs').then((choice) => {
        if (choice) log.show();
      });
    }
    return state;
  };
}
