import type { Page } from 'playwright-core';

/**
 * Times what the user sees, in the page itself: a watcher reads the Keys view's rows
 * (the row elements the workbench renders: level, label, description) whenever the side
 * bar's DOM changes (a MutationObserver: no polling that would take the workbench's CPU)
 * and stamps Date.now() when each awaited sight first holds; the click's own time is the
 * page's pointerdown, so Playwright's checks before the click do not count.
 */
export interface Awaited {
  /** A namespace row at level 1 that shows a count. */
  readonly firstNamespace?: boolean;
  /** Every top-level namespace row shows exactly this description, and the view no longer counts. */
  readonly counts?: Record<string, string>;
  /** A row at this level whose description starts with this (e.g. `list ·`). */
  readonly childRow?: { level: number; descriptionStarts?: string };
}

export interface Sights {
  readonly clickAt: number | null;
  readonly marks: Record<string, number>;
  readonly rows: string[];
}

// Runs in the page (this project's tsconfig has no DOM types, so it is plain JavaScript).
const KEYS_PANE = `() => [...document.querySelectorAll('.part.sidebar .pane')].find(
  (p) => p.querySelector('.pane-header h3.title')?.textContent?.trim().toLowerCase() === 'keys')`;

const INSTALL = `(() => {
  if (window.__keysBench) return;
  const state = { want: {}, clickAt: null, marks: {} };
  window.__keysBench = state;
  document.addEventListener('pointerdown', () => { if (state.clickAt === null) state.clickAt = Date.now(); }, true);
  const keysPane = ${KEYS_PANE};
  const check = () => {
    const want = state.want;
    if (!want.firstNamespace && !want.counts && !want.childRow) return;
    const pane = keysPane();
    if (!pane) return;
    const rows = [...pane.querySelectorAll('.monaco-list-row')].map((row) => ({
      level: Number(row.getAttribute('aria-level') ?? 0),
      label: row.querySelector('.label-name')?.textContent?.trim() ?? '',
      description: row.querySelector('.label-description')?.textContent?.trim() ?? '',
    }));
    const now = Date.now();
    if (want.firstNamespace && state.marks.firstNamespace === undefined &&
        rows.some((r) => r.level === 1 && /^[\\d,]+ keys?\\b/.test(r.description))) {
      state.marks.firstNamespace = now;
    }
    if (want.counts && state.marks.counts === undefined) {
      const counting = (pane.textContent ?? '').includes('Counting keys') || rows.some((r) => r.label.endsWith('so far…'));
      const exact = Object.entries(want.counts).every(([label, description]) =>
        rows.some((r) => r.level === 1 && r.label === label && r.description.startsWith(description)));
      if (exact && !counting) state.marks.counts = now;
    }
    if (want.childRow && state.marks.childRow === undefined) {
      const { level, descriptionStarts } = want.childRow;
      if (rows.some((r) => r.level === level && (!descriptionStarts || r.description.startsWith(descriptionStarts)))) {
        state.marks.childRow = now;
      }
    }
  };
  state.check = check;
  new MutationObserver(check).observe(document.querySelector('.monaco-workbench') ?? document.body,
    { subtree: true, childList: true, characterData: true, attributes: true, attributeFilter: ['aria-level', 'class'] });
})()`;

/** Installs the watcher (once per page). */
export async function installWatcher(page: Page): Promise<void> {
  await page.evaluate(INSTALL);
}

/** Sets what to watch for next and forgets the previous click and marks. */
export async function awaitSights(page: Page, want: Awaited): Promise<void> {
  await page.evaluate(
    `(() => { const s = window.__keysBench; s.want = ${JSON.stringify(want)}; s.clickAt = null; s.marks = {}; s.check(); })()`,
  );
}

export async function sights(page: Page): Promise<Sights> {
  return (await page.evaluate(`(() => {
    const state = window.__keysBench;
    const pane = (${KEYS_PANE})();
    const rows = [...(pane?.querySelectorAll('.monaco-list-row') ?? [])].map((row) =>
      row.getAttribute('aria-level') + ':' + row.querySelector('.label-name')?.textContent?.trim() +
      ' (' + (row.querySelector('.label-description')?.textContent?.trim() ?? '') + ')');
    return { clickAt: state.clickAt, marks: { ...state.marks }, rows };
  })()`)) as Sights;
}
