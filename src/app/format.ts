/** Numbers and facts as the app's panels write them. */
import type { Fact } from '../facts';

const count = new Intl.NumberFormat('en');

export const formatCount = (n: number): string => count.format(n);

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[u]}`;
}

/** A duration estimate: "under a second", "12 s", "3 min 20 s", "2 h 5 min". */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return 'unknown time';
  if (s < 1) return 'under a second';
  if (s < 60) return `${Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - 60 * m)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export const formatPercent = (done: number, total: number): string =>
  `${total > 0 ? Math.floor((100 * done) / total) : 0} %`;

/** A fact as people name it: its subject, else its first prompt, else its id. */
export function factTitle(f: Fact): string {
  return f.subject ?? f.prompts[0]?.text ?? f.id;
}
