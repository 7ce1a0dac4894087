import type { SharedRedisInternals } from '../../../src/secondStage';

/** The Stack view's rows as a user reads them: label and description. */
export async function stackRows(shared: SharedRedisInternals): Promise<string[]> {
  const provider = shared.views.stack;
  const rows = await provider.getChildren();
  return rows.map((row) => {
    const item = provider.getTreeItem(row);
    return `${String(item.label)} — ${String(item.description ?? '')}`;
  });
}

/** The users row of a fixture stack: its .env has the operator's password and no service's yet. */
export const USERS_ROW = 'Redis users — operator + 0 services · 3 to add';
