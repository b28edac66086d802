import { expect, type Page } from '@playwright/test';

/** Collects uncaught errors and console errors: a broken Wasm bundle shows up here. */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  return errors;
}

/** Marks the demo's guidelines as already seen, so the first-visit sheet stays shut. */
export async function skipGuidelines(page: Page): Promise<void> {
  await page.addInitScript(() => localStorage.setItem('swipeset.guidelines-seen.haiku-demo', '1'));
}

/** Opens the rating screen (guidelines already seen) and waits until it has hydrated. */
export async function openHydrated(page: Page, path = '/'): Promise<void> {
  await skipGuidelines(page);
  await page.goto(path);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
}

export const card = (page: Page) => page.locator('article.card');

export async function currentCardId(page: Page): Promise<number> {
  return Number(await card(page).getAttribute('data-response-id'));
}

/** Presses `key` on the card on screen and waits for the next card: the id decided. One card
 * at a time: a key pressed before the next card is there has nothing to decide. */
export async function pressOnCard(page: Page, key = 'ArrowRight'): Promise<number> {
  const id = await currentCardId(page);
  await page.keyboard.press(key);
  await expect(card(page)).not.toHaveAttribute('data-response-id', String(id));
  return id;
}

/** How many ratings the server holds for this browser. */
export async function ratedByMe(page: Page): Promise<number> {
  const progress = await (await page.request.get('/api/progress')).json();
  return progress.rated_by_you;
}

/** The label the server stored for this browser on `id` (asks with a harmless repeat). */
export async function storedLabel(page: Page, id: number): Promise<string | undefined> {
  const reply = await page.request.post('/api/rate', { data: { response_id: id, label: 'up' } });
  const body = await reply.json();
  return body.status === 'already_rated' ? body.label : undefined;
}

/** Drags the card horizontally by `dx` pixels with the mouse, in `steps` moves. */
export async function mouseDrag(page: Page, dx: number, steps = 10): Promise<void> {
  const box = await card(page).boundingBox();
  if (!box) throw new Error('no card to drag');
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx, y + 4, { steps });
  await page.mouse.up();
}

/** A real touch swipe through the DevTools protocol: the page sees touch pointer events. */
export async function touchSwipe(page: Page, dx: number): Promise<void> {
  const box = await card(page).boundingBox();
  if (!box) throw new Error('no card to swipe');
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
  for (let i = 1; i <= 8; i++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: x + (dx * i) / 8, y }] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
}

/** The first admin's name and password (see playwright.config.ts). */
export const ADMIN = { name: 'admin', password: 'e2e-admin-password' };

/** Signs this page's browser context in through the API (the cookie is shared). */
export async function signIn(page: Page, name: string, password: string): Promise<void> {
  const reply = await page.request.post('/api/sign_in', { data: { name, password } });
  expect(reply.status(), await reply.text()).toBe(200);
}

/** `POST path` through the page's request context, as a well-behaved API client does: a
 * 429 (the per-rater request limit) is waited out as its `Retry-After` says, then sent again. */
export async function politePost(page: Page, path: string, data: unknown) {
  for (;;) {
    const reply = await page.request.post(path, { data });
    if (reply.status() !== 429) return reply;
    const wait = Number(reply.headers()['retry-after'] ?? '1');
    await page.waitForTimeout(Math.max(1, wait) * 1000);
  }
}
