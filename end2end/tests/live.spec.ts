// The live leaderboard: one person rates while another watches /leaderboard; the board
// changes within a second, without a reload, and recovers by itself when the server
// restarts.
import { test, expect, type APIRequestContext, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** Rates one dealt card as the browser behind `request`; resolves on the server's answer. */
async function rateOne(request: APIRequestContext, base = ''): Promise<void> {
  const dealt = await (await request.post(`${base}/api/next_cards`, { data: { count: 1, holding: [] } })).json();
  const id = dealt.cards[0].response_id;
  const reply = await request.post(`${base}/api/rate`, { data: { response_id: id, label: 'up' } });
  expect(reply.ok()).toBe(true);
}

const ratingsShown = (page: Page) => page.locator('.board-progress strong').first();

test('the board follows ratings made elsewhere within a second', async ({ page, browser }, testInfo) => {
  await page.goto('/leaderboard?campaign=haiku-demo');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  await expect(page.locator('.board-live')).toHaveAttribute('data-live', 'true');
  const before = Number(await ratingsShown(page).textContent());

  // Someone else, in another browser, rates three responses.
  const rater = await browser.newContext();
  for (let i = 1; i <= 3; i++) {
    await rateOne(rater.request, testInfo.project.use.baseURL);
    const acknowledged = Date.now();
    await expect(ratingsShown(page)).toHaveText(String(before + i), { timeout: 1_000 });
    expect(Date.now() - acknowledged).toBeLessThan(1_000);
  }
  await page.screenshot({ path: testInfo.outputPath('live.png'), fullPage: true });
  await rater.close();
});

test('after a server restart the board reconnects and stays live', async ({ page, playwright }, testInfo) => {
  test.setTimeout(60_000);
  const bin = process.env.SWIPESET_BIN ?? resolve(__dirname, '../../target/release/swipeset');
  const siteRoot = process.env.SWIPESET_SITE_ROOT ?? resolve(__dirname, '../../target/site');
  const dir = mkdtempSync(join(tmpdir(), 'swipeset-live-'));
  const port = 3117;
  const base = `http://127.0.0.1:${port}`;
  const start = (): ChildProcess =>
    spawn(bin, ['serve', '--demo', '--guests', '--addr', `127.0.0.1:${port}`, '--site-root', siteRoot,
      '--database-url', `sqlite://${dir}/swipeset.db`], { stdio: 'ignore' });
  const healthy = async () => {
    for (let i = 0; i < 100; i++) {
      try {
        if ((await fetch(`${base}/healthz`)).ok) return;
      } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the server did not come up');
  };
  let server = start();
  try {
    await healthy();
    await page.goto(`${base}/leaderboard?campaign=haiku-demo`);
    await expect(page.locator('.board-live')).toHaveAttribute('data-live', 'true', { timeout: 15_000 });

    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
    await expect(page.locator('.board-live')).toHaveAttribute('data-live', 'false', { timeout: 10_000 });
    await expect(page.locator('.board-live')).toHaveText('○ Reconnecting…');
    await page.screenshot({ path: testInfo.outputPath('reconnecting.png') });

    server = start();
    await healthy();
    await expect(page.locator('.board-live')).toHaveAttribute('data-live', 'true', { timeout: 15_000 });
    const before = Number(await ratingsShown(page).textContent());
    const rater = await playwright.request.newContext();
    await rateOne(rater, base);
    await expect(ratingsShown(page)).toHaveText(String(before + 1), { timeout: 1_000 });
    await rater.dispose();
  } finally {
    server.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});
