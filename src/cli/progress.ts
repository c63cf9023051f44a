/**
 * Progress of a long command: on a terminal, one bar redrawn in place with the rate and the time
 * left; elsewhere (a Slurm log, a pipe), a plain line now and then. The rate and the time left
 * come from block evaluations, the engine's unit of work, so prompts of different lengths count
 * for what they cost.
 */
import { promptRate } from '../analysis/dataset';

export interface ProgressSink {
  write(text: string): void;
  /** A terminal: redraw in place. */
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressState {
  /** Items finished (reused ones included) and in all. */
  done: number;
  total: number;
  /** Items found finished when the run started. */
  reused: number;
  /** Work done by this process and still to do, in block evaluations. */
  blocks: { done: number; total: number };
  /** Prompts attributed by this process, and the seconds spent attributing them. */
  prompts?: { done: number; total: number; seconds: number };
  /** What is being computed, for the line. */
  current?: string;
}

/** "1:05:09", "4:09", "0:07". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/** The text of one progress report (without the bar). */
export function progressText(p: ProgressState, elapsed: number, unit: string): string {
  const rate = elapsed > 0 ? (p.done - p.reused) / elapsed : 0;
  const left =
    p.blocks.done > 0 ? ((p.blocks.total - p.blocks.done) * elapsed) / p.blocks.done : Infinity;
  const parts = [
    `${p.done}/${p.total} ${unit}`,
    ...(p.reused ? [`${p.reused} reused`] : []),
    `${rate >= 10 ? rate.toFixed(0) : rate.toFixed(2)} ${unit}/s`,
    ...(p.prompts && promptRate({ prompts: p.prompts })
      ? [promptRate({ prompts: p.prompts })]
      : []),
    `elapsed ${formatDuration(elapsed)}`,
    p.done === p.total ? 'done' : `ETA ${formatDuration(left)}`,
  ];
  return parts.join(' · ');
}

/**
 * Reports progress to `sink`: a bar on a terminal (at most 10 redraws a second), else a line at
 * most every `everySeconds` and at the end.
 */
export class Progress {
  private readonly start: number;
  private last = -Infinity;
  private drawn = false;

  constructor(
    private readonly sink: ProgressSink,
    private readonly unit: string,
    private readonly now: () => number = () => performance.now() / 1000,
    private readonly everySeconds = 10,
  ) {
    this.start = now();
  }

  update(p: ProgressState): void {
    const t = this.now();
    const finished = p.done === p.total;
    const text = progressText(p, t - this.start, this.unit);
    if (this.sink.isTTY) {
      if (!finished && t - this.last < 0.1) return;
      const width = Math.max(10, Math.min(30, (this.sink.columns ?? 80) - text.length - 4));
      const filled = p.total ? Math.round((width * p.done) / p.total) : width;
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
      const line = `${bar} ${text}`.slice(0, (this.sink.columns ?? 80) - 1);
      this.sink.write(`\r\x1b[2K${line}`);
      this.drawn = true;
    } else {
      if (!finished && t - this.last < this.everySeconds) return;
      this.sink.write(`progress: ${text}${p.current && !finished ? ` · ${p.current}` : ''}\n`);
    }
    this.last = t;
  }

  /** Ends the bar's line, so that what is logged next starts on its own. */
  end(): void {
    if (this.drawn) this.sink.write('\n');
    this.drawn = false;
  }

  /** A log line that does not break the bar. */
  log(line: string): void {
    if (this.drawn) this.sink.write('\r\x1b[2K');
    this.sink.write(`${line}\n`);
    this.last = -Infinity;
  }
}
