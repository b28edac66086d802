// The card experience on a phone: swipes (mouse and real touch), the short drag that snaps
// back, undo, the keyboard, the model revealed after a swipe, and the end of a campaign.
import { test, expect } from '@playwright/test';
import { card, collectErrors, currentCardId, mouseDrag, openHydrated, politePost, ratedByMe, storedLabel, touchSwipe } from './helpers';

test('dragging a card right stores 👍', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  await openHydrated(page);
  const id = await currentCardId(page);
  await mouseDrag(page, 180);
  await expect(card(page)).not.toHaveAttribute('data-response-id', String(id));
  await expect.poll(() => ratedByMe(page)).toBe(1);
  expect(await storedLabel(page, id)).toBe('up');
  await page.screenshot({ path: testInfo.outputPath('after-swipe-right.png') });
  expect(errors).toEqual([]);
});

test('dragging a card left stores 👎', async ({ page }) => {
  await openHydrated(page);
  const id = await currentCardId(page);
  await mouseDrag(page, -180);
  await expect(card(page)).not.toHaveAttribute('data-response-id', String(id));
  await expect.poll(() => ratedByMe(page)).toBe(1);
  expect(await storedLabel(page, id)).toBe('down');
});

test('a touch swipe stores the rating too', async ({ page }) => {
  await openHydrated(page);
  const id = await currentCardId(page);
  await touchSwipe(page, 200);
  await expect(card(page)).not.toHaveAttribute('data-response-id', String(id));
  await expect.poll(() => ratedByMe(page)).toBe(1);
  expect(await storedLabel(page, id)).toBe('up');
});

test('the card leans and tints while dragged past the threshold', async ({ page }, testInfo) => {
  await openHydrated(page);
  const box = (await card(page).boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + 150, y, { steps: 8 });
  await expect(card(page)).toHaveClass(/card-accept/);
  await expect(card(page)).toHaveAttribute('style', /rotate/);
  await page.screenshot({ path: testInfo.outputPath('dragging-right.png') });
  await page.mouse.up();
});

test('a short drag snaps back and stores nothing', async ({ page }) => {
  await openHydrated(page);
  const id = await currentCardId(page);
  await mouseDrag(page, 50, 20);
  await expect(card(page)).toHaveAttribute('data-response-id', String(id));
  await expect(card(page)).not.toHaveAttribute('style', /translate/);
  await page.waitForTimeout(500);
  expect(await ratedByMe(page)).toBe(0);
});

test('undo removes the rating and brings the card back', async ({ page }, testInfo) => {
  await openHydrated(page);
  const id = await currentCardId(page);
  await page.getByRole('button', { name: 'Thumbs up: accept this response' }).click();
  await expect.poll(() => ratedByMe(page)).toBe(1);
  await page.screenshot({ path: testInfo.outputPath('toast-with-undo.png') });
  await page.getByRole('button', { name: 'Undo' }).click();
  await expect(card(page)).toHaveAttribute('data-response-id', String(id));
  await expect.poll(() => ratedByMe(page)).toBe(0);
  // Deciding again counts again.
  await page.getByRole('button', { name: 'Thumbs down: reject this response' }).click();
  await expect.poll(() => ratedByMe(page)).toBe(1);
  expect(await storedLabel(page, id)).toBe('down');
});

test('the arrow keys rate and Backspace undoes', async ({ page }) => {
  await openHydrated(page);
  const first = await currentCardId(page);
  await page.keyboard.press('ArrowRight');
  await expect(card(page)).not.toHaveAttribute('data-response-id', String(first));
  const second = await currentCardId(page);
  await page.keyboard.press('ArrowLeft');
  await expect(card(page)).not.toHaveAttribute('data-response-id', String(second));
  await expect.poll(() => ratedByMe(page)).toBe(2);
  expect(await storedLabel(page, first)).toBe('up');
  expect(await storedLabel(page, second)).toBe('down');

  await page.keyboard.press('Backspace');
  await expect(card(page)).toHaveAttribute('data-response-id', String(second));
  await expect.poll(() => ratedByMe(page)).toBe(1);
  const third = await currentCardId(page);
  await page.keyboard.press('ArrowDown'); // skip: not a rating
  await expect(card(page)).not.toHaveAttribute('data-response-id', String(third));
  await page.waitForTimeout(500);
  expect(await ratedByMe(page)).toBe(1);
});

test('the model is revealed after the swipe', async ({ page }, testInfo) => {
  await openHydrated(page);
  await expect(card(page)).not.toContainText('Demo ·');
  await mouseDrag(page, 180);
  await expect(page.locator('.toast')).toContainText(/👍 Saved · written by Demo · (Careful|Wordy|Terse) Poet/);
  await page.screenshot({ path: testInfo.outputPath('model-revealed.png') });
});

test('when everything is rated, the page says so', async ({ page }, testInfo) => {
  await openHydrated(page);
  // Rate the whole campaign through the API as this browser (faster than a person, so at
  // the pace the per-rater request limit allows), then come back.
  for (let round = 0; round < 100; round++) {
    const dealt = await (await politePost(page, '/api/next_cards', { campaign: null, count: 10, holding: [] })).json();
    if (dealt.cards.length === 0) break;
    for (const c of dealt.cards) {
      await politePost(page, '/api/rate', { response_id: c.response_id, label: 'up' });
    }
  }
  await openHydrated(page);
  await expect(page.getByRole('heading', { name: 'You rated everything' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Thumbs up: accept this response' })).toBeDisabled();
  await page.screenshot({ path: testInfo.outputPath('all-rated.png') });
  await page.getByRole('link', { name: 'See the leaderboard' }).click();
  await expect(page).toHaveURL(/\/leaderboard\?campaign=haiku-demo$/);
  await expect(page.locator('.board-models tbody tr')).toHaveCount(3);
});

test('the guidelines show on the first visit and behind the ⓘ button', async ({ page }, testInfo) => {
  await page.goto('/');
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  const sheet = page.getByRole('dialog', { name: 'How to rate' });
  await expect(sheet).toBeVisible();
  await expect(sheet).toContainText('Rate each haiku');
  await page.screenshot({ path: testInfo.outputPath('guidelines.png') });
  const id = await currentCardId(page);
  await page.keyboard.press('ArrowRight'); // keys do not rate behind the sheet
  await expect(card(page)).toHaveAttribute('data-response-id', String(id));

  await page.getByRole('button', { name: 'Start rating' }).click();
  await expect(sheet).toBeHidden();
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  await page.waitForTimeout(300);
  await expect(sheet).toBeHidden(); // seen once, not shown again

  await page.getByRole('button', { name: 'Guidelines: how to rate' }).click();
  await expect(sheet).toBeVisible();
  await page.keyboard.press('Escape');
  await expect(sheet).toBeHidden();
});
