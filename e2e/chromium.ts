/**
 * The Chromium that the end-to-end tests and `npm run bench:browser` drive: $CHROMIUM_PATH, else
 * Debian's /usr/bin/chromium, else Playwright's own (after `npx playwright install chromium`).
 */
import { existsSync } from 'node:fs';

const DEBIAN_CHROMIUM = '/usr/bin/chromium';

export const CHROMIUM_PATH =
  process.env.CHROMIUM_PATH || (existsSync(DEBIAN_CHROMIUM) ? DEBIAN_CHROMIUM : undefined);

/** Quiet on a closed network: no background traffic, no first-run UI, no sandbox (root, CI). */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
