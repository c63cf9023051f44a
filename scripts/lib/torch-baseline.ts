/**
 * The PyTorch baseline of `npm run bench`: scripts/torch/amig_baseline.py (the authors' per-layer
 * schedule on Hugging Face-style model code) run by Debian's python3 with python3-torch. Finds
 * it, says how to install it when it is missing, and runs it as a server so that one model load
 * serves every timed repeat.
 */
import { type ChildProcessWithoutNullStreams, execFile, spawn } from 'node:child_process';
import { access, constants } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { AttributionMethod } from '../../src/attribution/settings';
import type { EncodedPrompt, MultiTokenMode } from '../../src/attribution/prompt';

/** Debian's interpreter: python3-torch installs into it, not into a pyenv or venv python. */
export const DEBIAN_PYTHON = '/usr/bin/python3';
export const INSTALL_COMMAND = 'sudo apt-get install -y python3-torch libopenblas0-pthread';
const SCRIPT = fileURLToPath(new URL('../torch/amig_baseline.py', import.meta.url));

const run = promisify(execFile);

/**
 * OpenMP threads that sleep while idle: libgomp's default spin-waiting makes torch several times
 * slower on a machine whose cores other processes share (measured: 0.6 s against 9 to 13 s for
 * demo-bert, 241 s against 504 s for the mBERT shape). A value in the environment is kept.
 */
const TORCH_ENV = { ...process.env, OMP_WAIT_POLICY: process.env.OMP_WAIT_POLICY ?? 'PASSIVE' };

export interface TorchEnvironment {
  torch: string;
  threads: number;
  ompWaitPolicy: string | null;
  /** The BLAS library torch's matrix products run on, read from the process's memory map. */
  blas: { kind: 'openblas' | 'mkl' | 'reference' | 'builtin' | 'unknown'; libraries: string[] };
}

export type TorchAvailability =
  | { available: true; python: string; environment: TorchEnvironment; warnings: string[] }
  | { available: false; reason: string };

/** Whether `python` can run the baseline, and with which BLAS. Never throws. */
export async function detectTorch(python = DEBIAN_PYTHON): Promise<TorchAvailability> {
  try {
    await access(python, constants.X_OK);
  } catch {
    return {
      available: false,
      reason: `${python} is missing; install Debian's python3 with torch: ${INSTALL_COMMAND}`,
    };
  }
  let environment: TorchEnvironment;
  try {
    const { stdout } = await run(python, [SCRIPT, '--probe'], { timeout: 120_000, env: TORCH_ENV });
    environment = environmentOf(JSON.parse(stdout) as Reply);
  } catch (e) {
    const stderr = String((e as { stderr?: string }).stderr ?? (e as Error).message);
    const last = stderr.trim().split('\n').at(-1) ?? '';
    return {
      available: false,
      reason: `${python} cannot run the PyTorch baseline (${last}); install torch for it: ${INSTALL_COMMAND}`,
    };
  }
  const warnings: string[] = [];
  if (environment.blas.kind === 'reference')
    warnings.push(
      `torch is using the reference BLAS (${environment.blas.libraries.join(', ')}), about 30x ` +
        `slower than OpenBLAS: its timings are meaningless. Install OpenBLAS: sudo apt-get install -y libopenblas0-pthread`,
    );
  else if (!(await debianPackageInstalled('libopenblas0-pthread')))
    warnings.push(
      `libopenblas0-pthread is not installed; torch uses ${environment.blas.kind} BLAS ` +
        `(${environment.blas.libraries.join(', ') || 'no shared BLAS library'}).`,
    );
  return { available: true, python, environment, warnings };
}

async function debianPackageInstalled(name: string): Promise<boolean> {
  try {
    const { stdout } = await run('dpkg-query', ['-W', '-f=${Status}', name]);
    return stdout.includes('install ok installed');
  } catch {
    return false;
  }
}

export interface TorchRequest {
  /** The Hugging Face folder both implementations load. */
  model: string;
  ids: number[];
  /** Where each object token is predicted, and the token. */
  slots: { position: number; tokenId: number }[];
  /** The mask (masked LMs) or end-of-sequence token (causal LMs) of the AMIG baseline. */
  baselineToken: number;
  method?: AttributionMethod;
  steps?: number;
  /** Path rows per forward/backward pass (the authors' batch_size); default: all m at once. */
  batchSize?: number;
  tap?: 'post-activation' | 'pre-activation' | 'gate';
  multiToken?: MultiTokenMode;
  score?: 'activation' | 'difference';
  repeats?: number;
}

export interface TorchResult {
  layers: number;
  units: number;
  /** layers x units, row-major, like AttributionResult.scores. */
  scores: Float32Array;
  probability: number;
  slotProbabilities: number[];
  /** Wall seconds of each repeat, timed inside Python, model load excluded. */
  seconds: number[];
  /** Seconds the server took to load the model (once per model). */
  loadSeconds: number;
  environment: TorchEnvironment;
}

/** A request for the prompt the engine encoded, so both sides attribute the same token ids. */
export function torchRequest(
  model: string,
  enc: EncodedPrompt,
  options: Omit<TorchRequest, 'model' | 'ids' | 'slots' | 'baselineToken'> = {},
): TorchRequest {
  return {
    model,
    ids: enc.ids,
    slots: enc.slots.map((s) => ({ position: s.position, tokenId: s.tokenId })),
    baselineToken: enc.baselineToken,
    ...options,
  };
}

interface Reply {
  error?: string;
  layers: number;
  units: number;
  scores: number[][];
  probability: number;
  slot_probabilities: number[];
  seconds: number[];
  load_seconds: number;
  torch: string;
  threads: number;
  omp_wait_policy: string | null;
  blas: TorchEnvironment['blas'];
}

const environmentOf = (reply: Pick<Reply, 'torch' | 'threads' | 'omp_wait_policy' | 'blas'>) => ({
  torch: reply.torch,
  threads: reply.threads,
  ompWaitPolicy: reply.omp_wait_policy,
  blas: reply.blas,
});

/** One long-lived Python process answering one request at a time. */
export class TorchBaseline {
  private buffered = '';
  private stderr = '';
  private pending: { resolve: (line: string) => void; reject: (e: Error) => void } | null = null;
  private exited: Error | null = null;

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      this.buffered += chunk;
      const end = this.buffered.indexOf('\n');
      if (end < 0 || !this.pending) return;
      const line = this.buffered.slice(0, end);
      this.buffered = this.buffered.slice(end + 1);
      const { resolve } = this.pending;
      this.pending = null;
      resolve(line);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => (this.stderr = (this.stderr + chunk).slice(-4000)));
    child.on('exit', (code, signal) => {
      this.exited = new Error(
        `the PyTorch baseline exited (${signal ?? `code ${code}`}): ${this.stderr.trim()}`,
      );
      this.pending?.reject(this.exited);
      this.pending = null;
    });
  }

  static start(python = DEBIAN_PYTHON): TorchBaseline {
    return new TorchBaseline(spawn(python, [SCRIPT, '--serve'], { stdio: 'pipe', env: TORCH_ENV }));
  }

  async attribute(req: TorchRequest): Promise<TorchResult> {
    if (this.exited) throw this.exited;
    if (this.pending) throw new Error('TorchBaseline.attribute: one request at a time');
    const line = new Promise<string>((resolve, reject) => (this.pending = { resolve, reject }));
    this.child.stdin.write(
      JSON.stringify({
        model: req.model,
        ids: req.ids,
        slots: req.slots.map((s) => ({ position: s.position, token_id: s.tokenId })),
        baseline_token: req.baselineToken,
        method: req.method,
        steps: req.steps,
        batch_size: req.batchSize,
        tap: req.tap,
        multi_token: req.multiToken,
        score: req.score,
        repeats: req.repeats,
      }) + '\n',
    );
    const reply = JSON.parse(await line) as Reply;
    if (reply.error) throw new Error(`the PyTorch baseline failed: ${reply.error}`);
    return {
      layers: reply.layers,
      units: reply.units,
      scores: Float32Array.from(reply.scores.flat()),
      probability: reply.probability,
      slotProbabilities: reply.slot_probabilities,
      seconds: reply.seconds,
      loadSeconds: reply.load_seconds,
      environment: environmentOf(reply),
    };
  }

  /** Ends the server and waits for it to exit. */
  async close(): Promise<void> {
    if (this.exited) return;
    const done = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await done;
  }
}
