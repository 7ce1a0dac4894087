import type { NamespaceModel, NamespaceNode } from './namespaceModel';

/** What a list of namespaces to choose from holds, and how many it leaves out. */
export interface NamespaceChoices {
  /** In tree order: each namespace before its children, siblings largest first. */
  readonly nodes: readonly NamespaceNode[];
  /** Namespaces of the model not among `nodes`. */
  readonly notListed: number;
}

/**
 * At most `limit` namespaces of a walked model for a person to choose from: the shallowest
 * first and, at each depth, the largest first, so that every top-level namespace is
 * offered before the thousands of ids under one of them (`user:1`, `user:2` …) take the
 * room. A namespace is offered only with its parent.
 */
export function namespaceChoices(model: NamespaceModel, limit: number): NamespaceChoices {
  const chosen = new Set<NamespaceNode>();
  let depth: NamespaceNode[] = model.root.childNamespaces('count');
  while (depth.length > 0 && chosen.size < limit) {
    const taken = depth.slice(0, limit - chosen.size);
    for (const node of taken) chosen.add(node);
    depth = taken.flatMap((node) => node.childNamespaces('count')).sort((a, b) => b.count - a.count);
  }
  const nodes: NamespaceNode[] = [];
  const visit = (node: NamespaceNode): void => {
    for (const child of node.childNamespaces('count')) {
      if (!chosen.has(child)) continue;
      nodes.push(child);
      visit(child);
    }
  };
  visit(model.root);
  // Past maxNamespaces the model counts a node's untracked child namespaces without nodes.
  let untracked = 0;
  const count = (node: NamespaceNode): void => {
    untracked += node.untrackedNamespaces;
    // The cached order: no sort of every node's children for a count.
    for (const child of node.sortedChildNamespaces()) count(child);
  };
  count(model.root);
  return { nodes, notListed: Math.max(0, model.namespaceCount - nodes.length) + untracked };
}
