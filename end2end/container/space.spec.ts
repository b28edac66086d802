// The image as a Hugging Face Space runs it (scripts/container-test.sh exports its
// filesystem; this starts the image's entry point under chroot, as the image's user, in its
// folder, with its environment plus what a Space adds): health, the storage warning,
// "Sign in with Hugging Face", a rating, a clean stop, and the rating after a restart.
import { test, expect, type Page } from '@playwright/test';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const rootfs = process.env.SWIPESET_CONTAINER_ROOTFS!;
/** `podman image inspect`: the image's `Config` (entry point, user, folder, environment)
 * and, in Docker's format, its `Healthcheck`. */
const [image] = JSON.parse(readFileSync(process.env.SWIPESET_CONTAINER_IMAGE!, 'utf8'));
const config = image.Config;
const baseURL = () => test.info().project.use.baseURL!;
const port = () => Number(new URL(baseURL()).port);
const ADMIN_PASSWORD = 'container-admin-password';

test.describe.configure({ mode: 'serial' });

/** The image's environment, then what a Space with `hf_oauth: true` sets. */
function environment(): string[] {
  return [
    ...(config.Env as string[]),
    `SWIPESET_ADDR=127.0.0.1:${port()}`,
    'SPACE_ID=someone/swipeset',
    `SPACE_HOST=127.0.0.1:${port()}`,
    'OAUTH_CLIENT_ID=swipeset-e2e',
    'OAUTH_CLIENT_SECRET=e2e-client-secret-that-is-long-enough',
    `OPENID_PROVIDER_URL=http://127.0.0.1:${port() + 1}`,
    'OAUTH_SCOPES=openid profile',
    // A Space is reached over https through its proxy; here there is no TLS, so the public
    // URL (otherwise https://$SPACE_HOST) says http.
    `SWIPESET_PUBLIC_URL=${baseURL()}`,
    `SWIPESET_ADMIN_PASSWORD=${ADMIN_PASSWORD}`,
    'SWIPESET_DEMO=true',
  ];
}

/** Runs `args` (the entry point's arguments) as the image would, under chroot. */
function inImage(args: string[]): string[] {
  const user = String(config.User ?? '0');
  const folder = config.WorkingDir || '/';
  const command = [...(config.Entrypoint ?? []), ...args];
  return [
    `--userspec=${user}:${user}`,
    rootfs,
    '/usr/bin/env', '-i', ...environment(),
    '/bin/sh', '-c', 'cd "$0" && exec "$@"', folder, ...command,
  ];
}

class Container {
  process: ChildProcess;
  output = '';
  exited: Promise<number | null>;
  constructor() {
    this.process = spawn('chroot', inImage(config.Cmd ?? []), { stdio: ['ignore', 'pipe', 'pipe'] });
    for (const stream of [this.process.stdout!, this.process.stderr!]) {
      stream.on('data', (chunk) => (this.output += chunk.toString()));
    }
    this.exited = new Promise((done) => this.process.on('exit', (code) => done(code)));
  }
  async healthy(): Promise<void> {
    await expect
      .poll(async () => (await fetch(`${baseURL()}/healthz`).catch(() => null))?.status, { timeout: 30_000 })
      .toBe(200);
  }
  async stop(): Promise<number | null> {
    this.process.kill('SIGTERM');
    return this.exited;
  }
}

let data: string;
let running: Container | undefined;

test.beforeAll(() => {
  data = mkdtempSync(join(tmpdir(), 'swipeset-space-data-'));
  chownSync(data, 1000, 1000);
});

test.afterAll(async () => {
  if (running?.process.exitCode === null) await running.stop();
  spawnSync('umount', [join(rootfs, 'data')]);
  rmSync(data, { recursive: true, force: true });
});

async function signInAsAdmin(page: Page): Promise<void> {
  const reply = await page.request.post('/api/sign_in', { data: { name: 'admin', password: ADMIN_PASSWORD } });
  expect(reply.status(), await reply.text()).toBe(200);
}

test('without persistent storage: healthy, and every admin page says ratings will be lost', async ({ page }, info) => {
  running = new Container();
  await running.healthy();
  // The image's HEALTHCHECK command, run inside the image.
  const check = spawnSync('chroot', inImage(['healthcheck']), { encoding: 'utf8' });
  expect(check.status, check.stderr).toBe(0);
  expect(check.stdout).toContain('"status":"ok"');
  expect(image.Healthcheck?.Test).toEqual(['CMD', 'swipeset', 'healthcheck']);
  expect(running.output).toContain('Ratings will be lost when this Space restarts');

  await signInAsAdmin(page);
  for (const path of ['/admin/campaigns', '/admin/users', '/export?campaign=haiku-demo']) {
    await page.goto(path);
    await expect(page.locator('.instance-notice')).toContainText(
      'Ratings will be lost when this Space restarts: the SQLite database /data/swipeset.db',
    );
  }
  await page.goto('/admin/campaigns');
  await page.screenshot({ path: info.outputPath('storage-warning.png'), fullPage: true });
  expect(await running.stop()).toBe(0);
  expect(running.output).toContain('swipeset stopped');
});

test('with persistent storage at /data: sign in with Hugging Face, rate, restart, still rated', async ({ page }, info) => {
  const mount = spawnSync('mount', ['--bind', data, join(rootfs, 'data')], { encoding: 'utf8' });
  expect(mount.status, mount.stderr).toBe(0);
  running = new Container();
  await running.healthy();
  expect(running.output).not.toContain('Ratings will be lost');

  // A rater on the Space: signs in through the provider, lands on the cards.
  await page.addInitScript(() => localStorage.setItem('swipeset.guidelines-seen.haiku-demo', '1'));
  await page.goto('/login');
  await page.getByRole('link', { name: 'Sign in with Hugging Face' }).click();
  await page.locator('input[name="login"]').fill('space-rater');
  await page.locator('input[name="password"]').fill('anything');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  const consent = page.getByRole('button', { name: 'Continue' });
  if (await consent.isVisible().catch(() => false)) await consent.click();
  await expect(page).toHaveURL(`${baseURL()}/`);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  const card = page.locator('article.card');
  await expect(card).toBeVisible();
  const rated = Number(await card.getAttribute('data-response-id'));
  await page.getByRole('button', { name: 'Thumbs up: accept this response' }).click();
  await expect.poll(async () => (await (await page.request.get('/api/progress')).json()).rated_by_you).toBe(1);
  await page.screenshot({ path: info.outputPath('rated-on-the-space.png'), fullPage: true });

  // The admin sees no storage warning now.
  const admin = await page.context().browser()!.newContext({ baseURL: baseURL() });
  const adminPage = await admin.newPage();
  await signInAsAdmin(adminPage);
  await adminPage.goto('/admin/campaigns');
  await expect(adminPage.getByRole('heading', { name: 'Campaigns' })).toBeVisible();
  await expect(adminPage.locator('.instance-notice')).toHaveCount(0);
  await admin.close();

  expect(await running.stop()).toBe(0);
  running = new Container();
  await running.healthy();
  // The session and the rating both outlived the restart.
  const progress = await (await page.request.get('/api/progress')).json();
  expect(progress.rated_by_you).toBe(1);
  const again = await page.request.post('/api/rate', { data: { response_id: rated, label: 'down' } });
  expect((await again.json()).status).toBe('already_rated');
});
