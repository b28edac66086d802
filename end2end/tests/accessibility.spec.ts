// Accessibility: axe-core's WCAG 2.1 A/AA rules (contrast, names, roles) on each state of
// the rating screen, at the narrowest phone, the test phone and a desktop width; the card
// fits without sideways scrolling; reduced motion turns animations off.
import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { card, openHydrated } from './helpers';

async function expectNoViolations(page: Page, state: string) {
  // Colours are measured as they end up: a sheet or toast still fading in (180 ms) would
  // read as low contrast on a busy machine.
  await page.waitForFunction(() =>
    document.getAnimations().every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity),
  );
  const results = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const found = results.violations.map(
    (v) => `${state}: ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(found).toEqual([]);
}

for (const width of [320, 390, 1280]) {
  test(`the rating screen passes WCAG 2.1 AA checks at ${width} px`, async ({ page }, testInfo) => {
    await page.setViewportSize({ width, height: width === 1280 ? 800 : 720 });
    await openHydrated(page);
    await expectNoViolations(page, 'a card');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, 'no sideways scrolling').toBeLessThanOrEqual(0);
    await page.screenshot({ path: testInfo.outputPath(`card-${width}.png`) });

    // After a decision: the toast with Undo.
    await page.keyboard.press('ArrowRight');
    await expect(page.getByRole('button', { name: 'Undo' })).toBeVisible();
    await expectNoViolations(page, 'the undo toast');

    // The guidelines sheet.
    await page.getByRole('button', { name: 'Guidelines: how to rate' }).click();
    await expect(page.getByRole('dialog', { name: 'How to rate' })).toBeVisible();
    await expectNoViolations(page, 'the guidelines');
    await page.screenshot({ path: testInfo.outputPath(`guidelines-${width}.png`) });
  });
}

test('the offline notice passes the same checks', async ({ page }) => {
  await openHydrated(page);
  await page.route('**/api/**', (route) => route.abort('internetdisconnected'));
  await page.keyboard.press('ArrowRight');
  await expect(page.locator('p.pending')).toBeVisible();
  await expectNoViolations(page, 'offline');
});

test('reduced motion turns the card animations off', async ({ page }) => {
  await page.emulateMedia({ reducedMotion: 'reduce' });
  await openHydrated(page);
  const transition = await card(page).evaluate((el) => getComputedStyle(el).transitionDuration);
  expect(transition.split(',').every((d) => parseFloat(d) === 0)).toBe(true);
});

test('a focused long response scrolls with ↑ ↓ instead of skipping the card', async ({ page }) => {
  await page.setViewportSize({ width: 320, height: 568 });
  await openHydrated(page);
  const id = await card(page).getAttribute('data-response-id');
  const response = page.locator('.card-response');
  await response.focus();
  await page.keyboard.press('ArrowDown');
  await page.waitForTimeout(200);
  await expect(card(page)).toHaveAttribute('data-response-id', id ?? '');
  await expect(response).toBeFocused();
});
