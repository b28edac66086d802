// The leaderboard: per-model 👍 rates with intervals, reachable from the rating screen.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { collectErrors, openHydrated, pressOnCard, ratedByMe } from './helpers';

test('ratings show up on the leaderboard, which passes the WCAG checks', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await openHydrated(page);
  for (let i = 0; i < 4; i++) await pressOnCard(page, i % 2 ? 'ArrowLeft' : 'ArrowRight');
  await expect(page.locator('p.pending')).toHaveCount(0);
  // "Nothing pending" shows before the last rating is even sent: wait for the server.
  await expect.poll(() => ratedByMe(page)).toBe(4);
  const before = await (await page.request.get('/api/leaderboard')).json();

  await page.getByRole('link', { name: 'Leaderboard' }).click();
  await expect(page).toHaveURL(/\/leaderboard\?campaign=haiku-demo$/);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  const rows = page.locator('.board-models tbody tr');
  await expect(rows).toHaveCount(3);
  await expect(page.getByRole('heading', { name: 'Leaderboard' })).toBeVisible();
  await expect(page.locator('.board-progress')).toContainText(`${before.progress.ratings} of 324 ratings`);
  expect(before.progress.ratings).toBeGreaterThanOrEqual(4);
  // Every model is named, revealed here, and the chart has one dot per model with votes.
  for (const m of before.models) {
    await expect(page.locator('.board-models')).toContainText(m.model);
  }
  // The contributors board lists this browser under a pseudonym, with its count.
  const me = before.contributors.find((c: { ratings: number }) => c.ratings === 4);
  expect(me?.name).toMatch(/^Annotator [0-9a-f]{6}$/);
  await expect(page.locator('.board-people')).toContainText(me.name);
  const voted = before.models.filter((m: { votes: number }) => m.votes > 0).length;
  await expect(page.locator('.board-chart circle')).toHaveCount(voted);
  await page.screenshot({ path: testInfo.outputPath('leaderboard.png'), fullPage: true });

  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  expect(errors).toEqual([]);
});
