import * as vscode from 'vscode';
import type { CommandHandler, ExtensionServices } from '../context';
import { namespacePolicy } from '../../stackService';
import { declaredClusterNodes, isClusterProject } from '../../docker/stack/clusterStack';
import { clipboardText, clusterLines, singleServerLines } from './serviceConnectionLines';
import { stackAccess } from './stackAccess';

export interface ServiceConnectionArgs {
  /** The namespace (`auth`) or user (`auth-service`). */
  readonly service?: string;
  /** `host`: the service runs on this machine; `network`: in a container on the stack's network. */
  readonly from?: 'host' | 'network';
}

export interface ServiceConnectionResult {
  readonly outcome: 'copied' | 'dismissed' | 'failed';
  readonly service?: string;
  /** The variable names copied (their values are on the clipboard only). */
  readonly variables?: readonly string[];
  readonly message?: string;
}

/**
 * `sharedRedis.serviceConnection`: puts the `.env` lines one service needs on the
 * clipboard (host, port, its user and password, its key prefix; on a cluster stack every
 * node and the natMap a cluster client needs) and says so without showing the password.
 */
export function serviceConnectionCommand(services: ExtensionServices): CommandHandler {
  const log = services.logger.child('ACL');
  return async (args?: ServiceConnectionArgs): Promise<ServiceConnectionResult> => {
    const context = await stackAccess(services.stack);
    const fail = (message: string): ServiceConnectionResult => {
      void vscode.window.showErrorMessage(message);
      return { outcome: 'failed', message };
    };
    if (typeof context === 'string') return fail(context);
    const users = context.access.services;
    if (users.length === 0) {
      const message = `The stack has no service users yet (${context.files.envFile} holds none of their passwords): run "Shared Redis: Add Service Users" first.`;
      void vscode.window.showErrorMessage(message, 'Add Service Users').then((c) => {
        if (c) void vscode.commands.executeCommand('sharedRedis.addServiceUsers');
      });
      return { outcome: 'failed', message };
    }
    const delimiter = namespacePolicy().delimiter;
    let chosen = users.find((s) => s.user.namespace === args?.service || s.user.username === args?.service);
    if (args?.service !== undefined && !chosen) {
      return fail(
        `No service user "${args.service}" in the stack: it has ${users.map((s) => s.user.username).join(', ')}.`,
      );
    }
    if (!chosen) {
      const pick = await vscode.window.showQuickPick(
        users.map((s) => ({
          label: s.user.username,
          description: `${s.user.namespace}${delimiter}*`,
          detail: `Reads and writes ${s.user.namespace}${delimiter}*, reads shared${delimiter}*`,
          credentials: s,
        })),
        { title: 'Copy the .env lines for which service?', ignoreFocusOut: true },
      );
      if (!pick) return { outcome: 'dismissed' };
      chosen = pick.credentials;
    }
    const login = {
      username: chosen.user.username,
      password: chosen.password,
      keyPrefix: `${chosen.user.namespace}${delimiter}`,
    };
    const heading = `Shared Redis: ${chosen.user.username} may use ${chosen.user.namespace}${delimiter}* and read shared${delimiter}*`;
    const network = context.project.networks[0]?.name;
    // A cluster stack: every node (and, for this machine, the natMap), never one node's host and port.
    const clusterNodes = isClusterProject(context.project)
      ? declaredClusterNodes(context.project, services.stack.snapshot.services)
      : undefined;
    if (clusterNodes?.length === 0) {
      return fail(
        `The cluster stack's nodes publish no port yet: start the stack ("Shared Redis: Start"), then copy ${chosen.user.username}'s lines again.`,
      );
    }
    const redisService = clusterNodes
      ? undefined
      : context.project.services.find((s) => s.ports.some((p) => p.target === 6379));
    const hostPort =
      services.stack.snapshot.redis?.port ??
      Number(redisService?.ports.find((p) => p.target === 6379)?.published ?? 6379);
    let from = args?.from;
    if (!from) {
      const ports = clusterNodes?.map((n) => n.published.port);
      const pick = await vscode.window.showQuickPick(
        [
          {
            label: 'On this machine',
            description: ports
              ? `${ports.length} cluster nodes, ports ${ports.join(', ')} on 127.0.0.1`
              : `127.0.0.1:${hostPort}`,
            from: 'host' as const,
          },
          ...(network && (redisService || clusterNodes)
            ? [
                {
                  label: `In a container on the ${network} network`,
                  description: clusterNodes
                    ? `${clusterNodes.length} cluster nodes, ${clusterNodes.map((n) => n.announced.host).join(', ')}`
                    : `${redisService?.name ?? ''}:6379`,
                  from: 'network' as const,
                },
              ]
            : []),
        ],
        { title: `Where does ${chosen.user.username} run?`, ignoreFocusOut: true },
      );
      if (!pick) return { outcome: 'dismissed' };
      from = pick.from;
    }
    const lines = clusterNodes
      ? clusterLines(clusterNodes, from, login)
      : from === 'network' && redisService
        ? singleServerLines(redisService.name, 6379, login)
        : singleServerLines('127.0.0.1', hostPort, login);
    await vscode.env.clipboard.writeText(clipboardText(heading, lines));
    const shown = lines.variables.map(([k, v]) => (k === 'REDIS_PASSWORD' ? `${k} (hidden)` : `${k}=${v}`)).join(', ');
    const message = clusterNodes
      ? `Copied ${chosen.user.username}'s .env lines for the Redis Cluster (${clusterNodes.length} nodes) to the clipboard: ${shown}. The service needs a cluster client (ioredis Redis.Cluster${from === 'host' ? ' with the natMap' : ''}); paste them into its .env and keep that file out of git.`
      : `Copied ${chosen.user.username}'s .env lines to the clipboard: ${shown}. Paste them into the service's .env and keep that file out of git.`;
    log.info(`Copied the connection lines of ${chosen.user.username} (${from}${clusterNodes ? ', cluster' : ''})`);
    void vscode.window.showInformationMessage(message);
    return {
      outcome: 'copied',
      service: chosen.user.username,
      variables: lines.variables.map(([k]) => k),
      message,
    };
  };
}
