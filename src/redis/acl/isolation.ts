import { randomBytes } from 'node:crypto';
import type Redis from 'ioredis';
import { connectRedis } from '../connection';
import { RedisEndpoint } from '../endpoint';
import { classifyRedisError } from '../errors';
import { toBinary } from '../keyspace/binary';
import { globMatches } from '../keyspace/glob';
import { SHARED_NAMESPACE } from './rules';
import { IsolationNode, isolationNodes } from '../cluster/clusterIsolation';

export interface ServiceLogin {
  readonly namespace: string;
  readonly username: string;
  readonly password: string;
}

export type Outcome = 'allowed' | 'refused';

export interface IsolationCheck {
  readonly service: string;
  /** What was tried, e.g. `SET user:… (another service's namespace)`. */
  readonly check: string;
  readonly expected: Outcome;
  /** `error` when the check could not run (the text says why). */
  readonly actual: Outcome | 'error';
  /** The server's answer, shortened. */
  readonly answer: string;
  /** For a breach: the ACL rule that allowed it. */
  readonly rule?: string | undefined;
  /** On a Redis Cluster, the node (`host:port`, master or replica) it ran on: ACL users are per node. */
  readonly node?: string | undefined;
  /** On a Redis Cluster, that node's role. */
  readonly nodeRole?: 'master' | 'replica' | undefined;
}

export interface IsolationReport {
  readonly checks: readonly IsolationCheck[];
  readonly breaches: readonly IsolationCheck[];
  readonly errors: readonly IsolationCheck[];
}

/** Commands no service may run; checked with `ACL DRYRUN`, never executed on the shared server. */
export const DENIED_PROBES: readonly (readonly string[])[] = [
  ['FLUSHALL'],
  ['FLUSHDB'],
  ['KEYS', '*'],
  ['CONFIG', 'SET', 'maxmemory', '0'],
  ['CONFIG', 'GET', 'maxmemory'],
  ['ACL', 'LIST'],
  ['ACL', 'SETUSER', 'intruder', 'on'],
  ['DEBUG', 'SLEEP', '0'],
  ['SHUTDOWN', 'NOSAVE'],
  ['MODULE', 'LIST'],
  ['MONITOR'],
  ['SWAPDB', '0', '1'],
  ['CLIENT', 'KILL', 'TYPE', 'normal'],
  ['SCRIPT', 'KILL'],
  // Server-wide: each stops, rewrites or wipes what every service shares (rules.ts denies them
  // by category or by name; a grant added by hand later is what this finds).
  ['SCRIPT', 'FLUSH'],
  ['FUNCTION', 'FLUSH'],
  ['FUNCTION', 'DELETE', 'probe'],
  ['REPLICAOF', 'NO', 'ONE'],
  ['FAILOVER'],
  ['CLIENT', 'PAUSE', '1'],
  ['SAVE'],
  ['BGSAVE'],
  ['BGREWRITEAOF'],
  ['CONFIG', 'RESETSTAT'],
  ['SLOWLOG', 'RESET'],
  ['LATENCY', 'RESET'],
  ['RANDOMKEY'],
];

const PROBE_TTL_MS = '60000';

/**
 * Proves each service user's limits on the live server. Key reads and writes run for real
 * on probe keys (60 s TTL, removed afterwards); dangerous commands are only simulated with
 * `ACL DRYRUN` as the operator, so a breach can never flush or stop the shared Redis.
 */
export async function verifyIsolation(options: {
  readonly endpoint: RedisEndpoint;
  readonly operator: Redis;
  readonly services: readonly ServiceLogin[];
  readonly delimiter: string;
  /** Called as each service's checks on a node finish, for progress: the `done`th of `total`. */
  readonly onService?: (username: string, done: number, total: number) => void;
}): Promise<IsolationReport> {
  const { services, delimiter } = options;
  const checks: IsolationCheck[] = [];
  const probeId = randomBytes(6).toString('hex');
  // On a cluster every node (replicas too) keeps its own ACL users: each is checked on its own.
  const targets = await isolationNodes(options.endpoint, options.operator, probeId);
  try {
    const total = services.length * targets.nodes.length;
    let done = 0;
    for (const node of targets.nodes) {
      await verifyOnNode(node, services, delimiter, probeId, checks, (username) =>
        options.onService?.(node.address === undefined ? username : `${username} on ${node.address}`, ++done, total),
      );
    }
  } finally {
    targets.close();
  }
  return {
    checks,
    breaches: checks.filter((c) => c.actual !== 'error' && c.actual !== c.expected),
    errors: checks.filter((c) => c.actual === 'error'),
  };
}

/**
 * Every service's checks on one node (the server, or one master or replica of a cluster),
 * appended to `checks`. A replica takes no writes: its reads run for real (after READONLY,
 * as a client reading from replicas does), its writes are simulated with ACL DRYRUN, since
 * its users are the ones in force once a failover makes it the master.
 */
async function verifyOnNode(
  node: IsolationNode,
  services: readonly ServiceLogin[],
  delimiter: string,
  probeId: string,
  checks: IsolationCheck[],
  onService: (username: string) => void,
): Promise<void> {
  const { endpoint, operator } = node;
  if (operator === undefined || node.unreachable !== undefined) {
    // Not one check could run there: each service says why, so the node is named, never skipped.
    for (const service of services) {
      checks.push({
        service: service.username,
        check: 'reach the node to check its users',
        expected: 'allowed',
        actual: 'error',
        answer: shorten(node.unreachable ?? 'no connection'),
        node: node.address,
        nodeRole: node.role === 'server' ? undefined : node.role,
      });
      onService(service.username);
    }
    return;
  }
  // On a cluster the probe keys share a hash tag this master serves: they land here, in one slot (EVAL takes two of them).
  const probeKey = (ns: string): string =>
    `${ns}${delimiter}__shared_redis_isolation_probe__${delimiter}${node.hashTag === undefined ? probeId : `{${node.hashTag}}`}`;
  const written = new Set<string>();
  const replica = node.role === 'replica';
  const simulated = replica ? ' (simulated with ACL DRYRUN: a replica takes no writes)' : '';

  for (const service of services) {
    const ownKey = probeKey(service.namespace);
    const add = async (
      check: string,
      expected: Outcome,
      run: () => Promise<Outcome | { outcome: Outcome; answer: string }>,
      breachRule?: () => Promise<string | undefined>,
    ): Promise<void> => {
      let actual: Outcome | 'error';
      let answer: string;
      try {
        const result = await run();
        actual = typeof result === 'string' ? result : result.outcome;
        answer = typeof result === 'string' ? (result === 'allowed' ? 'OK' : 'NOPERM') : result.answer;
      } catch (error) {
        actual = 'error';
        answer = error instanceof Error ? error.message : String(error);
      }
      const rule =
        actual !== 'error' && actual !== expected && breachRule ? await breachRule().catch(() => undefined) : undefined;
      checks.push({
        service: service.username,
        check,
        expected,
        actual,
        answer: shorten(answer),
        rule,
        node: node.address,
        nodeRole: node.role === 'server' ? undefined : node.role,
      });
    };

    let client: Redis;
    try {
      // No ready check: INFO is the one thing a failed login would make it ask.
      client = await connectRedis(
        { ...endpoint, username: service.username },
        { password: service.password },
        { timeoutMs: 5000, maxReconnects: 0, connectionName: 'shared-redis-isolation-check' },
      );
    } catch (error) {
      checks.push({
        service: service.username,
        check: 'log in with its password from .env',
        expected: 'allowed',
        actual: 'error',
        answer: shorten(classifyRedisError(error, { ...endpoint, username: service.username }).message),
        node: node.address,
        nodeRole: node.role === 'server' ? undefined : node.role,
      });
      onService(service.username);
      continue;
    }
    try {
      // Without READONLY a replica redirects every keyed command to its master.
      if (replica) await client.call('READONLY').catch(() => undefined);
      const keyRule = (key: string, write: boolean) => () => explainKeyAccess(operator, service.username, key, write);
      const commandRule = (args: readonly string[]) => () => explainCommand(operator, service.username, args);
      const tryKey = (
        args: string[],
        key: string,
        write: boolean,
      ): Promise<Outcome | { outcome: Outcome; answer: string }> =>
        replica && write
          ? dryRun(operator, service.username, args)
          : runKeyCommand(client, args).then((r) => {
              if (r.outcome === 'allowed' && write) written.add(key);
              return r;
            });

      await add(`SET ${ownKey} (its own namespace)${simulated}`, 'allowed', () =>
        tryKey(['SET', ownKey, 'probe', 'PX', PROBE_TTL_MS], ownKey, true),
      );
      await add(`GET ${ownKey} (its own namespace)`, 'allowed', async () => {
        const r = await runKeyCommand(client, ['GET', ownKey]);
        // Nothing was written on a replica: any value read is the read allowed.
        return !replica && r.outcome === 'allowed' && r.answer !== 'probe'
          ? { outcome: 'refused', answer: `read back ${r.answer}` }
          : r;
      });
      await add(`UNLINK ${ownKey} (its own namespace)${simulated}`, 'allowed', () =>
        tryKey(['UNLINK', ownKey], ownKey, true),
      );

      const sharedKey = probeKey(SHARED_NAMESPACE);
      if (service.namespace !== SHARED_NAMESPACE) {
        await add(`GET ${sharedKey} (read the shared namespace)`, 'allowed', () =>
          runKeyCommand(client, ['GET', sharedKey]),
        );
        await add(
          `SET ${sharedKey} (write the shared namespace)${simulated}`,
          'refused',
          () => tryKey(['SET', sharedKey, 'probe', 'PX', PROBE_TTL_MS], sharedKey, true),
          keyRule(sharedKey, true),
        );
      }
      for (const other of services) {
        if (other.namespace === service.namespace || other.namespace === SHARED_NAMESPACE) continue;
        const key = probeKey(other.namespace);
        const whose = `(${other.username}'s namespace)`;
        await add(`GET ${key} ${whose}`, 'refused', () => runKeyCommand(client, ['GET', key]), keyRule(key, false));
        await add(
          `SET ${key} ${whose}${simulated}`,
          'refused',
          () => tryKey(['SET', key, 'probe', 'PX', PROBE_TTL_MS], key, true),
          keyRule(key, true),
        );
        await add(
          `UNLINK ${key} ${whose}${simulated}`,
          'refused',
          () => tryKey(['UNLINK', key], key, true),
          keyRule(key, true),
        );
        // A replica serves EVAL_RO (a script that only reads); ACL DRYRUN would not look inside a script.
        const evalCommand = replica ? 'EVAL_RO' : 'EVAL';
        await add(
          `${evalCommand} reading ${key} with only ${ownKey} declared`,
          'refused',
          () => runKeyCommand(client, [evalCommand, "return redis.call('GET', ARGV[1])", '1', ownKey, key]),
          keyRule(key, false),
        );
      }
      // Channels: ACL DRYRUN as the operator, so nothing is published or subscribed for real.
      const channelRule = () => explainChannels(operator, service.username);
      await add(`PUBLISH ${ownKey} probe (its own namespace, simulated with ACL DRYRUN)`, 'allowed', () =>
        dryRun(operator, service.username, ['PUBLISH', ownKey, 'probe']),
      );
      for (const other of services) {
        if (other.namespace === service.namespace) continue;
        const channel = probeKey(other.namespace);
        const whose = `(${other.username}'s namespace, simulated with ACL DRYRUN)`;
        await add(
          `PUBLISH ${channel} probe ${whose}`,
          'refused',
          () => dryRun(operator, service.username, ['PUBLISH', channel, 'probe']),
          channelRule,
        );
        await add(
          `SUBSCRIBE ${channel} ${whose}`,
          'refused',
          () => dryRun(operator, service.username, ['SUBSCRIBE', channel]),
          channelRule,
        );
      }
      // MIGRATE names a key: its own, so that only the command decides.
      for (const args of [...DENIED_PROBES, ['MIGRATE', '127.0.0.1', '1', ownKey, '0', '1']]) {
        await add(
          `${args.join(' ')} (denied command, simulated with ACL DRYRUN)`,
          'refused',
          () => dryRun(operator, service.username, args),
          commandRule(args),
        );
      }
    } finally {
      client.disconnect();
      onService(service.username);
    }
  }
  // Probe keys a breach let through, removed as the operator.
  if (written.size > 0) await operator.unlink(...written).catch(() => undefined);
}

/** Runs a command as the service; NOPERM (and a script's refusal) is `refused`, any other error is thrown. */
async function runKeyCommand(client: Redis, args: readonly string[]): Promise<{ outcome: Outcome; answer: string }> {
  const [command, ...rest] = args;
  try {
    const reply = await client.call(command ?? '', ...rest);
    return { outcome: 'allowed', answer: reply === null ? '(nil)' : String(reply) };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (isRefusal(message)) return { outcome: 'refused', answer: message };
    throw error;
  }
}

export function isRefusal(message: string): boolean {
  return /NOPERM|no permissions|can't access at least one of the keys/i.test(message);
}

/** `ACL DRYRUN` answers OK when the user could run the command, or the reason it could not. */
async function dryRun(
  operator: Redis,
  username: string,
  args: readonly string[],
): Promise<{ outcome: Outcome; answer: string }> {
  const reply = String(await operator.call('ACL', 'DRYRUN', username, ...args));
  return { outcome: reply === 'OK' ? 'allowed' : 'refused', answer: reply };
}

interface UserRules {
  readonly line: string;
  readonly commands: readonly string[];
  readonly keys: readonly string[];
}

async function userRules(operator: Redis, username: string): Promise<UserRules> {
  const reply = (await operator.call('ACL', 'GETUSER', username)) as unknown[];
  const fields = new Map<string, unknown>();
  for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
  const commands = String(fields.get('commands') ?? '')
    .split(' ')
    .filter(Boolean);
  const keys = String(fields.get('keys') ?? '')
    .split(' ')
    .filter(Boolean);
  const lines = ((await operator.call('ACL', 'LIST')) as unknown[]).map(String);
  const line = lines.find((l) => l.startsWith(`user ${username} `)) ?? `user ${username}`;
  // The password hash is no secret, but it is noise in a report.
  return { line: line.replace(/#[0-9a-f]{64}/g, '#…'), commands, keys };
}

/** The key pattern that let a user read or write a key it should not. */
async function explainKeyAccess(
  operator: Redis,
  username: string,
  key: string,
  write: boolean,
): Promise<string | undefined> {
  const rules = await userRules(operator, username);
  const pattern = rules.keys.find((p) => {
    const match = /^(%(R|W|RW))?~(.*)$/.exec(p);
    if (!match) return p === 'allkeys';
    const perm = match[2] ?? 'RW';
    if (write ? !perm.includes('W') : !perm.includes('R')) return false;
    return globMatches(toBinary(Buffer.from(match[3] ?? '')), toBinary(Buffer.from(key)));
  });
  return pattern ? `key pattern \`${pattern}\` in \`${rules.line}\`` : `\`${rules.line}\``;
}

/** The channel patterns that let a user publish or subscribe where it should not. */
async function explainChannels(operator: Redis, username: string): Promise<string | undefined> {
  const reply = (await operator.call('ACL', 'GETUSER', username)) as unknown[];
  const at = reply.findIndex((field) => String(field) === 'channels');
  const channels = at >= 0 ? String(reply[at + 1] ?? '') : '';
  const rules = await userRules(operator, username);
  return channels ? `channel patterns \`${channels}\` in \`${rules.line}\`` : `\`${rules.line}\``;
}

/** The last command rule (`+cmd`, `+@category`, `+@all`) that decides a command for the user. */
async function explainCommand(operator: Redis, username: string, args: readonly string[]): Promise<string | undefined> {
  const rules = await userRules(operator, username);
  const name = (args[0] ?? '').toLowerCase();
  const full = args.length > 1 ? `${name}|${(args[1] ?? '').toLowerCase()}` : name;
  const info = (await operator.call('COMMAND', 'INFO', name)) as unknown[][];
  const categories = ((info[0]?.[6] as unknown[] | undefined) ?? []).map((c) => String(c).replace(/^@/, ''));
  let decisive: string | undefined;
  for (const token of rules.commands) {
    const target = token.slice(1).toLowerCase();
    const applies =
      target === '@all' ||
      target === name ||
      target === full ||
      (target.startsWith('@') && categories.includes(target.slice(1)));
    if (applies) decisive = token;
  }
  if (!decisive) return `\`${rules.line}\``;
  // Redis folds a `-cmd` undone by a later `+cmd` into the broad grant: name what is missing.
  const missing = decisive.startsWith('+@') ? ` with no \`-${full}\` after it` : '';
  return `\`${decisive}\`${missing} in \`${rules.line}\``;
}

function shorten(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 140 ? `${line.slice(0, 139)}…` : line;
}

/** The report as Markdown: a summary, then one table per service. */
export function isolationMarkdown(report: IsolationReport, where: string, when: Date): string {
  const out = [
    `# Namespace isolation on ${where}`,
    '',
    `Checked ${when.toISOString()}: ${report.checks.length} checks, ` +
      `${report.breaches.length} breach${report.breaches.length === 1 ? '' : 'es'}, ${report.errors.length} could not run.`,
    '',
  ];
  for (const breach of report.breaches) {
    out.push(
      `- **Breach:** ${breach.service}${onNode(breach)} — ${breach.check}: ${breach.actual}, expected ${breach.expected}. Allowed by ${breach.rule ?? 'an unknown rule'}.`,
    );
  }
  if (report.breaches.length > 0) out.push('');
  // One table per service, and on a cluster per service and master.
  const sections = [...new Set(report.checks.map((c) => `${c.service}${onNode(c)}`))];
  for (const section of sections) {
    out.push(`## ${section}`, '', '| Check | Expected | Result | Server answer |', '|---|---|---|---|');
    for (const c of report.checks.filter((x) => `${x.service}${onNode(x)}` === section)) {
      const mark =
        c.actual === 'error' ? '⚠ could not run' : c.actual === c.expected ? `✓ ${c.actual}` : `✗ **${c.actual}**`;
      out.push(`| ${cell(c.check)} | ${c.expected} | ${mark} | ${cell(c.answer)} |`);
    }
    out.push('');
  }
  const nodes = new Set(report.checks.map((c) => c.node).filter((n) => n !== undefined));
  if (nodes.size > 0) {
    out.push(
      `Redis Cluster: every node keeps its own ACL users, so each service was checked on each of the ${nodes.size} nodes (${clusterNodeCounts(report)}; a user changed on one node only is found there; a replica serves reads to clients that sent READONLY, and its users are in force after a failover).`,
    );
  }
  out.push(
    'Key reads and writes ran for real on probe keys with a 60 s TTL, deleted afterwards. Denied commands were simulated with `ACL DRYRUN`, never run.',
    'Redis has no per-pattern permission for `SCAN`: a service can list key names of other namespaces, but not read their values.',
    '',
  );
  return out.join('\n');
}

/**
 * On a cluster: the nodes that have breaches when the other nodes have none, i.e. those
 * nodes' users differ from the others' (each node keeps its own ACL users: ACL SETUSER on one
 * node changes that node only); undefined when every checked node has breaches, or on a
 * single server.
 */
export function breachedOnlySomeNodes(report: IsolationReport): string[] | undefined {
  const nodes = new Set(report.checks.map((c) => c.node).filter((n) => n !== undefined));
  const breached = [...new Set(report.breaches.map((b) => b.node).filter((n) => n !== undefined))];
  return breached.length > 0 && breached.length < nodes.size ? breached : undefined;
}

/** ` on 127.0.0.1:7002` for a check that ran on one node of a cluster. */
export function onNode(check: IsolationCheck): string {
  return check.node === undefined ? '' : ` on ${check.node}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** `3 masters and 3 replicas`: the cluster nodes a report's checks ran on (or were to run on), by role. */
export function clusterNodeCounts(report: IsolationReport): string {
  const count = (role: 'master' | 'replica'): number =>
    new Set(report.checks.filter((c) => c.nodeRole === role).map((c) => c.node)).size;
  const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
  const replicas = count('replica');
  return `${plural(count('master'), 'master')}${replicas > 0 ? ` and ${plural(replicas, 'replica')}` : ''}`;
}
