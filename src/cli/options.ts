/**
 * The commands and flags of `kne`, in one table: the parser, `--help` and the deploy files'
 * test (tests/deploy.test.ts) all read it, so a flag the scripts pass is one the program takes.
 */
import { parseArgs } from 'node:util';
import { UsageError } from './errors';

export interface Flag {
  type: 'string' | 'boolean';
  /** What the value is, in --help ("<dir>"). */
  value?: string;
  help: string;
  /** May be given several times (values collected in order). */
  multiple?: boolean;
}

export interface Command {
  summary: string;
  /** The positional arguments, in --help ("<dir>..."); none when absent. */
  positionals?: string;
  flags: Record<string, Flag>;
}

const MODEL_FLAGS: Record<string, Flag> = {
  offline: {
    type: 'boolean',
    help: 'never use the network: a Hub model must be in the Hugging Face cache (also HF_HUB_OFFLINE=1)',
  },
  token: {
    type: 'string',
    value: '<token>',
    help: 'Hugging Face access token for gated or private models (default: HF_TOKEN, or the token file of `huggingface-cli login`)',
  },
  threads: {
    type: 'string',
    value: '<n>',
    help: "onnxruntime's threads (default: SLURM_CPUS_PER_TASK in a Slurm job, else all cores)",
  },
};

export const COMMANDS: Record<'attribute' | 'merge' | 'analyze', Command> = {
  attribute: {
    summary:
      "Attributes every prompt of the facts and selects each fact's knowledge neurons per language; resumable.",
    flags: {
      model: {
        type: 'string',
        value: '<folder | hub-id[@revision]>',
        help: 'a model folder, or a Hugging Face Hub id downloaded into the Hugging Face cache ($HF_HOME)',
      },
      facts: {
        type: 'string',
        value: '<file | folder | factset>',
        help: 'facts: mLAMA or PARAREL JSONL, CSV, TSV or the project JSON; a fact-set folder; or "factset", the bundled fact set',
      },
      out: {
        type: 'string',
        value: '<dir>',
        help: 'results folder; run again with the same folder to resume',
      },
      method: { type: 'string', value: 'amig|ig|grad-x-act', help: 'attribution method (amig)' },
      steps: { type: 'string', value: '<n>', help: 'integration steps, 1 to 200 (20)' },
      languages: {
        type: 'string',
        value: '<l1,l2>',
        help: 'languages to run, e.g. en,zh (default: every language of the facts)',
      },
      relations: {
        type: 'string',
        value: '<r1,r2>',
        help: 'only facts of these relations, e.g. P36,P30',
      },
      'per-relation': {
        type: 'string',
        value: '<n>',
        help: 'only the first n facts of each relation',
      },
      paraphrases: {
        type: 'boolean',
        help: "fact sets: one prompt per template paraphrase (default: each relation's main template)",
      },
      tau: {
        type: 'string',
        value: '<l=t,...>',
        help: 'threshold per language as a share of the map maximum (default en=0.3, zh=0.2, others 0.3)',
      },
      degenerate: {
        type: 'boolean',
        help: 'also search degenerate pairs of each fact x language (the DKN)',
      },
      maps: { type: 'boolean', help: "also keep each prompt's full map in maps/ as safetensors" },
      top: { type: 'string', value: '<k>', help: 'top neurons kept per prompt (20)' },
      shard: {
        type: 'string',
        value: '<I/N>',
        help: 'run shard I of N (0 to N-1); default: from a Slurm job array, else everything',
      },
      shards: {
        type: 'string',
        value: '<N>',
        help: 'the number of shards, checked against the job array (Kubernetes Indexed Jobs: required)',
      },
      ...MODEL_FLAGS,
    },
  },
  merge: {
    summary:
      'Joins the shard folders of one run into the folder a single process would have written.',
    positionals: '<dir>...',
    flags: { out: { type: 'string', value: '<dir>', help: 'the merged results folder' } },
  },
  analyze: {
    summary:
      "The Dataset tab's analyses of a results folder: KN, LIKN and DKN per layer, selection frequency, language overlap, degenerate pairs and, with --fact-check, fact checking.",
    flags: {
      in: {
        type: 'string',
        value: '<dir>',
        help: 'a complete results folder (attribute or merge)',
      },
      out: { type: 'string', value: '<dir>', help: 'the analysis folder' },
      'fact-check': {
        type: 'string',
        value: '<language>',
        help: 'also check facts with their degenerate neurons in this language (needs --model)',
      },
      model: {
        type: 'string',
        value: '<folder | hub-id[@revision]>',
        help: 'the model the results are of (for --fact-check)',
      },
      ...MODEL_FLAGS,
    },
  },
};

export type CommandName = keyof typeof COMMANDS;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses a command's arguments; unknown flags and missing values are UsageErrors. */
export function parseCommand(name: CommandName, args: string[]): Parsed {
  const command = COMMANDS[name];
  try {
    const { values, positionals } = parseArgs({
      args,
      options: {
        ...Object.fromEntries(Object.entries(command.flags).map(([k, f]) => [k, { type: f.type }])),
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: !!command.positionals,
      strict: true,
    });
    return { values: values as Parsed['values'], positionals };
  } catch (e) {
    throw new UsageError(
      `kne ${name}: ${(e as Error).message.replace(/\. To specify a positional.*$/s, '')} ` +
        `(kne ${name} --help lists the flags)`,
    );
  }
}

/** The text of `kne <command> --help`. */
export function commandHelp(name: CommandName): string {
  const c = COMMANDS[name];
  const rows = Object.entries(c.flags).map(([k, f]) => [
    `--${k}${f.value ? ` ${f.value}` : ''}`,
    f.help,
  ]);
  const width = Math.max(...rows.map(([a]) => a.length));
  return [
    `kne ${name}${c.positionals ? ` ${c.positionals}` : ''} [flags]`,
    '',
    c.summary,
    '',
    ...rows.map(([a, b]) => `  ${a.padEnd(width)}  ${b}`),
    '',
  ].join('\n');
}
