/**
 * User Timing entries for what a user waits for: `kne:load` (a model picked or downloaded until
 * it is ready) and `kne:map` (one prompt's attribution, from the request to its result, worker
 * messaging included). They show in the browser's performance panel and are what
 * `npm run bench:browser` reads (`performance.getEntriesByName('kne:map')`); nothing else uses
 * them.
 */
export type TimingName = 'kne:load' | 'kne:map';

/** Records the span from `start` (a performance.now() reading) to now. */
export function measureSince(name: TimingName, start: number, detail: Record<string, unknown>) {
  performance.measure(name, { start, end: performance.now(), detail });
}
