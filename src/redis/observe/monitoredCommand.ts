import { MonitorArgument, MonitorLine, showArgument } from './monitor';
import { REDACTED, secretArgumentPositions } from './redact';

/** A monitored command ready to show: secrets redacted, arguments shortened. */
export interface MonitoredCommand {
  readonly timeMs: number;
  readonly db: number;
  /** `127.0.0.1:53422`, `lua`, `unix:/tmp/redis.sock`. */
  readonly source: string;
  /** Upper case, with its subcommand for container commands (`CONFIG SET`, `CLIENT LIST`). */
  readonly command: string;
  /** The key it touches first, for keyed commands (shortened, binary-safe); undefined otherwise. */
  readonly key: string | undefined;
  /** The key's namespace (its first segment), for rates and filters; undefined without a key. */
  readonly namespace: string | undefined;
  /** The arguments after the command (and subcommand, and key), shortened; secrets redacted. */
  readonly args: readonly string[];
  /** Arguments not shown (beyond the parser's limit). */
  readonly moreArguments: number;
}

/** Commands whose first argument is not a key (most that have none are here too, harmlessly). */
const NOT_KEYED = new Set(
  (
    'auth hello select ping echo quit reset info config client acl command monitor slowlog latency ' +
    'memory object debug scan keys randomkey dbsize flushall flushdb save bgsave bgrewriteaof lastsave ' +
    'shutdown time role replicaof slaveof sync psync replconf cluster readonly readwrite wait waitaof ' +
    'swapdb multi exec discard unwatch publish spublish subscribe psubscribe ssubscribe unsubscribe ' +
    'punsubscribe sunsubscribe pubsub script function eval evalsha eval_ro evalsha_ro fcall fcall_ro ' +
    'lolwut module failover xread xreadgroup bitop migrate'
  ).split(' '),
);

/** Container commands: their second word is part of the command's name. */
const CONTAINERS = new Set([
  'acl',
  'client',
  'cluster',
  'command',
  'config',
  'function',
  'latency',
  'memory',
  'module',
  'object',
  'pubsub',
  'script',
  'slowlog',
  'xgroup',
  'xinfo',
]);

/** Where the first key is, for commands whose key is not their first argument. */
function keyPosition(words: readonly string[], argumentCount: number): number | undefined {
  const name = words[0] ?? '';
  switch (name) {
    case 'eval':
    case 'evalsha':
    case 'eval_ro':
    case 'evalsha_ro':
    case 'fcall':
    case 'fcall_ro':
      return Number(words[2]) > 0 ? 3 : undefined;
    // numkeys key [key …]
    case 'zunion':
    case 'zinter':
    case 'zdiff':
    case 'zintercard':
    case 'sintercard':
    case 'lmpop':
    case 'zmpop':
      return Number(words[1]) > 0 ? 2 : undefined;
    // timeout numkeys key [key …]
    case 'blmpop':
    case 'bzmpop':
      return Number(words[2]) > 0 ? 3 : undefined;
    case 'bitop':
      return 2;
    case 'memory':
    case 'object':
      return words[1] === 'usage' ||
        words[1] === 'encoding' ||
        words[1] === 'freq' ||
        words[1] === 'idletime' ||
        words[1] === 'refcount'
        ? 2
        : undefined;
    case 'xread':
    case 'xreadgroup': {
      const streams = words.indexOf('streams');
      return streams > 0 ? streams + 1 : undefined;
    }
    case 'migrate':
      return words[3] === '' ? undefined : 3;
    case 'xgroup':
    case 'xinfo':
      return argumentCount > 2 ? 2 : undefined;
    default:
      return NOT_KEYED.has(name) || argumentCount < 2 ? undefined : 1;
  }
}

/**
 * Turns a parsed MONITOR line into what the profiler shows. `delimiter` splits the key's
 * namespace off (`user:profile:42` -> `user`).
 */
export function monitoredCommand(line: MonitorLine, delimiter: string, maxArgumentChars = 60): MonitoredCommand {
  const words = line.args.map((arg) => arg.bytes.toString('latin1').toLowerCase());
  const secret = secretArgumentPositions(words);
  const nameWords = CONTAINERS.has(words[0] ?? '') && words.length > 1 ? 2 : 1;
  const command = words.slice(0, nameWords).join(' ').toUpperCase();
  const keyAt = keyPosition(words, line.argumentCount);
  const keyArg: MonitorArgument | undefined = keyAt === undefined ? undefined : line.args[keyAt];
  const key = keyArg && !secret.has(keyAt as number) ? showArgument(keyArg, maxArgumentChars) : undefined;
  const args: string[] = [];
  line.args.forEach((arg, i) => {
    if (i < nameWords || i === keyAt) return;
    args.push(secret.has(i) ? REDACTED : showArgument(arg, maxArgumentChars));
  });
  return {
    timeMs: line.timeMs,
    db: line.db,
    source:
      line.source.kind === 'client'
        ? line.source.addr
        : line.source.kind === 'lua'
          ? 'lua'
          : `unix:${line.source.path}`,
    command,
    key,
    namespace: keyArg ? namespaceOf(keyArg.bytes, delimiter) : undefined,
    args,
    moreArguments: line.argumentCount - line.args.length,
  };
}

/** The key's first segment; the whole key when it has no delimiter (a key outside every namespace). */
function namespaceOf(key: Buffer, delimiter: string): string {
  const text = key.toString('utf8');
  const at = delimiter === '' ? -1 : text.indexOf(delimiter);
  return at < 0 ? '(no namespace)' : text.slice(0, at);
}
