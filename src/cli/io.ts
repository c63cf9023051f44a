/** What a command gets from the process: its streams, environment and stop signal. */
import type { ProgressSink } from './progress';

export interface CommandIo {
  /** Progress and messages (a terminal or a log file). */
  stderr: ProgressSink;
  /** One message line on stderr. */
  log: (line: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  /** Aborted by SIGINT or SIGTERM: the command saves what finished and stops. */
  signal: AbortSignal;
  /** kne's version (package.json). */
  version: string;
}
