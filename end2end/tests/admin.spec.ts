// The admin's campaign pages: make a campaign, change its settings, close it for rating.
import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN, card, collectErrors, currentCardId, openHydrated, signIn } from './helpers';

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
  // Measured to give the same labels for fewer ratings, adaptive overlap is offered on.
  await expect(page.getByLabel(/^Adaptive overlap/)).toBeChecked();
  // A new campaign holds a guest's votes back for their first five decisions.
  await expect(page.getByLabel(/^Guests' votes count after/)).toHaveValue('5');
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

  await page.getByLabel(/^Ratings per response/).fill('2');
  await page.getByLabel(/^Adaptive overlap/).uncheck();
  await page.getByLabel(/^Guests' votes count after/).fill('2');
  await page.getByLabel('Open for rating').uncheck();
  await page.getByLabel('Leaderboard visible without signing in').check();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await page.screenshot({ path: testInfo.outputPath('campaign.png'), fullPage: true });
  const settings = await (await page.request.get(`/api/admin_campaign?campaign=${slug}`)).json();
  expect(settings.settings.adaptive_overlap).toBe(false);
  expect(settings.settings.guest_hold_back).toBe(2);

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

test('an admin excludes a careless rater on the raters page, and the audit log says so', async ({ page, browser }, testInfo) => {
  const errors = collectErrors(page);
  await signIn(page, ADMIN.name, ADMIN.password);
  // A campaign of its own with four responses, so other tests' ratings do not matter.
  const slug = `raters-${Date.now().toString(36)}`;
  const saved = await page.request.post('/api/save_campaign', {
    data: { settings: {
      slug, title: 'Raters check', guidelines: '', overlap: 3, reveal_models: false, open: true,
      public_board: true, license: 'cc-by-4.0', system_prompt: '',
    }, create: true },
  });
  expect(saved.status(), await saved.text()).toBe(200);
  const rows = [1, 2, 3, 4].map((i) => JSON.stringify({ prompt: `Prompt ${i}`, completion: `Answer ${i}`, model: 'Model A' }));
  const imported = await page.request.post(`/api/campaigns/${slug}/import?what=responses&file_name=r.jsonl`, {
    data: rows.join('\n') + '\n', headers: { 'content-type': 'application/octet-stream' },
  });
  expect(imported.status(), await imported.text()).toBe(200);
  // A guest swipes 👎 on all four in a blink.
  const guest = await browser.newContext();
  const dealt = await (await guest.request.post('/api/next_cards', { data: { campaign: slug, count: 4 } })).json();
  expect(dealt.cards).toHaveLength(4);
  for (const c of dealt.cards) {
    const r = await guest.request.post('/api/rate', { data: { response_id: c.response_id, label: 'down', decision_ms: 300 } });
    expect(r.status()).toBe(200);
  }

  await hydrated(page, `/admin/raters?campaign=${slug}`);
  const line = page.locator('li.user-line').first();
  await expect(line).toContainText('4 ratings · 👍 0%');
  await expect(line).toContainText('median under 0.4 s');
  await line.getByPlaceholder('Reason (for the audit log)').fill('swiped everything down in 0.3 s');
  await line.getByRole('button', { name: 'Exclude' }).click();
  await expect(page.getByRole('status')).toContainText('Excluded: 4 ratings set aside');
  await expect(line.locator('.badge-off')).toHaveText('excluded');
  await page.screenshot({ path: testInfo.outputPath('raters.png'), fullPage: true });
  // Sorting keeps the campaign and changes the order's name in the address.
  await page.getByLabel('Sort').selectOption('speed');
  await expect(page).toHaveURL(new RegExp(`campaign=${slug}&sort=speed$`));
  await expect(page.getByLabel('Sort')).toHaveValue('speed');
  // The guest can no longer rate there, and is told why.
  const refused = await guest.request.post('/api/next_cards', { data: { campaign: slug, count: 1 } });
  expect(refused.status()).toBe(403);
  expect((await refused.json()).message).toContain('excluded your ratings');

  await hydrated(page, '/admin/audit');
  const newest = page.locator('li.user-line').first();
  await expect(newest).toContainText('exclude rater');
  await expect(newest).toContainText(`in ${slug}: 4 ratings`);
  await expect(newest).toContainText('Why: swiped everything down in 0.3 s');
  await page.screenshot({ path: testInfo.outputPath('audit.png'), fullPage: true });
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(results.violations.map((v) => v.id)).toEqual([]);
  expect(errors).toEqual([]);
  await guest.close();
});

test('a rater reports a broken card from its corner and an admin hides it from the flag queue', async ({ page, browser }, testInfo) => {
  const errors = collectErrors(page);
  await signIn(page, ADMIN.name, ADMIN.password);
  const slug = `flags-${Date.now().toString(36)}`;
  const saved = await page.request.post('/api/save_campaign', {
    data: { settings: {
      slug, title: 'Flags check', guidelines: '', overlap: 3, reveal_models: false, open: true,
      public_board: true, license: 'cc-by-4.0', system_prompt: '',
    }, create: true },
  });
  expect(saved.status(), await saved.text()).toBe(200);
  const rows = [1, 2, 3, 4].map((i) => JSON.stringify({ prompt: `Prompt ${i}`, completion: `Answer ${i}`, model: 'Model A' }));
  const imported = await page.request.post(`/api/campaigns/${slug}/import?what=responses&file_name=r.jsonl`, {
    data: rows.join('\n') + '\n', headers: { 'content-type': 'application/octet-stream' },
  });
  expect(imported.status(), await imported.text()).toBe(200);

  // A guest on the rating page taps the flag in the card's corner.
  const guest = await (await browser.newContext()).newPage();
  const guestErrors = collectErrors(guest);
  await guest.addInitScript((s) => localStorage.setItem(`swipeset.guidelines-seen.${s}`, '1'), slug);
  await openHydrated(guest, `/?campaign=${slug}`);
  const reported = await currentCardId(guest);
  await guest.getByRole('link', { name: /Report this card/ }).click();
  await expect(guest).toHaveURL(new RegExp(`/flag\\?response=${reported}$`));
  await expect(guest.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  await expect(guest.getByRole('button', { name: 'Report and skip' })).toBeDisabled();
  await guest.getByLabel('Broken').check();
  await guest.getByLabel('Anything to add (optional)').fill('Cut off after one word.');
  await guest.screenshot({ path: testInfo.outputPath('flag.png'), fullPage: true });
  const flagPage = await new AxeBuilder({ page: guest }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(flagPage.violations.map((v) => v.id)).toEqual([]);
  await guest.getByRole('button', { name: 'Report and skip' }).click();
  // Back to rating, on another card: the reported one left this rater's deck.
  await expect(guest).toHaveURL(new RegExp(`/\\?campaign=${slug}$`));
  await expect(guest.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  await expect(card(guest)).toBeVisible();
  expect(await currentCardId(guest)).not.toBe(reported);

  await hydrated(page, `/admin/flags?campaign=${slug}`);
  const item = page.locator('li.flag-item').first();
  await expect(item).toContainText(`Response ${reported}`);
  await expect(item).toContainText('Broken by guest-');
  await expect(item).toContainText('Cut off after one word.');
  await item.getByPlaceholder('Reason (for the audit log)').fill('truncated output');
  await item.getByRole('button', { name: 'Hide' }).click();
  await expect(page.getByRole('status')).toContainText(`Response ${reported} hidden`);
  await expect(page.locator('li.flag-item .badge-off')).toHaveText('hidden');
  await page.screenshot({ path: testInfo.outputPath('flags.png'), fullPage: true });
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(results.violations.map((v) => v.id)).toEqual([]);
  // Nobody is dealt it now.
  const other = await browser.newContext();
  const dealt = await (await other.request.post('/api/next_cards', { data: { campaign: slug, count: 4 } })).json();
  expect(dealt.cards.map((c: { response_id: number }) => c.response_id)).not.toContain(reported);
  expect(dealt.cards).toHaveLength(3);

  await hydrated(page, '/admin/audit');
  await expect(page.locator('li.user-line').first()).toContainText('hide response');
  expect(errors).toEqual([]);
  expect(guestErrors).toEqual([]);
  await other.close();
  await guest.context().close();
});
