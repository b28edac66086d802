// The server out of reach: the page says so, keeps every decision (even across a reload),
// and delivers them once it can.
import { test, expect, type Page } from '@playwright/test';
import { card, collectErrors, currentCardId, openHydrated, pressOnCard, ratedByMe, storedLabel } from './helpers';

test('a swipe made offline survives a reload and is stored once the server answers', async ({ page }, testInfo) => {
  await openHydrated(page);
  const id = await currentCardId(page);

  // Every API call fails as if the network were gone.
  await page.route('**/api/**', (route) => route.abort('internetdisconnected'));
  await page.keyboard.press('ArrowRight');
  await expect(card(page)).not.toHaveAttribute('data-response-id', String(id));
  const pending = page.locator('p.pending');
  await expect(pending).toContainText("Can't reach swipeset: 1 waiting");
  await page.screenshot({ path: testInfo.outputPath('offline.png') });
  expect(await ratedByMe(page)).toBe(0);

  // A reload while still offline: the decision is still waiting, and its card (which the
  // server still holds for this browser) is not shown again.
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  await expect(pending).toContainText('1 waiting');
  await expect(card(page)).not.toHaveAttribute('data-response-id', String(id));
  await page.screenshot({ path: testInfo.outputPath('offline-after-reload.png') });

  // Back online: delivered, once, and the notice goes away.
  await page.unroute('**/api/**');
  await expect(pending).toHaveCount(0, { timeout: 25_000 });
  await expect.poll(() => ratedByMe(page)).toBe(1);
  expect(await storedLabel(page, id)).toBe('up');
  expect(await savedOutboxes(page)).toEqual([]);
});

/** The keys of the outboxes this browser has saved, with their decision counts. */
async function savedOutboxes(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Object.keys(localStorage)
      .filter((k) => k.startsWith('swipeset.outbox.'))
      .map((k) => `${k}: ${JSON.parse(localStorage.getItem(k)!).length}`),
  );
}

/** Errors other than the browser's own reports of requests that failed while offline. */
function realErrors(errors: string[]): string[] {
  return errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to fetch|Failed to load resource/.test(e));
}

test('after one visit the page opens offline; three cards rated offline are stored once back online', async ({ page, context }, testInfo) => {
  const errors = collectErrors(page);
  await openHydrated(page);
  // The deck fills up for offline use once someone has rated a few cards (five).
  const online: number[] = [];
  for (let i = 0; i < 5; i++) online.push(await pressOnCard(page));
  await expect.poll(() => ratedByMe(page)).toBe(5);

  // The service worker keeps the page and its bundle, and the deck fills up for offline use.
  await page.waitForFunction(async () => {
    const kept = await (await caches.open('swipeset-v1')).keys();
    const paths = kept.map((r) => new URL(r.url).pathname);
    return ['/', '/pkg/rater.js', '/pkg/rater_bg.wasm', '/pkg/rater.css'].every((p) => paths.includes(p));
  }, null, { timeout: 20_000 });
  await page.waitForFunction(() =>
    Object.keys(localStorage).some(
      (k) => k.startsWith('swipeset.deck.') && JSON.parse(localStorage.getItem(k)!).cards.length >= 8,
    ), null, { timeout: 20_000 });

  // Installed to the home screen, the app starts at the rating page, which the worker
  // controls.
  const install = await page.evaluate(async () => {
    const manifest = await (await fetch('/manifest.webmanifest')).json();
    const registration = await navigator.serviceWorker.getRegistration('/');
    return { start: manifest.start_url, display: manifest.display, scope: registration?.scope };
  });
  expect(install).toEqual({ start: '/', display: 'standalone', scope: new URL('/', page.url()).href });

  await context.setOffline(true);
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  // The kept page was made when the first card was dealt: it is not offered again.
  await expect(card(page)).not.toHaveAttribute('data-response-id', String(online[0]));
  const rated: number[] = [];
  for (let i = 0; i < 3; i++) rated.push(await pressOnCard(page));
  expect(new Set([...online, ...rated]).size).toBe(8);
  const pending = page.locator('p.pending');
  await expect(pending).toContainText('3 waiting');
  await page.screenshot({ path: testInfo.outputPath('offline-opened-from-cache.png') });

  // Opened again, still offline: the three still wait, and the next saved card shows.
  const next = await currentCardId(page);
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  await expect(pending).toContainText('3 waiting');
  await expect(card(page)).toHaveAttribute('data-response-id', String(next));

  await context.setOffline(false);
  await expect(pending).toHaveCount(0, { timeout: 30_000 });
  await expect.poll(() => ratedByMe(page)).toBe(8);
  for (const id of rated) expect(await storedLabel(page, id)).toBe('up');
  expect(await ratedByMe(page), 'each stored once').toBe(8);
  expect(realErrors(errors)).toEqual([]);
});

test("a guest's undelivered decisions are not sent after someone signs in, and signing out forgets them", async ({ page }) => {
  await openHydrated(page);
  await page.route('**/api/**', (route) => route.abort('internetdisconnected'));
  await page.keyboard.press('ArrowRight');
  await expect(page.locator('p.pending')).toContainText('1 waiting');
  const guestOutbox = await savedOutboxes(page);
  expect(guestOutbox).toEqual([expect.stringMatching(/^swipeset\.outbox\.g[0-9a-f]{16}\.haiku-demo: 1$/)]);
  await page.unroute('**/api/**');

  // Someone else signs in on this browser before the guest's rating got through.
  const name = `outbox-${Date.now()}`;
  await page.close();
  const next = await page.context().newPage();
  const signedUp = await next.request.post('/api/sign_up', { data: { name, password: 'correct horse battery' } });
  expect(signedUp.status(), await signedUp.text()).toBe(200);
  await next.goto('/');
  await expect(next.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  // The guest's decision waits under the guest's key; nothing is sent as the new user.
  await next.waitForTimeout(1_500);
  expect(await ratedByMe(next)).toBe(0);
  expect(await savedOutboxes(next)).toEqual(guestOutbox);

  // Signing out forgets every saved outbox and deck in this browser.
  await next.goto('/profile');
  await expect(next.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  await next.getByRole('button', { name: 'Sign out' }).click();
  await expect(next).toHaveURL(/\/login/);
  expect(await savedOutboxes(next)).toEqual([]);
  expect(
    await next.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('swipeset.deck.'))),
  ).toEqual([]);
});

test('a rating the server asks to wait for (429) stays queued, says why, and is stored after', async ({ page }, testInfo) => {
  await openHydrated(page);
  const id = await currentCardId(page);
  // The first two sends are refused as a busy rater's would be; then the server takes it.
  let refused = 0;
  await page.route('**/api/rate', async (route) => {
    if (refused < 2) {
      refused += 1;
      await route.fulfill({
        status: 429,
        headers: { 'retry-after': '1' },
        contentType: 'application/json',
        body: JSON.stringify({
          code: 'too_many_requests',
          message: 'too many rating requests from you at once; try again in 1 second',
        }),
      });
    } else {
      await route.continue();
    }
  });
  await page.keyboard.press('ArrowRight');
  await expect(page.locator('.toast')).toContainText('Not sent yet: too many rating requests');
  await page.screenshot({ path: testInfo.outputPath('rate-limited.png') });
  // Kept, not dropped: it arrives once the server takes it, once.
  await expect.poll(() => ratedByMe(page), { timeout: 20_000 }).toBe(1);
  expect(refused).toBe(2);
  expect(await storedLabel(page, id)).toBe('up');
});
