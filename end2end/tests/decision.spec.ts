// The decision time: a rating made on the page stores how long its card was on top before the
// swipe (`decision_ms`), for the server-rendered first card and for a card that came later,
// as the raw ratings export shows it.
import { test, expect, type APIRequestContext } from '@playwright/test';
import { ADMIN, card, collectErrors, currentCardId, openHydrated, ratedByMe, touchSwipe } from './helpers';

type RatingRow = { annotator: string; response_id: number; label: boolean; decision_ms: number | null };

/** Every stored rating of the demo, from the raw ratings export (JSONL) an admin downloads. */
async function storedRatings(admin: APIRequestContext): Promise<RatingRow[]> {
  const reply = await admin.get('/api/campaigns/haiku-demo/export?kind=ratings&format=jsonl');
  if (reply.status() === 409) {
    // No rating at all yet (this spec run alone): nothing to export.
    expect((await reply.json()).code).toBe('conflict');
    return [];
  }
  expect(reply.status(), await reply.text()).toBe(200);
  return (await reply.text())
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as RatingRow);
}

test('a swipe stores how long its card was shown', async ({ page, playwright }) => {
  const errors = collectErrors(page);
  // The admin reads the export from a context of its own: the page stays a fresh guest.
  const admin = await playwright.request.newContext({ baseURL: test.info().project.use.baseURL });
  const signedIn = await admin.post('/api/sign_in', { data: { name: ADMIN.name, password: ADMIN.password } });
  expect(signedIn.status(), await signedIn.text()).toBe(200);
  const before = await storedRatings(admin);
  const known = new Set(before.map((r) => `${r.annotator}/${r.response_id}`));

  // The server-rendered card, timed from hydration.
  const started = Date.now();
  await openHydrated(page);
  const first = await currentCardId(page);
  await page.waitForTimeout(1_500);
  const firstSwipe = Date.now();
  await touchSwipe(page, 200);
  await expect(card(page)).not.toHaveAttribute('data-response-id', String(first));
  const firstSpan = Date.now() - started;

  // The next card, timed from when it came on top.
  const second = await currentCardId(page);
  await page.waitForTimeout(1_200);
  await touchSwipe(page, -200);
  await expect(card(page)).not.toHaveAttribute('data-response-id', String(second));
  // It came on top once the first card had left.
  const secondSpan = Date.now() - firstSwipe;
  await expect.poll(() => ratedByMe(page)).toBe(2);

  // This guest's ratings: those the export did not hold before.
  const mine = (await storedRatings(admin)).filter((r) => !known.has(`${r.annotator}/${r.response_id}`));
  expect(mine.map((r) => r.response_id).sort((a, b) => a - b)).toEqual([first, second].sort((a, b) => a - b));
  const decision = (id: number) => mine.find((r) => r.response_id === id)!.decision_ms;
  // At least the wait; at most the time from opening the page (or the previous swipe) to the
  // swipe.
  expect(decision(first)).toBeGreaterThanOrEqual(1_000);
  expect(decision(first)).toBeLessThanOrEqual(Math.min(firstSpan, 60_000));
  expect(decision(second)).toBeGreaterThanOrEqual(1_000);
  expect(decision(second)).toBeLessThanOrEqual(Math.min(secondSpan, 60_000));
  expect(mine.find((r) => r.response_id === first)!.label).toBe(true);
  expect(mine.find((r) => r.response_id === second)!.label).toBe(false);

  await admin.dispose();
  expect(errors).toEqual([]);
});
