// The export page: choices live in the URL, the preview follows them without a reload,
// and the download is the dataset the preview promised.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { readFileSync } from 'node:fs';
import { ADMIN, collectErrors, openHydrated, pressOnCard, ratedByMe, signIn } from './helpers';

test('choose an export, see what it holds, and download it', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await openHydrated(page);
  for (let i = 0; i < 3; i++) await pressOnCard(page);
  await expect(page.locator('p.pending')).toHaveCount(0);
  // "Nothing pending" shows before the last rating is even sent: wait for the server.
  await expect.poll(() => ratedByMe(page)).toBe(3);

  // Exports are for admins.
  await signIn(page, ADMIN.name, ADMIN.password);
  await page.goto('/export?campaign=haiku-demo&min_votes=9');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  // Nine votes per response is more than the demo's overlap allows: nothing to export.
  await expect(page.getByRole('alert')).toContainText('nothing to export');
  await expect(page.getByRole('button', { name: 'Download', exact: true })).toBeDisabled();
  await expect(page.getByRole('link', { name: /^Download/ })).toHaveCount(0);

  // A client-side change: the page is not reloaded, the URL follows the form.
  await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
  const minVotes = page.getByLabel('Minimum votes');
  await minVotes.fill('1');
  await minVotes.press('Tab');
  await expect(page).toHaveURL(/min_votes=1/);
  await expect(page.locator('.export-summary')).toContainText('of 108 responses have a label');
  expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);

  await page.getByLabel('Kind').selectOption('ratings');
  await expect(page).toHaveURL(/kind=ratings/);
  await expect(page.locator('.export-summary')).toContainText(/\d+ ratings/);
  // The label policy means nothing for raw ratings.
  await expect(page.getByLabel('Rule')).toBeDisabled();
  await page.screenshot({ path: testInfo.outputPath('export.png'), fullPage: true });

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Download haiku-demo-ratings.parquet' }).click(),
  ]);
  expect(download.suggestedFilename()).toBe('haiku-demo-ratings.parquet');
  const bytes = readFileSync(await download.path());
  expect(bytes.subarray(0, 4).toString()).toBe('PAR1');
  expect(bytes.subarray(bytes.length - 4).toString()).toBe('PAR1');

  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);
  expect(errors).toEqual([]);
});
