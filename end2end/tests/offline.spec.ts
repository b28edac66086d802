// The server out of reach: the page says so, keeps every decision (even across a reload),
// and delivers them once it can.
import { test, expect } from '@playwright/test';
import { card, currentCardId, openHydrated, ratedByMe, storedLabel } from './helpers';

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
  expect(await page.evaluate(() => localStorage.getItem('swipeset.outbox.haiku-demo'))).toBeNull();
});
