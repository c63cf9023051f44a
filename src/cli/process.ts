/**
 * The `kne` process (bin/kne.js imports this): runs `main` with the process's arguments, streams
 * and environment. SIGINT (Ctrl-C) and SIGTERM (scancel, pod deletion) stop a run after it has
 * saved what finished; a second signal ends the process at once.
 */
import { main } from './main';

const controller = new AbortController();
for (const [signal, exitCode] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
  process.once(signal, () => {
    process.stderr.write(`\nkne: ${signal}: stopping after saving what is finished\n`);
    controller.abort({ exitCode });
    process.once(signal, () => process.exit(exitCode));
  });
}

process.exitCode = await main(
  process.argv.slice(2),
  {
    stderr: process.stderr,
    log: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    signal: controller.signal,
  },
  (text) => process.stdout.write(text),
);
