// The admin's campaign pages: make a campaign, change its settings, close it for rating.
import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN, collectErrors, signIn } from './helpers';

async function hydrated(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
}

test('an admin makes a campaign, edits it and closes it', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await signIn(page, ADMIN.name, ADMIN.password);
  const slug = `e2e-${Date.now().toString(36)}`;

  await hydrated(page, '/admin/campaign');
  await page.getByLabel(/^Slug/).fill(slug);
  await page.getByLabel('Title').fill('Limericks');
  await page.getByLabel(/^Guidelines/).fill('Rate the **rhyme**.');
  await page.getByRole('button', { name: 'Make the campaign' }).click();
  await expect(page).toHaveURL(new RegExp(`campaign=${slug}$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Limericks');
  await expect(page.getByText('No responses yet')).toBeVisible();

  // Prompts uploaded from the page; then a broken file, refused whole with its line.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  const file = page.getByLabel('File', { exact: true });
  const upload = page.getByRole('button', { name: 'Upload and import' });
  await file.setInputFiles({
    name: 'prompts.jsonl',
    mimeType: 'application/jsonl',
    buffer: Buffer.from('{"prompt": "A limerick about a cat"}\n{"prompt": "A limerick about rain"}\n'),
  });
  await upload.click();
  await expect(page.getByRole('status').filter({ hasText: 'Added' })).toContainText('Added 2 of 2 records');
  // The Generate section counts the new prompts.
  await expect(page.locator('.generate-panel')).toContainText('2 prompts');
  await file.setInputFiles({
    name: 'broken.jsonl',
    mimeType: 'application/jsonl',
    buffer: Buffer.from('{"prompt": "fine"}\n{"prompt": \n'),
  });
  await upload.click();
  const refused = page.getByRole('status').filter({ hasText: 'nothing was imported' });
  await expect(refused).toContainText('broken.jsonl: line 2');

  // A bad value is refused with the server's reason, and nothing changes.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  // (An overlap of 0 the browser itself refuses, from the field's min="1".)
  const license = page.getByLabel('Dataset license (Hub id)');
  await license.fill('no such license');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'license' })).toContainText('invalid license');
  await license.fill('cc-by-4.0');

  await page.getByLabel(/overlap/).fill('2');
  await page.getByLabel('Open for rating').uncheck();
  await page.getByLabel('Leaderboard visible without signing in').check();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('campaign.png'), fullPage: true });

  await hydrated(page, '/admin/campaigns');
  const line = page.locator(`li[data-campaign="${slug}"]`);
  await expect(line).toContainText('closed');
  await expect(line).toContainText('public board');
  await expect(line).toContainText('overlap 2');
  await expect(line).toContainText('2 prompts');
  await page.screenshot({ path: testInfo.outputPath('campaigns.png'), fullPage: true });
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);

  // Closed: nobody is dealt a card.
  const dealt = await page.request.post('/api/next_cards', { data: { campaign: slug, count: 1 } });
  expect(dealt.status()).toBe(403);
  expect((await dealt.json()).message).toContain('closed');
  // The refused save above is logged by the browser as a failed request; nothing else may be.
  expect(errors.filter((e) => !e.includes('Failed to load resource'))).toEqual([]);
});

test('annotators cannot reach the campaign pages', async ({ page }) => {
  await hydrated(page, '/admin/campaigns');
  await expect(page.getByRole('alert')).toContainText('sign in');
  const reply = await page.request.get('/api/admin_campaigns');
  expect(reply.status()).toBe(401);
});
