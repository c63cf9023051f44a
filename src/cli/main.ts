/**
 * `kne`: the explorer's engine and analyses as a command line, on onnxruntime-node
 * (docs/cluster.md). `main` runs one command and returns its exit code (./errors.ts); bin/kne.js
 * calls it with the process's arguments, streams, environment and signals.
 */
import { readFileSync } from 'node:fs';
import { EXIT, isBadInput } from './errors';
import type { CommandIo } from './io';
import { COMMANDS, type CommandName, type Parsed, commandHelp, parseCommand } from './options';

export const VERSION = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  }
).version;

type Run = (p: Parsed, io: CommandIo) => Promise<void>;

/** Each command's module, loaded when it runs: `--help` starts without the engine. */
const RUN: Record<CommandName, () => Promise<Run>> = {
  attribute: async () => (await import('./attribute')).attributeCommand,
  merge: async () => (await import('./merge')).mergeCommand,
  analyze: async () => (await import('./analyze')).analyzeCommand,
};

export function mainHelp(): string {
  const names = Object.keys(COMMANDS) as CommandName[];
  return [
    `kne ${VERSION}: knowledge neurons of language models, on the command line`,
    '',
    'usage: kne <command> [flags]        kne <command> --help for its flags',
    '',
    ...names.map((n) => `  ${n.padEnd(10)} ${COMMANDS[n].summary}`),
    '',
    'Exit codes: 0 done; 1 failed while running (finished work is kept: run again to resume);',
    '2 bad input (a flag, the model, the facts, the shard or a folder); 130/143 stopped by a signal.',
    'docs/cluster.md has examples, the output format and how to shard a run over a cluster.',
    '',
  ].join('\n');
}

/** Runs `kne <args>`; returns the exit code. Messages go to io.stderr, help to `print`. */
export async function main(
  args: string[],
  io: Omit<CommandIo, 'version'>,
  print: (text: string) => void,
): Promise<number> {
  const [name, ...rest] = args;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    print(mainHelp());
    return name === undefined ? EXIT.badInput : EXIT.ok;
  }
  if (name === '--version' || name === '-v') {
    print(`${VERSION}\n`);
    return EXIT.ok;
  }
  if (!(name in COMMANDS)) {
    io.log(
      `kne: unknown command ${JSON.stringify(name)}; the commands are ${Object.keys(COMMANDS).join(', ')} (kne --help)`,
    );
    return EXIT.badInput;
  }
  const command = name as CommandName;
  try {
    const parsed = parseCommand(command, rest);
    if (parsed.values.help) {
      print(commandHelp(command));
      return EXIT.ok;
    }
    await (
      await RUN[command]()
    )(parsed, { ...io, version: VERSION });
    return EXIT.ok;
  } catch (e) {
    if (io.signal.aborted) {
      const reason = io.signal.reason as { exitCode?: number } | undefined;
      return reason?.exitCode ?? EXIT.interrupted;
    }
    const error = e as Error;
    if (isBadInput(e)) {
      io.log(`kne ${command}: ${error.message}`);
      return EXIT.badInput;
    }
    io.log(
      `kne ${command} failed: ${error.name === 'Error' ? '' : `${error.name}: `}${error.message}`,
    );
    if (io.env.KNE_DEBUG) io.log(String(error.stack));
    return EXIT.failure;
  }
}
