// The campaign page's Generate section, against the stand-in OpenAI-compatible endpoint
// (core/standins, started by playwright.config.ts): models saved from the form, a run
// started, followed live, paused and resumed; a models.toml uploaded; failures shown with
// their reason and asked again; a key variable that is not set refused before any request.
import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN, collectErrors, signIn } from './helpers';
import { openaiPort } from '../playwright.config';

const BASE_URL = `http://127.0.0.1:${openaiPort}/v1`;

async function campaignWithPrompts(page: Page, slug: string, prompts: number): Promise<void> {
  const made = await page.request.post('/api/save_campaign', {
    data: {
      settings: {
        slug, title: 'Generated', guidelines: '', overlap: 1, reveal_models: false, open: true,
        public_board: false, license: 'cc-by-4.0', system_prompt: '',
      },
      create: true,
    },
  });
  expect(made.status()).toBe(200);
  const lines = Array.from({ length: prompts }, (_, i) => JSON.stringify({ prompt: `Haiku ${i}` })).join('\n');
  const imported = await page.request.post(`/api/campaigns/${slug}/import?what=prompts&file_name=p.jsonl`, {
    headers: { 'content-type': 'application/octet-stream' },
    data: Buffer.from(lines),
  });
  expect(imported.status()).toBe(200);
}

test('an admin generates responses from the campaign page', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await signIn(page, ADMIN.name, ADMIN.password);
  const slug = `gen-${Date.now().toString(36)}`;
  await campaignWithPrompts(page, slug, 4);
  await page.goto(`/admin/campaign?campaign=${slug}`);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });

  const panel = page.locator('.generate-panel');
  await expect(panel).toContainText('4 prompts');
  // The section hydrates after the page (its own request): its Save button says when.
  await expect(panel.getByRole('button', { name: 'Save models' })).toBeEnabled();
  await expect(panel.getByRole('button', { name: 'Start' })).toBeDisabled();
  await panel.getByLabel('Name (on the leaderboard)').fill('Stand-in');
  await panel.getByLabel('Base URL (OpenAI-compatible)').fill(BASE_URL);
  await panel.getByLabel('Model id').fill('slow-700');
  await panel.getByLabel('Requests at once').fill('1');
  await panel.getByRole('button', { name: 'Save models' }).click();
  await expect(panel.getByText('Models saved.')).toBeVisible();
  await expect(panel.locator('summary').first()).toHaveText('Models (1)');

  // Started, followed live, paused, resumed.
  await panel.getByRole('button', { name: 'Start' }).click();
  const state = panel.locator('.generate-state');
  await expect(state).toHaveAttribute('data-state', 'running');
  const line = panel.locator('.generate-line[data-model="Stand-in"]');
  await expect(line).toContainText(/[12] of 4 done/, { timeout: 10_000 });
  await page.screenshot({ path: testInfo.outputPath('generate-running.png'), fullPage: true });
  await panel.getByRole('button', { name: 'Pause' }).click();
  await expect(state).toHaveAttribute('data-state', 'paused');
  await panel.getByRole('button', { name: 'Resume' }).click();
  await expect(state).toHaveAttribute('data-state', 'finished', { timeout: 15_000 });
  await expect(panel.locator('.token-line[data-model="Stand-in"]')).toContainText('4 responses');

  // A models.toml with a model the endpoint refuses: its failures, then "Retry failed".
  const toml = [
    '[[model]]', 'name = "Stand-in"', `base_url = "${BASE_URL}"`, 'model = "fast"', '',
    '[[model]]', 'name = "Refusing"', `base_url = "${BASE_URL}"`, 'model = "rejecting"', '',
  ].join('\n');
  await panel.getByLabel('Or upload a models.toml').setInputFiles({
    name: 'models.toml', mimeType: 'text/plain', buffer: Buffer.from(toml),
  });
  await expect(panel.locator('summary').first()).toHaveText('Models (2)');
  await panel.getByRole('button', { name: 'Start' }).click();
  await expect(state).toHaveAttribute('data-state', 'finished', { timeout: 15_000 });
  await expect(state).toContainText('Refusing: 0 done, 4 failed (HTTP 400');
  await expect(panel.locator('.token-line[data-model="Refusing"]')).toContainText('0 done, 4 failed');
  await panel.getByRole('button', { name: 'Retry failed' }).click();
  await expect(state).toHaveAttribute('data-state', 'finished', { timeout: 15_000 });
  await page.screenshot({ path: testInfo.outputPath('generate.png'), fullPage: true });
  await panel.getByRole('heading', { name: 'Generate responses' }).scrollIntoViewIfNeeded();
  await page.evaluate(() => window.scrollBy(0, -8));
  await page.screenshot({ path: testInfo.outputPath('generate-phone.png') });
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.help}`)).toEqual([]);

  // A key variable the server does not have: refused before any request, with its name.
  const models = panel.locator('details.generate-models');
  if (!(await models.evaluate((d) => (d as HTMLDetailsElement).open))) await models.locator('summary').first().click();
  const key = panel.getByLabel('API key variable (optional)').first();
  await key.fill('SWIPESET_E2E_KEY_NOT_SET');
  await panel.getByRole('button', { name: 'Save models' }).click();
  await expect(panel.getByText('$SWIPESET_E2E_KEY_NOT_SET is not set on the server yet')).toBeVisible();
  await panel.getByRole('button', { name: 'Start' }).click();
  await expect(panel.getByRole('alert')).toContainText('$SWIPESET_E2E_KEY_NOT_SET, which is not set');
  expect(errors.filter((e) => !e.includes('status of 400'))).toEqual([]);
});
