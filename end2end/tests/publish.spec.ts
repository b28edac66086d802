// Publishing from the export page to the (stand-in) Hugging Face Hub: the token is checked
// with the Hub, kept on the server and never shown again; the chosen export becomes one
// commit in a new private repository; publishing the same data again makes no commit.
import { test, expect } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN, collectErrors, openHydrated, pressOnCard, ratedByMe, signIn } from './helpers';
import { HUB_READ_TOKEN, HUB_TOKEN, hubPort } from '../playwright.config';

const REPO = 'e2e-user/haiku-demo-ratings';

async function hubRepo(repo: string) {
  const res = await fetch(`http://127.0.0.1:${hubPort}/_standin/repos/${repo}`);
  return res.ok ? res.json() : null;
}

test('save a Hub token and publish the chosen export as one commit', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await openHydrated(page);
  for (let i = 0; i < 2; i++) await pressOnCard(page);
  await expect.poll(() => ratedByMe(page)).toBeGreaterThanOrEqual(2);

  await signIn(page, ADMIN.name, ADMIN.password);
  await page.goto('/export?campaign=haiku-demo&kind=ratings');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  const panel = page.locator('.hub-panel');
  await expect(panel.locator('.hub-token-source')).toContainText('No token yet');
  await expect(panel.getByRole('button', { name: 'Publish this export' })).toBeDisabled();

  // A token the Hub does not know, then a read token: both refused with the reason.
  const token = panel.getByLabel('Hugging Face token');
  await token.fill('hf_not_a_real_token');
  await panel.getByRole('button', { name: 'Save token' }).click();
  await expect(panel.getByRole('alert').first()).toContainText('401 Unauthorized');
  await token.fill(HUB_READ_TOKEN);
  await panel.getByRole('button', { name: 'Save token' }).click();
  await expect(panel.getByRole('alert').first()).toContainText('is a read token');

  await token.fill(HUB_TOKEN);
  await panel.getByRole('button', { name: 'Save token' }).click();
  await expect(panel.locator('.hub-token-source')).toContainText('saved token of e2e-user');
  // Kept on the server: not in the page, not in what the API answers.
  expect(await page.content()).not.toContain(HUB_TOKEN);
  const status = await page.request.get('/api/hub_status');
  expect(await status.text()).not.toContain(HUB_TOKEN);

  // The repository's name is suggested from the token's owner, the campaign and the kind.
  await expect(panel.getByLabel('Dataset repository (owner/name)')).toHaveValue(REPO);
  await expect(panel.getByLabel('Private (when the repository is new)')).toBeChecked();
  await panel.getByRole('button', { name: 'Publish this export' }).click();
  await expect(panel.getByRole('status')).toContainText(`to ${REPO} (new repository)`, { timeout: 20_000 });
  await expect(panel.getByRole('link', { name: 'see the commit' })).toHaveAttribute(
    'href',
    new RegExp(`/datasets/${REPO}/commit/`),
  );
  const received = await hubRepo(REPO);
  expect(received.private).toBe(true);
  expect(received.paths).toEqual(['.gitattributes', 'README.md', 'data/train-00000-of-00001.parquet']);
  expect(received.commits).toHaveLength(2);
  await page.screenshot({ path: testInfo.outputPath('publish.png'), fullPage: true });

  // The same data again: no commit.
  await panel.getByRole('button', { name: 'Publish this export' }).click();
  await expect(panel.getByRole('status')).toContainText('holds this data already: no new commit');
  expect((await hubRepo(REPO)).commits).toHaveLength(2);

  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(results.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  await panel.getByRole('button', { name: 'Forget the saved token' }).click();
  await expect(panel.locator('.hub-token-source')).toContainText('No token yet');
  await expect(panel.getByRole('button', { name: 'Publish this export' })).toBeDisabled();
  // The refused tokens above were answered 400 on purpose; anything else is a fault.
  expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
});
