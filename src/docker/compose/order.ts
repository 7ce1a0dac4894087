/**
 * Dependencies-first order of services (Kahn's algorithm, ties kept in file order), or
 * the cycle that prevents one.
 */
export function dependencyOrder(
  names: readonly string[],
  dependsOn: (name: string) => readonly string[],
): { order: string[] } | { cycle: string[] } {
  const known = new Set(names);
  const remaining = new Map(names.map((name) => [name, new Set(dependsOn(name).filter((d) => known.has(d)))]));
  const order: string[] = [];
  while (remaining.size > 0) {
    const ready = [...remaining.keys()].find((name) =>
      [...(remaining.get(name) ?? [])].every((d) => !remaining.has(d)),
    );
    if (ready === undefined) return { cycle: findCycle(remaining) };
    order.push(ready);
    remaining.delete(ready);
  }
  return { order };
}

function findCycle(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  // Every node left has a dependency left, so walking first dependencies must loop.
  const start = graph.keys().next().value as string;
  const path: string[] = [];
  let current = start;
  while (!path.includes(current)) {
    path.push(current);
    current = [...(graph.get(current) ?? [])].find((d) => graph.has(d)) ?? current;
  }
  return [...path.slice(path.indexOf(current)), current];
}
