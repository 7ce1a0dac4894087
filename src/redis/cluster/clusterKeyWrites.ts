import type { Cluster } from 'ioredis';
import calculateSlot from 'cluster-key-slot';

/** One command's arguments after its name. */
export type CommandArgs = (string | Buffer | number)[];

/** The commands about one key, sent together and in order to the node that serves the key. */
export interface KeyCommands {
  readonly key: Buffer;
  readonly commands: readonly (readonly [string, CommandArgs])[];
}

/** Each command's `[error, reply]`, in the order given. */
export type CommandReplies = [Error | null, unknown][];

/** A refusal that means "ask another node": the key's commands are sent again one by one, which ioredis redirects. */
const REDIRECTED = /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b/;

/**
 * Sends keyed commands through a Cluster client: one pipeline per group of nodes that
 * serves their slots (ioredis refuses a pipeline whose keys are served by different
 * nodes), all groups at once, replies put back in the order given. A key whose commands
 * came back redirected (its slot moved since the client's slot map was read, or ioredis
 * computed another slot than Redis for an odd hash tag) is sent again command by
 * command, which ioredis follows through MOVED and ASK; ioredis does not redirect a
 * pipeline of writes itself. `run` executes a pipeline (throwing on a transport failure).
 */
export async function execKeyCommands(
  cluster: Cluster,
  ops: readonly KeyCommands[],
  run: (pipeline: ReturnType<Cluster['pipeline']>) => Promise<CommandReplies>,
): Promise<CommandReplies> {
  const groups = new Map<string, number[]>();
  ops.forEach((op, index) => {
    // The grouping ioredis checks: the slot (its own computation) → the nodes that serve it.
    const slot = calculateSlot(op.key);
    const group = cluster.slots[slot]?.join(';') ?? `unserved ${slot}`;
    let members = groups.get(group);
    if (!members) groups.set(group, (members = []));
    members.push(index);
  });
  const perOp: CommandReplies[] = new Array<CommandReplies>(ops.length);
  await Promise.all(
    [...groups.values()].map(async (members) => {
      const pipeline = cluster.pipeline();
      for (const index of members) for (const [name, args] of ops[index]?.commands ?? []) pipeline.call(name, args);
      const replies = await run(pipeline);
      let at = 0;
      for (const index of members) {
        const count = ops[index]?.commands.length ?? 0;
        perOp[index] = replies.slice(at, at + count);
        at += count;
      }
    }),
  );
  for (const [index, replies] of perOp.entries()) {
    if (!replies.some(([error]) => error !== null && REDIRECTED.test(error.message))) continue;
    const again: CommandReplies = [];
    for (const [name, args] of ops[index]?.commands ?? []) {
      again.push(
        await cluster.call(name, args).then(
          (reply): [null, unknown] => [null, reply],
          (error: unknown): [Error, null] => [error instanceof Error ? error : new Error(String(error)), null],
        ),
      );
    }
    perOp[index] = again;
  }
  return perOp.flat();
}
