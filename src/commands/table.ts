import { backupCommand } from './backup/backup';
import { restoreCommand } from './backup/restore';
import type { CommandContext, CommandHandler } from './context';
import { checkActionCommands } from './health/actions';
import { checkNamespacesCommand } from './health';
import { keyBrowsingCommands } from './keys/browse';
import { keyInspectionCommands } from './keys/inspect';
import { keyEditCommands } from './keys/edit';
import { keyOperationCommands } from './keys/operations';
import { transferCommands } from './keys/transfer';
import { importFromRedisCommand } from './migration/importFromRedis';
import { clientCommands } from './observe/clients';
import { logCommands } from './observe/logs';
import { profilerCommands } from './observe/profiler';
import { pubSubCommands } from './observe/pubSub';
import { pingCommand } from './ping';
import { addServiceUsersCommand } from './security/serviceUsers';
import { serviceConnectionCommand } from './security/serviceConnection';
import { verifyIsolationCommand } from './security/verifyIsolation';
import { infoCommand } from './server/info';
import { namespaceStatsCommand } from './server/namespaceStats';
import { openCliCommand } from './server/openCli';
import { setPasswordCommand } from './setPassword';
import { createStackCommand } from './stack/createStack';
import { openStackFileCommand } from './stack/openStackFile';
import { removeStackCommand } from './stack/removeStack';
import { showLogsCommand } from './stack/showLogs';
import { startCommand } from './stack/start';
import { stopRestartCommands } from './stack/stopRestart';
import { stackState } from '../stackService';

/** Builds a handler (or a group of handlers sharing state) once per context. */
type Build<T> = (context: CommandContext) => T;

function once<T>(build: Build<T>): Build<T> {
  const built = new WeakMap<CommandContext, T>();
  return (context) => {
    if (!built.has(context)) built.set(context, build(context));
    return built.get(context) as T;
  };
}

const stopRestart = once(stopRestartCommands);
const browsing = once(keyBrowsingCommands);
const inspection = once(keyInspectionCommands);
const operations = once(keyOperationCommands);
const checkActions = once(checkActionCommands);
const transfer = once(transferCommands);
const edits = once(keyEditCommands);
const observeClients = once(clientCommands);
const observeLogs = once(logCommands);
const profiling = once(profilerCommands);
const pubSub = once(pubSubCommands);

/**
 * Every command of the extension: its id (as contributed in package.json) and the handler
 * it runs, each built from the same context. extension.ts registers them in one loop; a
 * test compares these ids with package.json's. A new command is one line here.
 */
export const COMMANDS = {
  // The stack (src/commands/stack)
  'sharedRedis.start': startCommand,
  'sharedRedis.stop': (c) => stopRestart(c).stop,
  'sharedRedis.restart': (c) => stopRestart(c).restart,
  'sharedRedis.stackActions': (c) => stopRestart(c).stackActions,
  'sharedRedis.removeStack': removeStackCommand,
  'sharedRedis.showLogs': showLogsCommand,
  'sharedRedis.createStack': createStackCommand,
  'sharedRedis.openStackFile': openStackFileCommand,
  'sharedRedis.refreshStack':
    ({ stack }) =>
    async () =>
      stackState(await stack.refresh()),
  // The connection
  'sharedRedis.ping': pingCommand,
  'sharedRedis.setPassword': setPasswordCommand,
  // Keys (src/commands/keys)
  'sharedRedis.refreshKeys': (c) => browsing(c).refreshKeys,
  'sharedRedis.filterKeys': (c) => browsing(c).filterKeys,
  'sharedRedis.clearKeyFilter': (c) => browsing(c).clearKeyFilter,
  'sharedRedis.loadMoreKeys': (c) => browsing(c).loadMoreKeys,
  'sharedRedis.showIdsAsList': (c) => browsing(c).showIdsAsList,
  'sharedRedis.groupIds': (c) => browsing(c).groupIds,
  'sharedRedis.setTtl': (c) => operations(c).setTtl,
  'sharedRedis.persistKey': (c) => operations(c).persistKey,
  'sharedRedis.copyKeyName': (c) => operations(c).copyKeyName,
  'sharedRedis.deleteKey': (c) => operations(c).deleteKey,
  'sharedRedis.deleteNamespace': (c) => operations(c).deleteNamespace,
  'sharedRedis.exportNamespace': (c) => transfer(c).exportNamespace,
  'sharedRedis.importNamespace': (c) => transfer(c).importNamespace,
  'sharedRedis.inspectKey': (c) => inspection(c).inspectKey,
  'sharedRedis.loadMoreValue': (c) => inspection(c).loadMoreValue,
  'sharedRedis.refreshKeyDocument': (c) => inspection(c).refreshKeyDocument,
  // Editing keys (src/commands/keys/edit)
  'sharedRedis.newKey': (c) => edits(c).newKey,
  'sharedRedis.renameKey': (c) => edits(c).renameKey,
  'sharedRedis.copyKey': (c) => edits(c).copyKey,
  'sharedRedis.moveToNamespace': (c) => edits(c).moveToNamespace,
  'sharedRedis.undoLastChange': (c) => edits(c).undoLastChange,
  // The server (src/commands/server)
  'sharedRedis.info': infoCommand,
  'sharedRedis.namespaceStats': namespaceStatsCommand,
  'sharedRedis.openCli': openCliCommand,
  // Observing (src/commands/observe)
  'sharedRedis.startProfiler': (c) => profiling(c).startProfiler,
  'sharedRedis.stopProfiler': (c) => profiling(c).stopProfiler,
  'sharedRedis.filterProfiler': (c) => profiling(c).filterProfiler,
  'sharedRedis.subscribe': (c) => pubSub(c).subscribe,
  'sharedRedis.unsubscribe': (c) => pubSub(c).unsubscribe,
  'sharedRedis.publish': (c) => pubSub(c).publish,
  // Health checks (src/commands/health)
  'sharedRedis.checkNamespaces': checkNamespacesCommand,
  'sharedRedis.openCheckKeys': (c) => checkActions(c).openCheckKeys,
  'sharedRedis.setTtlOnKeysWithoutTtl': (c) => checkActions(c).setTtlOnKeysWithoutTtl,
  // Observing (src/commands/observe)
  'sharedRedis.showClients': (c) => observeClients(c).showClients,
  'sharedRedis.killClient': (c) => observeClients(c).killClient,
  'sharedRedis.showSlowLog': (c) => observeLogs(c).showSlowLog,
  'sharedRedis.resetSlowLog': (c) => observeLogs(c).resetSlowLog,
  'sharedRedis.showDeniedAccesses': (c) => observeLogs(c).showDeniedAccesses,
  // Security (src/commands/security)
  'sharedRedis.serviceConnection': serviceConnectionCommand,
  'sharedRedis.verifyIsolation': verifyIsolationCommand,
  'sharedRedis.addServiceUsers': addServiceUsersCommand,
  // Backup and migration
  'sharedRedis.backup': backupCommand,
  'sharedRedis.restore': restoreCommand,
  'sharedRedis.importFromRedis': importFromRedisCommand,
} as const satisfies Record<string, Build<CommandHandler>>;

export type CommandId = keyof typeof COMMANDS;

/** Every command id with its handler, built from `context`. */
export function createCommands(context: CommandContext): Array<[CommandId, CommandHandler]> {
  return (Object.keys(COMMANDS) as CommandId[]).map((id) => [id, COMMANDS[id](context)]);
}
