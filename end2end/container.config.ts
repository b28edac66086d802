// Playwright for the container check (scripts/container-test.sh): the exported image is
// started by the spec itself (it stops and restarts it), so only the OpenID provider is a
// web server here.
import { defineConfig } from '@playwright/test';
import base from './playwright.config';

const port = Number(process.env.E2E_CONTAINER_PORT ?? 3207);

export default defineConfig({
  ...base,
  testDir: './container',
  globalTeardown: undefined,
  timeout: 120_000,
  use: { ...base.use, baseURL: `http://127.0.0.1:${port}` },
  webServer: [
    {
      command: `node oidc-provider.mjs ${port + 1} ${port}`,
      url: `http://127.0.0.1:${port + 1}/.well-known/openid-configuration`,
      reuseExistingServer: false,
      timeout: 30_000,
      stdout: 'ignore',
      stderr: 'pipe',
    },
  ],
});
