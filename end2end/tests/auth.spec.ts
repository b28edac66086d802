// Accounts in the browser: sign up, sign out and in; wrong passwords and their throttle;
// "Sign in with Hugging Face" through a real OpenID provider (oidc-provider.mjs); an admin
// disabling a user; an API token made on the profile page, used, and revoked.
import { test, expect, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import { ADMIN, collectErrors, signIn } from './helpers';

const PASSWORD = 'a long enough password';

/** A user name no other test (or run) uses. */
function fresh(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

async function hydrated(page: Page, path: string): Promise<void> {
  await page.goto(path);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
}

async function signUpInTheUi(page: Page, name: string): Promise<void> {
  await hydrated(page, '/signup?next=/profile');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Make my account' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
}

async function me(page: Page): Promise<{ status: number; body: any }> {
  const reply = await page.request.get('/api/me');
  return { status: reply.status(), body: await reply.json() };
}

test('sign up, sign out, and sign in again', async ({ page }, testInfo) => {
  const errors = collectErrors(page);
  const name = fresh('ada');
  await signUpInTheUi(page, name);
  await page.screenshot({ path: testInfo.outputPath('profile.png'), fullPage: true });
  expect((await me(page)).body.user.name).toBe(name);

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/login$/);
  expect((await me(page)).body.user).toBeNull();

  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true', { timeout: 15_000 });
  await page.screenshot({ path: testInfo.outputPath('login.png'), fullPage: true });
  const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21aa']).analyze();
  expect(axe.violations.map((v) => v.id)).toEqual([]);

  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/$/);
  await expect(page.getByRole('link', { name: `Your profile (${name})` })).toBeVisible();
  expect(errors).toEqual([]);
});

test('a wrong password says so, and repeated ones are throttled', async ({ page }) => {
  const name = fresh('bob');
  const reply = await page.request.post('/api/sign_up', { data: { name, password: PASSWORD } });
  expect(reply.status()).toBe(200);
  await page.request.post('/api/sign_out', { data: {} });

  await hydrated(page, '/login');
  const attempt = async () => {
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  };
  await page.getByLabel('Name').fill(name);
  await attempt();
  await expect(page.getByRole('alert')).toHaveText('wrong name or password');
  for (let i = 0; i < 4; i++) {
    await attempt();
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toBeEnabled();
  }
  // The sixth try is refused before the password is even looked at, right or wrong.
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toContainText('too many failed sign-ins');
  expect((await me(page)).body.user).toBeNull();
});

test('sign in with the OpenID provider', async ({ page }, testInfo) => {
  const name = fresh('hf');
  await hydrated(page, '/login?next=/profile');
  await page.getByRole('link', { name: 'Sign in with Hugging Face' }).click();
  // The provider's own pages: its development login (any name), then consent.
  await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/interaction\//);
  await page.locator('input[name="login"]').fill(name);
  await page.locator('input[name="password"]').fill('anything');
  await page.getByRole('button', { name: 'Sign-in' }).click();
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page).toHaveURL(/\/profile$/);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(name);
  await page.screenshot({ path: testInfo.outputPath('after-oidc.png'), fullPage: true });
  const who = (await me(page)).body.user;
  expect(who.name).toBe(name);
  expect(who.role).toBe('annotator');
  expect(who.has_password).toBe(false);
});

// `next=` values that a lax check let through and the URL parser then turned into another
// site (a tab or newline is dropped, `%2F` decoded): after signing in, the browser must
// still be on this site, by either sign-in path.
const OFF_SITE_NEXTS = ['/%09/example.com', '/%0A/example.com', '/%2F/example.com', '/%5C/example.com'];

test('signing in with a password never leaves the site, whatever next= says', async ({ page }) => {
  const name = fresh('eve');
  expect((await page.request.post('/api/sign_up', { data: { name, password: PASSWORD } })).status()).toBe(200);
  for (const next of OFF_SITE_NEXTS) {
    await page.request.post('/api/sign_out', { data: {} });
    await hydrated(page, `/login?next=${next}`);
    await page.getByLabel('Name').fill(name);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await expect(page.getByRole('link', { name: `Your profile (${name})` })).toBeVisible();
    expect(new URL(page.url()).origin, next).toBe(new URL(test.info().project.use.baseURL!).origin);
    expect(new URL(page.url()).pathname, next).toBe('/');
  }
});

test('signing in with the OpenID provider never leaves the site, whatever next= says', async ({ page }) => {
  const name = fresh('hfeve');
  for (const next of OFF_SITE_NEXTS) {
    // A fresh start each time, the provider's own session included.
    await page.context().clearCookies();
    await page.goto(`/login/oidc?next=${next}`);
    await expect(page).toHaveURL(/127\.0\.0\.1:\d+\/interaction\//);
    await page.locator('input[name="login"]').fill(name);
    await page.locator('input[name="password"]').fill('anything');
    await page.getByRole('button', { name: 'Sign-in' }).click();
    // The provider asks for consent unless it remembers an earlier grant.
    const consent = page.getByRole('button', { name: 'Continue' });
    const signedIn = page.getByRole('link', { name: `Your profile (${name})` });
    await expect(consent.or(signedIn)).toBeVisible();
    if (await consent.isVisible()) await consent.click();
    await expect(signedIn).toBeVisible();
    expect(new URL(page.url()).origin, next).toBe(new URL(test.info().project.use.baseURL!).origin);
    expect(new URL(page.url()).pathname, next).toBe('/');
  }
});

test('an admin disables a user, whose next request is refused', async ({ browser }, testInfo) => {
  const dora = await browser.newPage();
  const name = fresh('dora');
  const reply = await dora.request.post('/api/sign_up', { data: { name, password: PASSWORD } });
  expect(reply.status()).toBe(200);
  expect((await me(dora)).status).toBe(200);

  const admin = await browser.newPage();
  await signIn(admin, ADMIN.name, ADMIN.password);
  await hydrated(admin, '/admin/users');
  await admin.screenshot({ path: testInfo.outputPath('users.png'), fullPage: true });
  const row = admin.locator(`li[data-user="${name}"]`);
  await row.getByRole('button', { name: `Disable ${name}` }).click();
  await expect(row.getByRole('button', { name: `Enable ${name}` })).toBeVisible();
  await expect(row).toContainText('disabled');

  const refused = await me(dora);
  expect(refused.status).toBe(403);
  expect(refused.body.message).toContain('disabled');
  const rate = await dora.request.post('/api/next_cards', { data: { count: 1 } });
  expect(rate.status()).toBe(403);

  await row.getByRole('button', { name: `Enable ${name}` }).click();
  await expect(row.getByRole('button', { name: `Disable ${name}` })).toBeVisible();
  expect((await me(dora)).status).toBe(200);
});

test('a token made on the profile page works for scripts until it is revoked', async ({ page, playwright }, testInfo) => {
  const name = fresh('eve');
  await signUpInTheUi(page, name);
  await page.getByLabel('Name', { exact: true }).fill('notebook');
  await page.getByRole('button', { name: 'Make a token' }).click();
  const value = page.locator('code.token-value');
  await expect(value).toHaveText(/^swipeset_[A-Za-z0-9]{40}$/);
  const token = (await value.textContent())!.trim();
  await page.screenshot({ path: testInfo.outputPath('token.png'), fullPage: true });

  // A script: no cookies, only the bearer token.
  const script = await playwright.request.newContext({
    baseURL: test.info().project.use.baseURL,
    extraHTTPHeaders: { Authorization: `Bearer ${token}` },
  });
  const who = await script.get('/api/me');
  expect(who.status()).toBe(200);
  expect((await who.json()).user.name).toBe(name);
  const dealt = await script.post('/api/next_cards', { data: { count: 1 } });
  expect(dealt.status()).toBe(200);
  expect((await dealt.json()).cards.length).toBe(1);

  await page.getByRole('button', { name: 'Revoke the token notebook' }).click();
  await expect(page.locator('li.token-line')).toContainText('revoked');
  const after = await script.get('/api/me');
  expect(after.status()).toBe(401);
  expect((await after.json()).message).toContain('revoked');
  await script.dispose();
});
