import { test, expect, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN, card, collectErrors, currentCardId, mouseDrag, openHydrated, signIn } from './helpers';

/** Makes a campaign of `rows` (responses as imported), markdown on unless `plain`. */
async function campaignOf(page: Page, slug: string, rows: object[], plain = false) {
  await signIn(page, ADMIN.name, ADMIN.password);
  const saved = await page.request.post('/api/save_campaign', {
    data: { settings: {
      slug, title: 'Markdown check', guidelines: '', overlap: 3, reveal_models: false, open: true,
      public_board: true, license: 'cc-by-4.0', system_prompt: '', render_markdown: !plain,
    }, create: true },
  });
  expect(saved.status(), await saved.text()).toBe(200);
  const imported = await page.request.post(`/api/campaigns/${slug}/import?what=responses&file_name=r.jsonl`, {
    data: rows.map((r) => JSON.stringify(r)).join('\n') + '\n',
    headers: { 'content-type': 'application/octet-stream' },
  });
  expect(imported.status(), await imported.text()).toBe(200);
  await page.addInitScript((s) => localStorage.setItem(`swipeset.guidelines-seen.${s}`, '1'), slug);
}

const MARKDOWN = [
  '## Reversing a string',
  '',
  'Use **iterators**, not *indices*:',
  '',
  '```rust',
  'fn reverse(s: &str) -> String { s.chars().rev().collect::<String>() } // a line far longer than a phone is wide',
  '```',
  '',
  '- works on `char`s',
  '- not on grapheme clusters',
  '',
  '> Unicode is hard.',
  '',
  '| input | output |',
  '|---|---|',
  '| abc | cba |',
].join('\n');

// What a model can be made to write: each would run script if inserted as HTML.
const HOSTILE = [
  '<img src=x onerror="window.__xss=1"> <svg onload="window.__xss=2"><circle r=9 /></svg>',
  '<script>window.__xss=3</script> <iframe src="javascript:window.__xss=4"></iframe>',
  '[click me](javascript:window.__xss=5) [tab](java\tscript:window.__xss=6) [entity](jav&#x61;script:window.__xss=7)',
  '<a href="javascript:window.__xss=8">raw link</a> <details open ontoggle="window.__xss=9">d</details>',
  '\u202egnp.exe\u202c and <scr\u200bipt>window.__xss=10</scr\u200bipt>',
].join('\n\n');

test('markdown and code render on the card, and hostile output runs nothing', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  const slug = `md-${Date.now().toString(36)}`;
  await campaignOf(page, slug, [
    { prompt: 'How do I reverse a string in **Rust**?', completion: MARKDOWN, model: 'Model A' },
    { prompt: 'Say something <b>bold</b>', completion: HOSTILE, model: 'Model B' },
  ]);
  const dialogs: string[] = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); void d.dismiss(); });
  await openHydrated(page, `/?campaign=${slug}`);

  const seen = new Set<number>();
  for (let i = 0; i < 2; i++) {
    await expect(card(page)).toBeVisible();
    const id = await currentCardId(page);
    seen.add(id);
    // Nothing from the output became an element that can run or load.
    expect(await page.locator('article.card :is(script, img, svg, iframe, details, style)').count()).toBe(0);
    expect(await page.locator('article.card a[href^="javascript" i], article.card a[href^="java" i]').count()).toBe(0);
    const text = await card(page).innerText();
    if (text.includes('Reversing a string')) {
      const response = page.locator('.card-response-text.md');
      await expect(response.locator('h4')).toHaveText('Reversing a string');
      await expect(response.locator('strong')).toHaveText('iterators');
      await expect(response.locator('pre code')).toContainText('fn reverse');
      await expect(response.locator('table td').first()).toHaveText('abc');
      await expect(page.locator('.card-prompt-text.md strong')).toHaveText('Rust');
      // The code scrolls inside the card: the page never gets wider than the phone.
      const widths = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        view: window.innerWidth,
        pre: (document.querySelector('.md pre') as HTMLElement).scrollWidth,
        preBox: (document.querySelector('.md pre') as HTMLElement).clientWidth,
      }));
      expect(widths.page).toBeLessThanOrEqual(widths.view);
      expect(widths.pre).toBeGreaterThan(widths.preBox);
      await page.screenshot({ path: testInfo.outputPath('markdown-card.png') });
      const axe = await new AxeBuilder({ page }).include('article.card').withTags(['wcag2a', 'wcag2aa']).analyze();
      expect(axe.violations.map((v) => v.id)).toEqual([]);
    } else {
      // The raw HTML is shown as text, to be judged as what the model wrote.
      await expect(card(page)).toContainText('<img src=x onerror=');
      await expect(page.locator('.card-prompt-text.md')).toContainText('Say something <b>bold</b>');
      await page.screenshot({ path: testInfo.outputPath('hostile-card.png') });
      // Its links lead nowhere.
      for (const href of await page.locator('.card-response-text a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))) {
        expect(href).toBe('#');
      }
    }
    await page.getByRole('button', { name: 'Thumbs up: accept this response' }).click();
    await expect(page.locator(`article.card[data-response-id="${id}"]`)).toHaveCount(0);
  }
  expect(seen.size).toBe(2);
  expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
  expect(dialogs).toEqual([]);
  expect(errors).toEqual([]);
});

test('a campaign that shows text as written keeps a poem exactly', async ({ page }, testInfo) => {
  const slug = `poem-${Date.now().toString(36)}`;
  const poem = 'An old silent pond\n    a frog jumps into the pond —\n\n**splash!** Silence again.';
  await campaignOf(page, slug, [{ prompt: 'A haiku, please', completion: poem, model: 'Model A' }], true);
  await openHydrated(page, `/?campaign=${slug}`);
  const response = page.locator('.card-response-text');
  await expect(response).not.toHaveClass(/\bmd\b/);
  expect(await response.innerText()).toBe(poem);
  await page.screenshot({ path: testInfo.outputPath('poem-card.png') });
});

/** A 5-turn conversation (system, then user and assistant in turn, ending with the user). */
const CONVERSATION = [
  { role: 'system', content: 'You are a patient Rust tutor.' },
  { role: 'user', content: 'How do I read a file in Rust?' },
  { role: 'assistant', content: 'Use `std::fs::read_to_string`:\n\n```rust\nlet text = std::fs::read_to_string("notes.txt")?;\n```' },
  { role: 'user', content: 'And if the file is huge?' },
  { role: 'assistant', content: 'Read it line by line with a **`BufReader`**, so memory stays flat.' },
  { role: 'user', content: 'Show me, and count the lines.' },
];

test('a conversation shows its earlier turns folded above the last, and the card still swipes', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  const slug = `chat-${Date.now().toString(36)}`;
  await campaignOf(page, slug, [{
    prompt: CONVERSATION,
    completion: [{ role: 'assistant', content: '```rust\nuse std::io::{BufRead, BufReader};\nlet lines = BufReader::new(std::fs::File::open("notes.txt")?).lines().count();\n```\n\nEach line is read, counted and dropped.' }],
    model: 'Model A',
  }]);
  await openHydrated(page, `/?campaign=${slug}`);
  const history = page.locator('article.card details.card-history');
  await expect(history).toHaveCount(1);
  await expect(history.locator('summary')).toHaveText('4 earlier turns');
  await expect(page.locator('.card-system')).toHaveText('You are a patient Rust tutor.');
  await expect(page.locator('.card-prompt-text')).toHaveText('Show me, and count the lines.');
  // Folded: the earlier turns take no room until asked for.
  await expect(history.locator('.card-turn').first()).toBeHidden();
  await page.screenshot({ path: testInfo.outputPath('conversation-folded.png') });
  await history.locator('summary').click();
  await expect(history.locator('.card-turn')).toHaveCount(4);
  await expect(history.locator('.card-turn').first()).toBeVisible();
  await expect(history.locator('.card-turn-assistant').first().locator('pre code')).toContainText('read_to_string');
  await expect(history.locator('.card-turn-assistant').nth(1).locator('strong')).toHaveText('BufReader');
  const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, view: window.innerWidth }));
  expect(widths.page).toBeLessThanOrEqual(widths.view);
  await page.screenshot({ path: testInfo.outputPath('conversation-open.png') });
  const axe = await new AxeBuilder({ page }).include('article.card').withTags(['wcag2a', 'wcag2aa']).analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);
  // Opened or not, the card is rated by a swipe.
  const id = await currentCardId(page);
  await mouseDrag(page, 200);
  await expect(page.locator(`article.card[data-response-id="${id}"]`)).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a long response scrolls inside the card, the buttons stay in reach, and a swipe anywhere rates it', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  const slug = `long-${Date.now().toString(36)}`;
  const paragraphs = Array.from({ length: 40 }, (_, i) => `Paragraph ${i + 1}: ${'a rather long sentence about the topic at hand, '.repeat(3)}`);
  await campaignOf(page, slug, [{ prompt: 'Explain it at length', completion: paragraphs.join('\n\n'), model: 'Model A' }]);
  await openHydrated(page, `/?campaign=${slug}`);
  const response = page.locator('.card-response');
  const sizes = await response.evaluate((el) => ({ scroll: el.scrollHeight, client: el.clientHeight }));
  expect(sizes.scroll).toBeGreaterThan(3 * sizes.client);
  // The card does not grow with its text: it scrolls inside itself, and the buttons under
  // it stay on the screen.
  const cardBox = await card(page).boundingBox();
  expect(cardBox && cardBox.y + cardBox.height).toBeLessThan(844);
  const up = page.getByRole('button', { name: 'Thumbs up: accept this response' });
  const box = await up.boundingBox();
  expect(box && box.y + box.height).toBeLessThanOrEqual(844);
  // Scrolling the response moves the text, not the card.
  const id = await currentCardId(page);
  await response.hover();
  await page.mouse.wheel(0, 1200);
  await expect.poll(() => response.evaluate((el) => el.scrollTop)).toBeGreaterThan(0);
  await expect(card(page)).toHaveAttribute('data-response-id', String(id));
  await page.screenshot({ path: testInfo.outputPath('long-response.png') });
  // A swipe that starts on the scrolled text rates the card.
  await mouseDrag(page, 200);
  await expect(page.locator(`article.card[data-response-id="${id}"]`)).toHaveCount(0);
  expect(errors).toEqual([]);
});
