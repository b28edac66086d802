// Playwright drives Debian's Chromium (no browser download) against swipeset with its
// release browser bundle, started fresh on its own SQLite file with the demo campaign.
//
// scripts/test.sh sets SWIPESET_BIN (the dev build its tests made, which `make run` serves)
// and SWIPESET_SITE_ROOT.
import { defineConfig } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const port = Number(process.env.E2E_PORT ?? 3107);
// The OpenID provider the sign-in test goes through (oidc-provider.mjs).
const oidcPort = port + 1;
// The stand-in Hugging Face Hub the publish test pushes to (core/standins).
export const hubPort = port + 2;
// The stand-in OpenAI-compatible endpoint the campaign page's Generate section asks.
export const openaiPort = port + 3;
export const HUB_TOKEN = 'hf_e2e_write_token';
export const HUB_READ_TOKEN = 'hf_e2e_read_token';
/** The first admin's password, given to the server at its first start. */
export const ADMIN_PASSWORD = 'e2e-admin-password';
const bin = process.env.SWIPESET_BIN ?? resolve(__dirname, '../target/release/swipeset');
// Beside the server binary unless named (scripts/test.sh names it).
const standinsBin =
  process.env.SWIPESET_STANDINS_BIN ?? resolve(bin, '..', 'swipeset-standins');
const siteRoot = process.env.SWIPESET_SITE_ROOT ?? resolve(__dirname, '../target/site');
// The config is loaded by the runner and again by each worker: make the data folder once
// and hand it on through the environment; global-teardown.ts removes it.
process.env.SWIPESET_E2E_DATA ??= mkdtempSync(join(tmpdir(), 'swipeset-e2e-'));
const dataDir = process.env.SWIPESET_E2E_DATA;

export default defineConfig({
  testDir: './tests',
  globalTeardown: './global-teardown.ts',
  outputDir: './test-results',
  timeout: 30_000,
  retries: 0,
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    },
  },
  projects: [
    {
      name: 'phone',
      use: {
        viewport: { width: 390, height: 844 },
        deviceScaleFactor: 3,
        isMobile: true,
        hasTouch: true,
      },
    },
  ],
  webServer: [
    {
      command: `node oidc-provider.mjs ${oidcPort} ${port}`,
      url: `http://127.0.0.1:${oidcPort}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      command: [
        `"${standinsBin}" --hub-addr 127.0.0.1:${hubPort} --openai-addr 127.0.0.1:${openaiPort}`,
        `--account ${HUB_TOKEN}:e2e-user --account ${HUB_READ_TOKEN}:e2e-user:read`,
      ].join(' '),
      port: hubPort,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
    {
      // Guests rate the demo (most tests are about rating, not accounts); anyone may sign
      // up; "Sign in with Hugging Face" goes to the local provider, members of swipe-org only.
      command: [
        `"${bin}" serve --demo --guests --open-registration`,
        `--addr 127.0.0.1:${port} --public-url http://127.0.0.1:${port}`,
        `--site-root "${siteRoot}" --database-url "sqlite://${dataDir}/swipeset.db"`,
        `--oidc-issuer-url http://127.0.0.1:${oidcPort} --oidc-client-id swipeset-e2e`,
        `--oidc-allowed-orgs swipe-org`,
        `--hub-endpoint http://127.0.0.1:${hubPort}`,
        // Every test's browser is a new guest, all from 127.0.0.1.
        `--new-guests-per-hour 10000 --new-guests-per-day 10000`,
      ].join(' '),
      env: {
        SWIPESET_ADMIN_PASSWORD: ADMIN_PASSWORD,
        SWIPESET_OIDC_CLIENT_SECRET: 'e2e-client-secret-that-is-long-enough',
      },
      url: `http://127.0.0.1:${port}/healthz`,
      reuseExistingServer: false,
      timeout: 60_000,
      stdout: 'pipe',
      stderr: 'pipe',
    },
  ],
});
