import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { eventually } from '../../support/eventually';
import { filesUnder } from '../../support/files';

/** The workbench renders asynchronously: how long to wait for each thing to show. */
export const UI_TIMEOUT = 60_000;

/** One row of the workbench's "Extension Activation Stats" (Developer: Startup Performance), in ms. */
export interface ActivationTimes {
  readonly extension: string;
  /** VS Code's "Eager" column: activated while the window starts (`*`, workspaceContains); false for onStartupFinished. */
  readonly eager: boolean;
  /** Loading the extension's main module (require of the bundle). */
  readonly loadCode: number;
  /** The synchronous part of activate(). */
  readonly callActivate: number;
  /** Until the promise activate() returned resolved. */
  readonly finishActivate: number;
  readonly event: string;
}

export function activityBarIcon(page: Page, title: string): Locator {
  return page.locator(`.part.activitybar a.action-label[aria-label^="${title}"]`);
}

export function pane(page: Page, title: string): Locator {
  return page
    .locator('.part.sidebar .pane')
    .filter({ has: page.locator('.pane-header h3.title', { hasText: new RegExp(`^${title}$`, 'i') }) });
}

/** Runs a command by its title from the command palette. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  await page.keyboard.type(title);
  await page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row.focused', { hasText: title })
    .first()
    .waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
}

/**
 * The activation times VS Code itself recorded ($onDidActivateExtension from the
 * extension host): the "Extension Activation Stats" table of Developer: Startup
 * Performance, read through the clipboard (the editor only renders the visible lines).
 */
export async function activationTimes(page: Page): Promise<ActivationTimes[]> {
  await runCommand(page, 'Developer: Startup Performance');
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.locator('.view-lines', { hasText: 'System Info' }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  await editor.click({ position: { x: 200, y: 40 } });
  const text = await eventually(
    'the Startup Performance document on the clipboard',
    async () => {
      await page.keyboard.press('Control+A');
      await page.keyboard.press('Control+C');
      const copied = String(await page.evaluate('navigator.clipboard.readText()'));
      return copied.includes('System Info') ? copied : undefined;
    },
    { timeoutMs: UI_TIMEOUT, intervalMs: 500 },
  );
  await runCommand(page, 'View: Close All Editors');
  return parseActivationStats(text);
}

/** The rows under "## Extension Activation Stats": `| id | eager | load | call | finish | event | by |`. */
export function parseActivationStats(markdown: string): ActivationTimes[] {
  const section = markdown.split(/^## /m).find((part) => part.startsWith('Extension Activation Stats')) ?? '';
  const rows: ActivationTimes[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    if (cells.length < 8 || !/^\d+$/.test(cells[3] ?? '')) continue;
    rows.push({
      extension: cells[1] ?? '',
      eager: cells[2] === 'true',
      loadCode: Number(cells[3]),
      callActivate: Number(cells[4]),
      finishActivate: Number(cells[5]),
      event: cells[6] ?? '',
    });
  }
  return rows;
}

/** The lines of the extension host's logs (exthost*.log, remoteexthost.log) under a user-data dir. */
export function extensionHostLog(userDataDir: string): string[] {
  return filesUnder(join(userDataDir, 'logs'), (path) => /exthost[^/]*\.log$/.test(path)).flatMap((file) =>
    readFileSync(file, 'utf8').split('\n'),
  );
}
