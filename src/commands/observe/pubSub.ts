import * as vscode from 'vscode';
import { MissingRightError } from '../../redis/observe/clientList';
import { publishedText } from '../../redis/cluster/clusterPublish';
import { namespaceChannelPattern } from '../../redis/observe/subscription';
import { settings } from '../../settings';
import { fromBinary } from '../../redis/keyspace/binary';
import { NamespaceRow } from '../../views/keysView';
import type { CommandHandler, ExtensionServices } from '../context';
import { presentError } from '../presentError';
import { explainWithStack } from '../../redisNotReady';
import { readOnlyRefusal } from '../readOnly';

/**
 * Subscribe (a channel, or a pattern when it has `*`: PSUBSCRIBE), Unsubscribe, Publish. Subscribe
 * is pre-filled with the namespace's own pattern (from a namespace row, else the first declared).
 */
export function pubSubCommands({ pubSub, stack, session, logger }: ExtensionServices): {
  subscribe: CommandHandler;
  unsubscribe: CommandHandler;
  publish: CommandHandler;
} {
  const log = logger.child('PubSub');
  const refused = (error: unknown, what: string): string => {
    if (error instanceof MissingRightError) {
      log.warn(error.message);
      void vscode.window.showErrorMessage(error.message);
      return error.message;
    }
    return presentError(what, explainWithStack(error, stack.snapshot, session.endpoint), log);
  };

  const subscribe = async (target?: NamespaceRow | string): Promise<string | undefined> => {
    let channel: string | undefined;
    if (typeof target === 'string') channel = target;
    else {
      const declared = settings().namespaces[0]?.name;
      const namespace =
        target instanceof NamespaceRow ? fromBinary(target.path) : declared ? Buffer.from(declared, 'utf8') : undefined;
      channel = await vscode.window.showInputBox({
        title: 'Subscribe to a channel, or to a pattern: *, ? or […] make it one (PSUBSCRIBE; \\[ is a literal [)',
        value: namespace?.length ? namespaceChannelPattern(namespace, settings().delimiter) : '',
        validateInput: (value) => (value.trim() === '' ? 'Give a channel name or a pattern like auth:*' : undefined),
      });
    }
    if (!channel?.trim()) return undefined;
    try {
      const subscription = await pubSub.subscribe(channel.trim());
      return subscription.channel;
    } catch (error) {
      return refused(error, `Could not subscribe to ${channel}`);
    }
  };

  const unsubscribe = async (channel?: string): Promise<string | undefined> => {
    const active = pubSub.active;
    let chosen = typeof channel === 'string' ? active.find((s) => s.channel === channel) : undefined;
    if (!chosen && typeof channel !== 'string') {
      if (active.length === 0) {
        void vscode.window.showInformationMessage('There is no subscription to stop.');
        return undefined;
      }
      const picked =
        active.length === 1
          ? active[0]
          : (await vscode.window.showQuickPick(active.map((s) => ({ label: s.channel, id: s.id }))))?.id;
      chosen = typeof picked === 'number' ? active.find((s) => s.id === picked) : picked;
    }
    if (!chosen) return undefined;
    pubSub.unsubscribe(chosen.id);
    return chosen.channel;
  };

  const publish = async (channelArg?: string, messageArg?: string): Promise<string | undefined> => {
    const refusal = readOnlyRefusal('Publish');
    if (refusal) return refusal;
    const first = settings().namespaces[0]?.name;
    const channel =
      typeof channelArg === 'string'
        ? channelArg
        : await vscode.window.showInputBox({
            title: 'Publish to which channel?',
            value: first ? `${first}${settings().delimiter}` : '',
            validateInput: (value) => (value.trim() === '' ? 'Give a channel name' : undefined),
          });
    if (!channel?.trim()) return undefined;
    const message =
      typeof messageArg === 'string'
        ? messageArg
        : await vscode.window.showInputBox({ title: `Message to publish on ${channel}` });
    if (message === undefined) return undefined;
    try {
      const text = publishedText(channel.trim(), await pubSub.publish(channel.trim(), message));
      void vscode.window.showInformationMessage(text);
      return text;
    } catch (error) {
      return refused(error, `Could not publish to ${channel}`);
    }
  };

  return { subscribe, unsubscribe, publish };
}
