// Takes the README's screenshot (media/screenshot.png) from a running `npm run demo`:
// the Shared Redis views with the stack running and the seed's namespaces expanded.
import { chromium } from 'playwright-core';

const url = process.argv[2] ?? 'http://127.0.0.1:8080';
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 760 } });
  await page.goto(url);
  await page.locator('.part.activitybar a.action-label[aria-label^="Shared Redis"]').click({ timeout: 60_000 });
  const keys = page
    .locator('.part.sidebar .pane')
    .filter({ has: page.locator('.pane-header h3.title', { hasText: /^Keys$/i }) });
  const row = (label) =>
    keys
      .locator('.monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: new RegExp(`^${label}$`) }) })
      .first();
  await page.locator('.statusbar-item', { hasText: 'Redis: running' }).waitFor({ timeout: 30_000 });
  for (const label of ['auth', 'session', 'user', 'profile']) {
    await row(label).waitFor({ timeout: 30_000 });
    await row(label).click();
    await page.waitForTimeout(400);
  }
  await page.mouse.move(900, 400);
  await page.waitForTimeout(500);
  await page.screenshot({ path: 'media/screenshot.png' });
  console.log('wrote media/screenshot.png');
} finally {
  await browser.close();
}
