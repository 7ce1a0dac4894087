import { ClusterMaster } from './topology';

/** One master as its own CLUSTER NODES (`myself` line) describes it. */
export interface MasterSlots {
  readonly master: ClusterMaster;
  /** Its node id. */
  readonly id: string;
  /** The slots it serves. */
  readonly owned: ReadonlySet<number>;
  /** Slots whose keys it is receiving (`[slot-<-source]`): some are here already, some still on the source. */
  readonly importing: readonly number[];
}

/**
 * Which slots each master serves and imports, each master asked itself: only a node's own
 * line shows its MIGRATING/IMPORTING slots. A master that does not answer is left out (the
 * caller's own commands on it fail and say so).
 */
export async function readSlotState(masters: readonly ClusterMaster[]): Promise<MasterSlots[]> {
  const read = await Promise.all(
    masters.map(async (master): Promise<MasterSlots | undefined> => {
      if (!master.client) return undefined;
      let text: string;
      try {
        text = String(await master.client.call('CLUSTER', 'NODES'));
      } catch {
        return undefined;
      }
      const myself = text.split('\n').find((line) => (line.split(' ')[2] ?? '').split(',').includes('myself'));
      return myself === undefined ? undefined : parseMyself(master, myself);
    }),
  );
  return read.filter((state): state is MasterSlots => state !== undefined);
}

/** `id addr flags master ping pong epoch link 0-5460 7000 [7001-<-id] [7002->-id]`. */
function parseMyself(master: ClusterMaster, line: string): MasterSlots {
  const fields = line.trim().split(' ');
  const owned = new Set<number>();
  const importing: number[] = [];
  for (const field of fields.slice(8)) {
    const moving = /^\[(\d+)-([<>])-/.exec(field);
    if (moving) {
      if (moving[2] === '<') importing.push(Number(moving[1]));
      continue;
    }
    const [from, to] = field.split('-').map(Number);
    if (from === undefined || Number.isNaN(from)) continue;
    for (let slot = from; slot <= (to ?? from); slot++) owned.add(slot);
  }
  return { master, id: fields[0] ?? '', owned, importing };
}

/**
 * The masters that may hold keys a walk begun at `before` did not see: those importing a slot
 * (then or now), and those serving a slot now that they did not serve then (a slot moved in
 * between). Keys only leave the other masters.
 */
export function receivingMasters(before: readonly MasterSlots[], after: readonly MasterSlots[]): ClusterMaster[] {
  const earlier = new Map(before.map((state) => [state.id, state]));
  return after
    .filter((now) => {
      const then = earlier.get(now.id);
      if (now.importing.length > 0 || (then?.importing.length ?? 0) > 0) return true;
      for (const slot of now.owned) if (!then?.owned.has(slot)) return true;
      return false;
    })
    .map((state) => state.master);
}
