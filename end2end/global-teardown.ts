// Removes the SQLite folder that playwright.config.ts made for this run.
import { rmSync } from 'node:fs';

export default function globalTeardown() {
  const dir = process.env.SWIPESET_E2E_DATA;
  if (dir) rmSync(dir, { recursive: true, force: true });
}
