import { test, expect, type APIRequestContext } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN, collectErrors, signIn } from './helpers';

/** Three raters (guests, each their own request context) rate every card of `slug`:
 * 👍 where the response starts with "up". */
async function rateAll(newContext: () => Promise<APIRequestContext>, slug: string) {
  for (let r = 0; r < 3; r++) {
    const rater = await newContext();
    for (;;) {
      const dealt = await rater.post('/api/next_cards', { data: { campaign: slug, count: 10 } });
      expect(dealt.status(), await dealt.text()).toBe(200);
      const cards = (await dealt.json()).cards;
      if (cards.length === 0) break;
      for (const card of cards) {
        const label = card.response.startsWith('up') ? 'up' : 'down';
        const rated = await rater.post('/api/rate', { data: { response_id: card.response_id, label } });
        expect(rated.status(), await rated.text()).toBe(200);
      }
    }
    await rater.dispose();
  }
}

test('a model page breaks the rate down, compares the models, and the board filters by category', async ({ page, playwright }, testInfo) => {
  const errors = collectErrors(page);
  const slug = `mp-${Date.now().toString(36)}`;
  await signIn(page, ADMIN.name, ADMIN.password);
  const saved = await page.request.post('/api/save_campaign', {
    data: { settings: {
      slug, title: 'Model pages', guidelines: '', overlap: 3, reveal_models: false, open: true,
      public_board: true, license: 'cc-by-4.0', system_prompt: '', category_field: 'topic',
    }, create: true },
  });
  expect(saved.status(), await saved.text()).toBe(200);
  // Careful is liked on maths, Wordy on poetry (and is long-winded), Terse never.
  const rows = [];
  for (let p = 0; p < 6; p++) {
    const topic = p < 3 ? 'maths' : 'poetry';
    rows.push({ prompt: `Prompt ${p}`, model: 'Careful', topic, completion: `${p < 3 ? 'up' : 'down'} careful ${p}` });
    rows.push({ prompt: `Prompt ${p}`, model: 'Wordy', topic, completion: `${p >= 3 ? 'up' : 'down'} wordy ${p} ${'and so on '.repeat(40)}` });
    rows.push({ prompt: `Prompt ${p}`, model: 'Terse', topic, completion: `down terse ${p}` });
  }
  const imported = await page.request.post(
    `/api/campaigns/${slug}/import?what=responses&file_name=r.jsonl&prompt_metadata_fields=topic`,
    { data: rows.map((r) => JSON.stringify(r)).join('\n') + '\n', headers: { 'content-type': 'application/octet-stream' } },
  );
  expect(imported.status(), await imported.text()).toBe(200);
  const baseURL = testInfo.project.use.baseURL;
  await rateAll(() => playwright.request.newContext({ baseURL }), slug);

  await page.goto(`/leaderboard?campaign=${slug}`);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  const filter = page.locator('select[name="category"]');
  await expect(filter.locator('option')).toHaveText(['All categories', 'maths (3 prompts)', 'poetry (3 prompts)']);
  await filter.selectOption('poetry');
  await expect(page).toHaveURL(/category=poetry/);
  await expect(page.locator('.board-models tbody tr').first().locator('.board-model')).toContainText('Wordy');
  await page.screenshot({ path: testInfo.outputPath('board-filtered.png'), fullPage: true });
  for (const link of ['CSV', 'JSON', 'chart as SVG']) {
    const href = await page.getByRole('link', { name: link, exact: true }).getAttribute('href');
    const res = await page.request.get(href!);
    expect(res.status(), href!).toBe(200);
  }

  await page.getByRole('link', { name: 'Careful', exact: true }).click();
  await expect(page).toHaveURL(/\/leaderboard\/model\?campaign=.*&model=Careful/);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  await expect(page.locator('h1')).toHaveText('Careful');
  await expect(page.locator('.model-rate')).toHaveText('50%');
  const byTopic = page.locator('.model-section').filter({ hasText: '👍 rate by topic' });
  await expect(byTopic.locator('svg')).toBeVisible();
  await expect(byTopic.locator('tbody tr')).toHaveCount(2);
  await expect(byTopic.locator('tbody tr').first()).toContainText('maths');
  const versus = page.locator('.model-versus tbody tr');
  await expect(versus).toHaveCount(2);
  await expect(page.locator('.model-strengths tbody tr')).toHaveCount(3);
  // An admin sees the responses themselves.
  await expect(page.getByRole('heading', { name: "Most 👍'd responses" })).toBeVisible();
  const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, view: window.innerWidth }));
  expect(widths.page).toBeLessThanOrEqual(widths.view);
  await expect(page.locator('.board-live')).toHaveAttribute('data-live', 'true', { timeout: 10_000 });
  await page.screenshot({ path: testInfo.outputPath('model-page.png'), fullPage: true });
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(axe.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(' ')}`)).toEqual([]);
  const csv = await page.request.get(await page.getByRole('link', { name: 'CSV', exact: true }).getAttribute('href') ?? '');
  expect(await csv.text()).toContain('category,maths,3,,9,0,');
  expect(errors).toEqual([]);
});
