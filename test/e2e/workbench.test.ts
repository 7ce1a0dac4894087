import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { e2e } from './context';

/** The workbench renders views and notifications asynchronously: wait this long for each. */
const UI_TIMEOUT = 30_000;
const PONG = /PONG in .* ms · Redis 7\./;

function activityBarIcon(page: Page): Locator {
  return page.locator('.part.activitybar a.action-label[aria-label="Shared Redis"]');
}

/** A view's pane in the side bar, found by the title in its header. */
function pane(page: Page, title: string): Locator {
  return page.locator('.part.sidebar .pane').filter({
    has: page.locator('.pane-header h3.title', { hasText: new RegExp(`^${title}$`, 'i') }),
  });
}

/** Toasts that have finished sliding in (so a screenshot shows them whole). */
function notificationMessages(page: Page): Locator {
  return page.locator('.notifications-toasts .notification-toast.notification-fade-in-done .notification-list-item-message');
}

async function screenshot(page: Page, name: string): Promise<void> {
  const path = join(e2e().screenshotsDir, name);
  await page.screenshot({ path });
  console.log(`      screenshot: ${path}`);
}

/** Runs a command by its title from the command palette: F1, type, Enter. */
async function runFromCommandPalette(page: Page, title: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  await page.keyboard.type(title);
  const focused = page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused');
  await focused.filter({ hasText: title }).first().waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  const label = (await focused.first().locator('.label-name').textContent())?.trim();
  assert.equal(label, title, `the command palette's first match is "${label}", not "${title}"`);
  await page.keyboard.press('Enter');
  await input.waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
}

describe('Shared Redis in the workbench (code-server + Chromium)', () => {
  it('opens the workbench with the Shared Redis icon in the activity bar', async () => {
    const { page, workbenchUrl } = e2e();
    await page.goto(workbenchUrl);
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    // The icon appears once the extension host has read this extension's package.json.
    await activityBarIcon(page).waitFor({ state: 'visible', timeout: 60_000 });
  });

  it('shows the Stack and Keys views with their welcome content', async () => {
    const { page } = e2e();
    await activityBarIcon(page).click();
    await page.locator('.part.sidebar .composite.title h2', { hasText: /^Shared Redis$/i })
      .waitFor({ state: 'visible', timeout: UI_TIMEOUT });

    const keys = pane(page, 'Keys');
    await keys.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    await keys.locator('.welcome-view-content p', { hasText: 'Browse the key namespaces of the shared Redis' })
      .waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    for (const button of ['Ping Redis', 'Set Password', 'Connection Settings']) {
      await keys.locator('.welcome-view-content a.monaco-button', { hasText: button })
        .waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    }

    // The Stack view probes the Docker engine when it becomes visible; either answer is
    // fine here, but the probe must finish and its welcome text must render.
    const stack = pane(page, 'Stack');
    await stack.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    const verdict = stack.locator('.welcome-view-content p', { hasText: /^(The Docker engine is running|No Docker engine answered)/ });
    await verdict.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    const button = (await verdict.textContent())?.startsWith('The Docker engine is running') ? 'Check Again' : 'Retry';
    await stack.locator('.welcome-view-content a.monaco-button', { hasText: button }).waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    console.log(`      Stack view says: ${(await verdict.textContent())?.trim() ?? ''}`);

    await activityBarIcon(page).hover(); // shows the icon's "Shared Redis" hover in the screenshot
    await page.locator('.monaco-hover, .workbench-hover', { hasText: 'Shared Redis' }).first()
      .waitFor({ state: 'visible', timeout: 5_000 }).catch(() => undefined);
    await screenshot(page, 'e2e-activity-bar.png');
  });

  it('runs "Shared Redis: Ping" from the command palette and shows PONG', async () => {
    const { page } = e2e();
    await page.mouse.move(900, 300); // away from the activity bar, so its hover closes
    await runFromCommandPalette(page, 'Shared Redis: Ping');
    const message = notificationMessages(page).filter({ hasText: /PONG|Ping failed/ }).first();
    await message.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    const text = (await message.textContent())?.trim() ?? '';
    console.log(`      notification: ${text}`);
    await screenshot(page, 'e2e-ping.png');
    assert.match(text, PONG);
  });

  it('pings from the "Ping Redis" button in the Keys view', async () => {
    const { page } = e2e();
    await runFromCommandPalette(page, 'Notifications: Clear All Notifications');
    await page.locator('.notifications-toasts .notification-toast').first().waitFor({ state: 'hidden', timeout: UI_TIMEOUT });
    await pane(page, 'Keys').locator('.welcome-view-content a.monaco-button', { hasText: 'Ping Redis' }).click();
    const message = notificationMessages(page).filter({ hasText: /PONG|Ping failed/ }).first();
    await message.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
    assert.match((await message.textContent())?.trim() ?? '', PONG);
  });
});
