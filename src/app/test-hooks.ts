/**
 * What the end-to-end tests may do to the engine, for a page whose script set
 * `window.kneEnableTestHooks = true` before the app started (Playwright's `addInitScript`).
 * Nothing a user types or a link holds can set it: a link changes only the address, and an
 * element named `kneEnableTestHooks` (DOM clobbering) is not `true`. Script that could set it
 * could do anything the hooks do and more; the hooks only break this page's own engine.
 *
 * `window.kneTest.loseDevice()` destroys the engine's GPU device from inside its worker, as a
 * driver reset would; `loseDeviceInNextRun()` does so at the next attribution's first progress
 * report, so that a run is stopped mid-way; `noAdapterOnRestart()` makes the next engine's
 * adapter request fail, as on a machine whose GPU does not come back.
 */
export interface KneTestHooks {
  loseDevice(): Promise<void>;
  loseDeviceInNextRun(): Promise<void>;
  noAdapterOnRestart(): void;
}

declare global {
  interface Window {
    kneTest?: KneTestHooks;
    kneEnableTestHooks?: unknown;
  }
}

/** Whether the page was opened by a test that asked for the hooks (read once, at start). */
export const testHooksEnabled = (): boolean => window.kneEnableTestHooks === true;
