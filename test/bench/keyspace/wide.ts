import { NamespaceModel } from '../../../src/redis/keyspace/namespaceModel';

/** The shape of the issue's wide namespace: `user:{id}:profile|roles|sessions|settings`. */
export const WIDE_IDS = 250_000;
const LABELS = ['profile', 'roles', 'sessions', 'settings'];

export interface WideFigures {
  /** Heap + ArrayBuffers held by the complete model, bytes. */
  readonly modelBytes: number;
  /** Growth when the `user` row expands: the first page of ids and the `{id}` row's children. */
  readonly expandBytes: number;
  readonly namespaces: number;
  readonly names: number;
  readonly idGroup: string;
}

/**
 * The memory a wide namespace costs the extension host: the model of 1,000,000 keys over
 * 250,000 ids, fed to NamespaceModel.add in the walk's byte form (memory does not depend
 * on where the keys come from; the walk itself is measured above), then what expanding
 * `user` makes: the sorted first page of ids and the `{id}` pattern's children.
 */
export function wideModelFigures(measure: () => number): WideFigures {
  const before = measure();
  let model: NamespaceModel | undefined = new NamespaceModel();
  model.expectKeys(WIDE_IDS * LABELS.length);
  for (let i = 0; i < WIDE_IDS; i++) {
    // Scrambled ids, as SCAN returns them.
    const id = Math.imul(i + 1, 2654435761) >>> 0;
    for (const label of LABELS) {
      const key = Buffer.from(`user:${id}:${label}`, 'latin1');
      model.addBytes(key, 0, key.length);
    }
  }
  model.finish('complete');
  const held = measure();
  const user = model.findNamespace('user');
  const page = user?.firstChildNamespaces(200);
  const entries = user?.idGroup?.entries();
  const expanded = measure();
  const figures = {
    modelBytes: held - before,
    expandBytes: expanded - held,
    namespaces: model.namespaceCount,
    names: model.storedNames,
    idGroup: `{id}: ${user?.idGroup?.instances ?? 0} namespaces, ${user?.idGroup?.keys ?? 0} keys; ${(entries ?? []).map((e) => `${e.segment} ${e.keys}`).join(', ')} (${page?.length ?? 0} ids on the first page)`,
  };
  model = undefined;
  return figures;
}
