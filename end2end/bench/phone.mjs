// The phone benchmark (issue 16): what a rater's first visit downloads and how soon the
// first card shows and the first swipe counts, on an emulated mid-range phone on a mobile
// network. Debian's Chromium through Playwright, the network and CPU slowed down through
// the DevTools protocol, a fresh browser context (cold cache, no service worker) per run.
//
//   make bench-phone       (builds what make run serves, then the line below)
//   node end2end/bench/phone.mjs [--runs 5] [--server PATH] [--site DIR] [--port N]
//                                [--no-throttle] [--json FILE]
//
// It starts `PATH serve --demo --guests` on a fresh SQLite file (default: the dev build
// `make run` serves, with the site `cargo xtask site --release` wrote) and prints medians.
// Figures are from the page's own clock (performance.now(), 0 = navigation start):
//   first card painted  the first animation frame with the server-rendered card in the page
//   first swipe counted a tap on 👍 as soon as the page can take it (hydrated), until the
//                       progress line says the server holds the rating ("You rated 1")
//   bytes               bytes on the wire (headers included) per kind of file, to that moment
// The demo's guidelines are marked as seen, so the first-visit sheet does not cover the card.
import { chromium } from '@playwright/test';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const runs = Number(option('runs', 5));
// Where the Makefile puts cargo's output unless told otherwise.
const targetDir = process.env.CARGO_TARGET_DIR ?? join(homedir(), '.cache/swipeset/target');
const server = option('server', join(targetDir, 'debug/swipeset'));
const site = option('site', process.env.SWIPESET_SITE_ROOT ?? join(repo, 'target/site'));
const port = Number(option('port', 3190));
const throttle = !process.argv.includes('--no-throttle');
const jsonOut = option('json', null);
const base = `http://127.0.0.1:${port}`;

/** The phone: 4× CPU slowdown, 150 ms round trip, 1.6 Mbit/s down, 0.75 up. */
const PHONE = { latency: 150, down: 1.6e6 / 8, up: 0.75e6 / 8, cpu: 4 };
/** Pages whose bundle bytes are reported (they load without signing in, or say so). */
const ROUTES = ['/', '/leaderboard', '/export', '/login', '/profile', '/admin/campaigns'];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function startServer() {
  const data = mkdtempSync(join(tmpdir(), 'swipeset-phone-bench-'));
  const child = spawn(
    server,
    ['serve', '--demo', '--guests', '--addr', `127.0.0.1:${port}`, '--site-root', site,
      '--database-url', `sqlite://${join(data, 'bench.db')}`],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: 'warn' } },
  );
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`${server} did not start on ${base}:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { child, data };
}

/** Classifies a response by what it is, for the byte counts. */
function kind(url, mimeType) {
  const path = new URL(url).pathname;
  if (path.endsWith('.wasm')) return 'wasm';
  if (path.endsWith('.js') || mimeType.includes('javascript')) return 'js';
  if (path.endsWith('.css')) return 'css';
  if (mimeType.includes('text/html')) return 'html';
  if (path.startsWith('/api/')) return 'api';
  return 'other';
}

async function newPhone(browser) {
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 3,
    isMobile: true,
    hasTouch: true,
    serviceWorkers: 'block',
  });
  await context.addInitScript(() => {
    localStorage.setItem('swipeset.guidelines-seen.haiku-demo', '1');
    const marks = (window.__bench = {});
    const watch = () => {
      if (marks.card === undefined && document.querySelector('article.card')) {
        marks.card = performance.now();
      }
      const progress = document.querySelector('.progress');
      if (marks.counted === undefined && progress?.getAttribute('data-rated-by-you') === '1') {
        marks.counted = performance.now();
      }
      if (marks.hydrated === undefined && document.body?.dataset.hydrated === 'true') {
        marks.hydrated = performance.now();
      }
      if (marks.counted === undefined) requestAnimationFrame(watch);
    };
    requestAnimationFrame(watch);
  });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  if (throttle) {
    await cdp.send('Network.emulateNetworkConditions', {
      offline: false,
      latency: PHONE.latency,
      downloadThroughput: PHONE.down,
      uploadThroughput: PHONE.up,
    });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: PHONE.cpu });
  }
  const responses = new Map();
  const bytes = {};
  cdp.on('Network.responseReceived', (e) => {
    responses.set(e.requestId, kind(e.response.url, e.response.mimeType ?? ''));
  });
  cdp.on('Network.loadingFinished', (e) => {
    const k = responses.get(e.requestId) ?? 'other';
    bytes[k] = (bytes[k] ?? 0) + e.encodedDataLength;
  });
  return { context, page, bytes };
}

async function firstVisit(browser) {
  const { context, page, bytes } = await newPhone(browser);
  await page.goto(base + '/', { waitUntil: 'commit', timeout: 120_000 });
  await page.locator('body[data-hydrated="true"]').waitFor({ timeout: 120_000 });
  await page.getByRole('button', { name: 'Thumbs up: accept this response' }).click();
  await page.locator('.progress[data-rated-by-you="1"]').waitFor({ timeout: 120_000 });
  const marks = await page.evaluate(() => window.__bench);
  const snapshot = { ...bytes };
  await context.close();
  const firstVisitBytes = ['html', 'css', 'js', 'wasm'].reduce((n, k) => n + (snapshot[k] ?? 0), 0);
  return { ...marks, bytes: snapshot, firstVisitBytes };
}

async function routeBytes(browser, path) {
  const { context, page, bytes } = await newPhone(browser);
  await page.goto(base + path, { waitUntil: 'load', timeout: 120_000 });
  await page.locator('body[data-hydrated="true"]').waitFor({ timeout: 120_000 }).catch(() => {});
  const snapshot = { ...bytes };
  await context.close();
  return snapshot;
}

const kb = (n) => (n / 1000).toFixed(1);
const s = (ms) => (ms / 1000).toFixed(2);

const { child, data } = await startServer();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const results = [];
  for (let i = 0; i < runs; i++) {
    const r = await firstVisit(browser);
    results.push(r);
    console.log(`run ${i + 1}/${runs}: card ${s(r.card)} s, hydrated ${s(r.hydrated)} s, ` +
      `first swipe counted ${s(r.counted)} s, first visit ${kb(r.firstVisitBytes)} KB`);
  }
  const pick = (f) => median(results.map(f));
  const summary = {
    phone: throttle ? PHONE : 'unthrottled',
    runs,
    first_card_painted_ms: pick((r) => r.card),
    hydrated_ms: pick((r) => r.hydrated),
    first_swipe_counted_ms: pick((r) => r.counted),
    first_visit_bytes: pick((r) => r.firstVisitBytes),
    bytes_by_kind: Object.fromEntries(
      ['html', 'css', 'js', 'wasm', 'api', 'other'].map((k) => [k, pick((r) => r.bytes[k] ?? 0)]),
    ),
    routes: {},
  };
  for (const path of ROUTES) {
    const b = await routeBytes(browser, path);
    summary.routes[path] = { js: b.js ?? 0, wasm: b.wasm ?? 0 };
  }

  console.log(`\nmedians of ${runs} (${throttle ? '4x CPU, 150 ms RTT, 1.6/0.75 Mbit/s' : 'no throttling'}):`);
  console.log(`  first card painted      ${s(summary.first_card_painted_ms)} s`);
  console.log(`  hydrated                ${s(summary.hydrated_ms)} s`);
  console.log(`  first swipe counted     ${s(summary.first_swipe_counted_ms)} s`);
  console.log(`  first visit (HTML, CSS, JS, Wasm on the wire) ${kb(summary.first_visit_bytes)} KB`);
  console.log('  by kind: ' + Object.entries(summary.bytes_by_kind).map(([k, v]) => `${k} ${kb(v)} KB`).join(', '));
  console.log('\nbundle bytes per route (on the wire):');
  for (const [path, b] of Object.entries(summary.routes)) {
    console.log(`  ${path.padEnd(18)} js ${kb(b.js).padStart(6)} KB   wasm ${kb(b.wasm).padStart(6)} KB`);
  }
  if (jsonOut) writeFileSync(jsonOut, JSON.stringify(summary, null, 2));
} finally {
  await browser.close();
  child.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
}
