/** Numbers and facts as the app's panels write them. */
import type { Fact } from '../facts';
import type { ModelAssessment } from '../worker-api';

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

/** How a loaded model's weights are held, as the model summary says it. */
export function formatWeights(w: {
  deviceBytes: number;
  float16Bytes: number;
  rounded: boolean;
}): string {
  const held = `${formatBytes(w.deviceBytes)} on the device`;
  if (w.rounded) return `${held}, float32 weights rounded to 16-bit`;
  if (w.float16Bytes === 0) return `${held}, float32`;
  if (w.float16Bytes === w.deviceBytes) return `${held}, 16-bit`;
  return `${held}, ${formatBytes(w.float16Bytes)} of it 16-bit`;
}

/** A model's fit before its download, as the Hub picker says it: one line per part. */
export function formatAssessment(a: ModelAssessment): string[] {
  const f = a.report.footprint;
  const stored = f.stored16 ? '16-bit' : 'float32';
  const held = f.bytesPerValue === 2 && !f.stored16 ? ', as 16-bit' : '';
  const lines = [
    `${a.id}: ${formatCount(Math.round(f.parameters / 1e6))} M parameters, a ${formatBytes(a.checkpointBytes)} ` +
      `download (${stored}). Weights in memory ${formatBytes(f.weightBytes)}${held}; largest ` +
      `table ${f.largestTable.name} ${formatBytes(f.largestTable.bytes)}, largest other weight ` +
      `${f.largestWhole.name} ${formatBytes(f.largestWhole.bytes)} (as float32); a map's working ` +
      `memory ${formatBytes(f.workingBytes)}.`,
  ];
  for (const fit of a.report.fits) {
    const name = fit.backend === 'webgpu' ? 'WebGPU' : 'WASM';
    const split = fit.splitTables.length ? `; ${fit.splitTables.join(', ')} (split by rows)` : '';
    lines.push(
      fit.fits
        ? `${name}: fits (${formatBytes(fit.totalBytes)} of ${formatBytes(fit.limitBytes)}${split}); ` +
            `about ${formatSeconds(fit.mapSeconds)} per map.`
        : `${name}: does not fit: ${fit.problems.join('; ')}.`,
    );
  }
  if (a.report.sixteenBitHelps) lines.push('It fits with “Load float32 weights as 16-bit” on.');
  return lines;
}

/** A fact as people name it: its subject, else its first prompt, else its id. */
export function factTitle(f: Fact): string {
  return f.subject ?? f.prompts[0]?.text ?? f.id;
}
