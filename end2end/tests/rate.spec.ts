import { test, expect } from '@playwright/test';
import { collectErrors, openHydrated, ratedByMe, skipGuidelines } from './helpers';

test('the release bundle hydrates, and 👍 brings the next card without a reload', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await skipGuidelines(page);
  const wasmUrls: string[] = [];
  page.on('request', (r) => {
    if (new URL(r.url()).pathname.endsWith('.wasm')) wasmUrls.push(r.url());
  });
  const wasm = page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('.wasm'));
  await page.goto('/');

  // Server-rendered: the card is there before any Wasm runs.
  const card = page.locator('article.card');
  await expect(card).toBeVisible();
  await expect(card).toContainText('Write a haiku');

  const wasmResponse = await wasm;
  expect(wasmResponse.status()).toBe(200);
  expect(wasmResponse.headers()['content-type']).toContain('application/wasm');
  // The rating page loads the rater bundle only, versioned by its content.
  expect(new URL(wasmResponse.url()).pathname).toBe('/pkg/rater_bg.wasm');
  expect(new URL(wasmResponse.url()).searchParams.get('v')).toMatch(/^[0-9a-f]{12}$/);
  // Set by an Effect, which only runs once the app has hydrated in the browser.
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });

  const firstId = await card.getAttribute('data-response-id');
  expect(firstId).toMatch(/^\d+$/);
  const before = await (await page.request.get('/api/progress')).json();
  // A marker on the window survives only if the page is never reloaded.
  await page.evaluate(() => ((window as unknown as { __swipesetMarker: number }).__swipesetMarker = 42));

  await page.getByRole('button', { name: 'Thumbs up: accept this response' }).click();

  await expect(card).not.toHaveAttribute('data-response-id', firstId!);
  await expect(card).toContainText('Write a haiku');
  expect(await page.evaluate(() => (window as unknown as { __swipesetMarker?: number }).__swipesetMarker)).toBe(42);
  await expect(page.locator('.toast')).toContainText('👍 Saved · written by Demo');

  // The rating is stored on the server, for this browser.
  const after = await (await page.request.get('/api/progress')).json();
  expect(after.rated_by_you).toBe(before.rated_by_you + 1);
  expect(after.ratings).toBe(before.ratings + 1);
  await expect(page.locator('.progress')).toHaveAttribute('data-rated-by-you', String(after.rated_by_you));

  await page.screenshot({ path: testInfo.outputPath('rate-390x844.png') });
  expect(wasmUrls.map((u) => new URL(u).pathname)).toEqual(['/pkg/rater_bg.wasm']);
  expect(errors).toEqual([]);
});

test('a link from the rating page opens the other page with the full bundle', async ({ page }) => {
  const errors = collectErrors(page);
  await openHydrated(page);
  const full = page.waitForResponse((r) => new URL(r.url()).pathname === '/pkg/swipeset_bg.wasm');

  await page.getByRole('link', { name: 'Leaderboard' }).click();

  await expect(page).toHaveURL(/\/leaderboard\?campaign=haiku-demo$/);
  expect((await full).status()).toBe(200);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  // Back to rating from there: the full bundle has the rating page too, no reload needed.
  await page.getByRole('link', { name: 'swipeset' }).first().click();
  await expect(page.locator('article.card')).toBeVisible();
  expect(errors).toEqual([]);
});

test('👎 is stored as a rejection', async ({ page }) => {
  const errors = collectErrors(page);
  await openHydrated(page);
  const card = page.locator('article.card');
  const id = Number(await card.getAttribute('data-response-id'));

  await page.getByRole('button', { name: 'Thumbs down: reject this response' }).click();
  await expect(card).not.toHaveAttribute('data-response-id', String(id));
  // The card leaves at once; the rating follows in the background.
  await expect.poll(() => ratedByMe(page)).toBe(1);

  // Sending the same rating again through the API reports the stored 👎, not a new one.
  const repeat = await page.request.post('/api/rate', { data: { response_id: id, label: 'down' } });
  expect(repeat.status()).toBe(200);
  expect(await repeat.json()).toMatchObject({ response_id: id, label: 'down', status: 'already_rated' });
  expect(errors).toEqual([]);
});
