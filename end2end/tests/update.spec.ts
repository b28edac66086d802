// A new build reaches phones that have the service worker: the next visit online links the
// new bundle (by its content hash), the worker fetches it, and drops the old one; nothing
// pairs the new page with the old bundle. Runs its own server on a copy of the site, since
// the test changes the bundle and restarts the server.
import { test, expect, type Page } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const port = Number(process.env.E2E_PORT ?? 3107) + 10;
const base = `http://127.0.0.1:${port}`;
const bin = process.env.SWIPESET_BIN ?? resolve(__dirname, '../../target/release/swipeset');
const siteRoot = process.env.SWIPESET_SITE_ROOT ?? resolve(__dirname, '../../target/site');

async function serve(site: string, db: string): Promise<ChildProcess> {
  const child = spawn(
    bin,
    ['serve', '--demo', '--guests', '--addr', `127.0.0.1:${port}`, '--site-root', site,
      '--database-url', `sqlite://${db}`],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  child.kill();
  throw new Error(`${bin} did not start on ${base}`);
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** The rater bundle's script URL the page loaded (its `?v=`). */
async function loadedScript(page: Page): Promise<string> {
  return page.evaluate(() => {
    const entry = performance
      .getEntriesByType('resource')
      .find((e) => new URL(e.name).pathname === '/pkg/rater.js');
    return entry ? new URL(entry.name).search : '';
  });
}

async function keptScripts(page: Page): Promise<string[]> {
  return page.evaluate(async () =>
    (await (await caches.open('swipeset-v1')).keys())
      .map((r) => new URL(r.url))
      .filter((u) => u.pathname === '/pkg/rater.js')
      .map((u) => u.search),
  );
}

test('a new bundle is picked up on the next visit, and the old one is dropped', async ({ browser }) => {
  const data = mkdtempSync(join(tmpdir(), 'swipeset-update-'));
  const site = join(data, 'site');
  cpSync(siteRoot, site, { recursive: true });
  const db = join(data, 'swipeset.db');
  let server = await serve(site, db);
  const context = await browser.newContext({ baseURL: base });
  try {
    await context.addInitScript(() => localStorage.setItem('swipeset.guidelines-seen.haiku-demo', '1'));
    const page = await context.newPage();
    await page.goto('/');
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
    const old = await loadedScript(page);
    expect(old).toMatch(/^\?v=[0-9a-f]{12}$/);
    await expect.poll(() => keptScripts(page), { timeout: 20_000 }).toEqual([old]);

    // A new release: the rater script changes (its precompressed copies go with it).
    await stop(server);
    const script = join(site, 'pkg/rater.js');
    appendFileSync(script, '\n// release 2\n');
    rmSync(`${script}.br`, { force: true });
    rmSync(`${script}.gz`, { force: true });
    server = await serve(site, db);

    await page.reload();
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
    const fresh = await loadedScript(page);
    expect(fresh).toMatch(/^\?v=[0-9a-f]{12}$/);
    expect(fresh).not.toBe(old);
    const body = await page.evaluate(async (v) => (await fetch(`/pkg/rater.js${v}`)).text(), fresh);
    expect(body).toContain('// release 2');
    // The worker keeps the new version only.
    await expect.poll(() => keptScripts(page), { timeout: 20_000 }).toEqual([fresh]);

    // Offline, the kept page is the new one, with the new bundle.
    await context.setOffline(true);
    await page.reload();
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
    expect(await loadedScript(page)).toBe(fresh);
  } finally {
    await context.close();
    await stop(server);
    rmSync(data, { recursive: true, force: true });
  }
});
