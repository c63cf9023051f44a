/**
 * How the command line ends: exit codes that tell bad input (fix the command or its files) from
 * failures (something broke while running; running again may work), and the message for each.
 */
import { ResultsError } from '../analysis/results';
import { PromptError } from '../attribution/prompt';
import { ModelLoadError } from '../weights/errors';
import { DownloadError } from '../weights/hub-cache';
import { ShardError } from './shard';

export const EXIT = {
  ok: 0,
  /** Something failed while running: I/O, network, the runtime. Finished work is kept. */
  failure: 1,
  /** The command, a flag, the model, the facts, the shard or a folder is not usable. */
  badInput: 2,
  /** Stopped by Ctrl-C (SIGINT) or by scancel / pod deletion (SIGTERM). */
  interrupted: 130,
  terminated: 143,
} as const;

/** Bad input found by the command line itself: a flag, a file, a folder. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Whether an error means the input must change (exit 2) rather than a failure (exit 1). */
export function isBadInput(e: unknown): boolean {
  if (e instanceof DownloadError) return false;
  return (
    e instanceof UsageError ||
    e instanceof ShardError ||
    e instanceof ResultsError ||
    e instanceof ModelLoadError ||
    e instanceof PromptError ||
    e instanceof RangeError
  );
}
