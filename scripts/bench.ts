/**
 * `npm run bench`: per-prompt attribution time and block evaluations of the staggered schedule
 * against the authors' per-layer schedule, measured side by side in one run on
 * onnxruntime-node, and against a PyTorch implementation of the authors' per-layer schedule
 * (scripts/torch/amig_baseline.py) on the very same weights, for the bundled demo models and for
 * randomly initialised models with mBERT-base's and GPT-2 small's shapes (written to a temporary
 * Hugging Face folder that both load). Each model runs in a process of its own, so memory figures
 * start clean. Prints ratios; not a test.
 *
 *   npm run bench                              # all five models, AMIG with m = 20
 *   npm run bench -- --only demo               # the demo models (demo-bert, -gpt2) alone
 *   npm run bench -- --only mbert,gpt2         # the full-size shapes alone
 *   npm run bench -- --no-torch                # without the PyTorch column
 *   npm run bench -- --no-dataset              # without the dataset-run throughput
 *   npm run bench -- --only gpt2 --object ' Parisian'   # another object (or --prompt)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type WeightSpec, architectures } from '../src/arch';
import {
  type AttributionResult,
  attribute,
  attributeMany,
  promptsPerPass,
} from '../src/attribution/attribute';
import { MAX_PROMPTS_PER_PASS } from '../src/attribution/schedule';
import { defaultPromptsPerPass } from '../src/analysis/dataset';
import { DEFAULT_SETTINGS } from '../src/attribution/settings';
import { encodePrompt } from '../src/attribution/prompt';
import { type Model, loadModel } from '../src/model';
import { createNodeRuntime } from '../src/runtime/node';
import { NodeFolderSource } from '../src/weights/node-source';
import { benchmarkModel, callSeconds, estimatePrompt } from '../src/worker-api/benchmark';
import { layoutOf, planRun } from '../src/attribution/schedule';
import type { ModelConfig } from '../src/weights/types';
import type { Benchmark } from '../src/worker-api/api';
import { writeRandomModelFolderApart } from './lib/bench-model-folder';
import {
  type TorchAvailability,
  TorchBaseline,
  type TorchResult,
  detectTorch,
  torchRequest,
} from './lib/torch-baseline';

const MODELS = ['demo-bert', 'demo-gpt2', 'mbert', 'gpt2'] as const;
type ModelName = (typeof MODELS)[number];

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    steps: { type: 'string', default: String(DEFAULT_SETTINGS.steps) },
    repeats: { type: 'string', default: '3' },
    'no-torch': { type: 'boolean', default: false },
    /** Skips the dataset-run throughput (several maps more). */
    'no-dataset': { type: 'boolean', default: false },
    /** Another prompt or object for the selected models (e.g. a multi-token object). */
    prompt: { type: 'string' },
    object: { type: 'string' },
    /** Internal: run the one model --only names in this process, without the header. */
    section: { type: 'boolean', default: false },
  },
});
const steps = Number(args.steps);
/** `npm run bench` starts Node with --expose-gc so memory figures exclude collectable garbage. */
const collectGarbage = () => (globalThis as { gc?: () => void }).gc?.();
const repeats = Number(args.repeats);
const runtime = createNodeRuntime();

/** --only takes a comma-separated list of MODELS; "demo" stands for both demo models. */
const only = args.only?.split(',').map((s) => s.trim());
for (const name of only ?? [])
  if (name !== 'demo' && !(MODELS as readonly string[]).includes(name))
    throw new Error(`--only ${name}: unknown model; use demo, ${MODELS.join(', ')}`);
const selected = (name: ModelName) =>
  !only || only.includes(name) || (only.includes('demo') && name.startsWith('demo-'));

/**
 * Engine and PyTorch scores differ by float32 round-off (summation order, GELU and softmax
 * kernels). On demo-gpt2 each float32 side is about 1e-4 of the largest score from a float64 run
 * and 3.5e-5 from the other; ten times that is a real disagreement.
 */
const AGREEMENT_LIMIT = 1e-3;

const MBERT_BASE: ModelConfig = {
  family: 'bert',
  modelType: 'bert',
  vocabSize: 119547,
  hiddenSize: 768,
  numLayers: 12,
  numHeads: 12,
  intermediateSize: 3072,
  maxPositions: 512,
  layerNormEps: 1e-12,
  activation: 'gelu',
  typeVocabSize: 2,
  positionOffset: 0,
  tieWordEmbeddings: true,
};

const GPT2_SMALL: ModelConfig = {
  family: 'gpt2',
  modelType: 'gpt2',
  vocabSize: 50257,
  hiddenSize: 768,
  numLayers: 12,
  numHeads: 12,
  intermediateSize: 3072,
  maxPositions: 1024,
  layerNormEps: 1e-5,
  activation: 'gelu_new',
  typeVocabSize: 0,
  positionOffset: 0,
  tieWordEmbeddings: true,
};

interface Timed {
  result: AttributionResult;
  seconds: number;
  /** Peak resident memory during the run, bytes. */
  peakRss: number;
}

async function timed(
  model: Model,
  prompt: string,
  object: string,
  schedule: 'staggered' | 'per-layer',
): Promise<Timed> {
  collectGarbage();
  let peakRss = process.memoryUsage().rss;
  // onnxruntime-node runs off the main thread, so the sampler keeps ticking during a run.
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 10);
  const t0 = performance.now();
  const result = await attribute(model, prompt, object, { steps }, { schedule });
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  return { result, seconds, peakRss };
}

function maxRelativeDifference(a: Float32Array, b: Float32Array): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst / scale;
}

/** float32 bytes of a model's weights. */
function weightBytes(cfg: ModelConfig): number {
  const arch = architectures[cfg.family];
  const size = (spec: WeightSpec) => (spec.shape as number[]).reduce((x, y) => x * y, 1);
  const sum = (xs: number[]) => xs.reduce((x, y) => x + y, 0);
  return (
    4 *
    (sum(arch.globalWeights(cfg).map(size)) + cfg.numLayers * sum(arch.blockWeights(cfg).map(size)))
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** The machine's load average over 1, 5 and 15 minutes (other jobs share the cores). */
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');

type ByGraph = Map<string, { calls: number; seconds: number }>;

/** Seconds and calls per graph, while `timing` holds a table: where a run's time goes. */
interface GraphTimes {
  timing: ByGraph | null;
}

/** Times every session run of the model's default sessions, by graph name. */
async function timeSessions(model: Model): Promise<GraphTimes> {
  const times: GraphTimes = { timing: null };
  for (const [graph, session] of Object.entries(await model.sessions())) {
    if (!session) continue;
    const run = session.run.bind(session) as (...a: unknown[]) => Promise<unknown>;
    (session as unknown as { run: typeof run }).run = async (...a: unknown[]) => {
      const table = times.timing;
      if (!table) return run(...a);
      const t0 = performance.now();
      const out = await run(...a);
      const entry = table.get(graph) ?? { calls: 0, seconds: 0 };
      entry.calls++;
      entry.seconds += (performance.now() - t0) / 1000;
      table.set(graph, entry);
      return out;
    };
  }
  return times;
}

/** Set when PyTorch and the engine disagree on some model: the bench then exits with 1. */
let disagreement = false;

/**
 * Benchmarks one Hugging Face folder: the engine (staggered and per-layer schedules) and, when
 * `torch` is running, the PyTorch per-layer baseline on the same folder, alternating in each
 * repeat. Any family both sides load can come through here (a LLaMA-family folder, once the
 * engine implements the family). Memory is measured over the process before the model loaded.
 */
async function benchFolder(
  label: string,
  folder: string,
  prompt: string,
  object: string,
  torch: TorchBaseline | null,
) {
  collectGarbage();
  const baseline = process.memoryUsage().rss;
  const model = await loadModel(new NodeFolderSource(folder), runtime);
  const cfg = model.config;
  console.log(
    `\n## ${label}: ${cfg.numLayers} layers, hidden ${cfg.hiddenSize}, FFN ${cfg.intermediateSize}, vocabulary ${cfg.vocabSize}`,
  );
  const enc = encodePrompt(cfg, model.tokenizer, prompt, object);
  const request = torchRequest(folder, enc, { steps, repeats: 1 });
  const graphTimes = await timeSessions(model);
  // Warm-up: session creation, the model load and first-run allocations are not part of a
  // prompt's cost (gradient x activation touches every kernel the path does).
  await attribute(model, prompt, object, { steps: 2 });
  const loadSeconds = (await torch?.attribute({ ...request, method: 'grad-x-act' }))?.loadSeconds;
  // What the app would estimate before the run: its device probe, priced by the engine's plan.
  const probe = await benchmarkModel(model);
  const ms = (x: number) => (x * 1000).toFixed(3);
  console.log(
    `device probe: forward ${ms(probe.forward.call)} ms a call + ${ms(probe.forward.unit)} ms a ` +
      `token-block, backward ${ms(probe.backward.call)} + ${ms(probe.backward.unit)}, head ` +
      `${ms(probe.head.call)} ms a call + ${ms(probe.head.unit)} ms a row; path block ` +
      `${ms(probe.path.call)} + ${ms(probe.path.unit)}, its VJP ${ms(probe.pathBackward.call)} + ` +
      `${ms(probe.pathBackward.unit)} (probed at ${probe.pathRows} rows)`,
  );
  const estimateBy = (b: Benchmark, schedule: 'staggered' | 'per-layer') =>
    estimatePrompt(b, cfg, model.arch.causal, layoutOf(enc), { steps }, { schedule }).seconds;
  const estimate = (schedule: 'staggered' | 'per-layer') => estimateBy(probe, schedule);
  // Alternating repeats, median per schedule: load on the machine hits all alike.
  const runs: Record<'staggered' | 'per-layer', Timed[]> = { staggered: [], 'per-layer': [] };
  const byGraph: Record<'staggered' | 'per-layer', ByGraph> = {
    staggered: new Map(),
    'per-layer': new Map(),
  };
  const torchRuns: TorchResult[] = [];
  for (let r = 0; r < repeats; r++) {
    for (const schedule of ['staggered', 'per-layer'] as const) {
      // The first repeat's time per graph: what the estimate prices, call by call.
      graphTimes.timing = r === 0 ? byGraph[schedule] : null;
      runs[schedule].push(await timed(model, prompt, object, schedule));
      graphTimes.timing = null;
    }
    if (torch) torchRuns.push(await torch.attribute(request));
  }
  // A second probe after the runs: how far the machine's load moved the prices meanwhile.
  const after = await benchmarkModel(model);
  const byTime = (ts: Timed[]) => [...ts].sort((a, b) => a.seconds - b.seconds)[ts.length >> 1];
  const staggered = byTime(runs.staggered);
  const perLayer = byTime(runs['per-layer']);
  const s = staggered.result.counts;
  const p = perLayer.result.counts;
  const torchSeconds = torchRuns.length ? median(torchRuns.map((t) => t.seconds[0])) : NaN;
  const withTorch = (cells: (string | number)[], torchCells: string[]) =>
    torch ? [...cells, ...torchCells] : cells;
  const rows = [
    withTorch(
      ['', 'staggered', 'per-layer', 'ratio'],
      ['PyTorch per-layer', 'staggered / PyTorch'],
    ),
    withTorch(
      ['forward block evaluations', s.forward, p.forward, (s.forward / p.forward).toFixed(3)],
      ['', ''],
    ),
    withTorch(
      ['backward block evaluations', s.backward, p.backward, (s.backward / p.backward).toFixed(3)],
      ['', ''],
    ),
    withTorch(
      [
        'forward token-block evaluations',
        s.forwardTokens,
        p.forwardTokens,
        (s.forwardTokens / p.forwardTokens).toFixed(3),
      ],
      ['', ''],
    ),
    withTorch(
      [
        'backward token-block evaluations',
        s.backwardTokens,
        p.backwardTokens,
        (s.backwardTokens / p.backwardTokens).toFixed(3),
      ],
      ['', ''],
    ),
    withTorch(
      [
        `seconds per prompt (median of ${repeats})`,
        staggered.seconds.toFixed(2),
        perLayer.seconds.toFixed(2),
        (staggered.seconds / perLayer.seconds).toFixed(3),
      ],
      [torchSeconds.toFixed(2), (staggered.seconds / torchSeconds).toFixed(3)],
    ),
  ];
  rows.push(
    withTorch(
      [
        "the app's estimate, s (estimate / measured)",
        `${estimate('staggered').toFixed(2)} (${(estimate('staggered') / staggered.seconds).toFixed(2)})`,
        `${estimate('per-layer').toFixed(2)} (${(estimate('per-layer') / perLayer.seconds).toFixed(2)})`,
        '',
      ],
      ['', ''],
    ),
    withTorch(
      [
        'the same, probed after the runs',
        `${estimateBy(after, 'staggered').toFixed(2)} (${(estimateBy(after, 'staggered') / staggered.seconds).toFixed(2)})`,
        `${estimateBy(after, 'per-layer').toFixed(2)} (${(estimateBy(after, 'per-layer') / perLayer.seconds).toFixed(2)})`,
        '',
      ],
      ['', ''],
    ),
  );
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  if (torch)
    console.log(
      `**PyTorch per-layer / this engine (staggered): ${(torchSeconds / staggered.seconds).toFixed(2)}x** ` +
        `(${torchSeconds.toFixed(2)} s / ${staggered.seconds.toFixed(2)} s a prompt; issue 11's target on the ` +
        `mBERT shape: at least 4x); load average now ${load()}`,
    );
  for (const schedule of ['staggered', 'per-layer'] as const)
    reportGraphTimes(
      schedule,
      byGraph[schedule],
      runs[schedule][0].seconds,
      probe,
      cfg,
      model.arch.causal,
      enc,
    );
  console.log(
    `tokens: ${staggered.result.tokens.length}, m = ${steps}; scores agree to ${maxRelativeDifference(staggered.result.scores, perLayer.result.scores).toExponential(1)} (max |diff| / max |score|)`,
  );
  if (torch) reportTorch(staggered.result, torchRuns, loadSeconds ?? NaN);
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const w = weightBytes(cfg);
  const over = (schedule: keyof typeof runs) =>
    Math.max(...runs[schedule].map((r) => r.peakRss)) - baseline;
  console.log(
    `memory: weights ${mib(w)}; peak resident memory over the process before the model: ` +
      `staggered ${mib(over('staggered'))} = ${(over('staggered') / w).toFixed(2)}x the weights, ` +
      `per-layer ${mib(over('per-layer'))} = ${(over('per-layer') / w).toFixed(2)}x`,
  );
  // Small models: more prompts, so that the comparison is not lost in timing noise.
  const batchPrompts = cfg.hiddenSize < 512 ? 16 : MAX_PROMPTS_PER_PASS;
  if (!args['no-dataset'])
    await benchBatch(model, prompt, object, batchPrompts, estimate('staggered'));
  await model.release();
}

/**
 * A dataset run's throughput: the same prompt attributed `count` times one at a time, and in
 * attributeMany calls of MAX_PROMPTS_PER_PASS (the work is real: the engine shares nothing
 * between equal prompts), once each, in one run; with the probe's estimate of the one-at-a-time
 * run and the batch size dataset runs choose on this model.
 */
async function benchBatch(
  model: Model,
  prompt: string,
  object: string,
  count: number,
  estimateOne: number,
) {
  const inputs = Array.from({ length: count }, () => ({ prompt, object }));
  let t0 = performance.now();
  const alone: AttributionResult[] = [];
  for (const p of inputs) alone.push(await attribute(model, p.prompt, p.object, { steps }));
  const aloneSeconds = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const together: AttributionResult[] = [];
  for (let i = 0; i < count; i += MAX_PROMPTS_PER_PASS)
    together.push(
      ...(await attributeMany(model, inputs.slice(i, i + MAX_PROMPTS_PER_PASS), { steps })),
    );
  const togetherSeconds = (performance.now() - t0) / 1000;
  const worst = Math.max(
    ...together.map((r, i) => maxRelativeDifference(alone[i].scores, r.scores)),
  );
  const rate = (s: number) => (count / s).toFixed(3);
  const chosen = defaultPromptsPerPass(model, { steps });
  const gpu = promptsPerPass(model.config, model.arch.causal, { steps });
  console.log(
    `dataset runs: ${count} prompts one at a time ${aloneSeconds.toFixed(2)} s ` +
      `(${rate(aloneSeconds)} prompts/s; estimate ${(count * estimateOne).toFixed(2)} s, ` +
      `${((count * estimateOne) / aloneSeconds).toFixed(2)}x), in batches of ${MAX_PROMPTS_PER_PASS} ` +
      `${togetherSeconds.toFixed(2)} s (${rate(togetherSeconds)} prompts/s): ` +
      `${(aloneSeconds / togetherSeconds).toFixed(2)}x the one-at-a-time rate; scores agree to ` +
      `${worst.toExponential(1)}; dataset runs here batch ${chosen} prompt${chosen === 1 ? '' : 's'} ` +
      `per pass (on WebGPU ${gpu})`,
  );
}

/**
 * A schedule's first repeat, graph by graph: calls, seconds measured in the sessions, and
 * seconds the estimate gives the same calls (the probe's prices); what is left of the run's time
 * is JavaScript between calls (inputs, reading gradients), which no estimate prices.
 */
function reportGraphTimes(
  schedule: 'staggered' | 'per-layer',
  measured: ByGraph,
  runSeconds: number,
  probe: Awaited<ReturnType<typeof benchmarkModel>>,
  cfg: ModelConfig,
  causal: boolean,
  enc: ReturnType<typeof encodePrompt>,
) {
  const plan = planRun(cfg, causal, [layoutOf(enc)], { steps }, { schedule });
  const priced = new Map<string, { calls: number; seconds: number }>();
  for (const call of plan.calls) {
    // The planner names the masked and causal setups and path blocks alike; the sessions apart.
    const graph =
      causal && call.graph === 'setup'
        ? 'setupCached'
        : causal && (call.graph === 'pathBlock' || call.graph === 'pathBlockVjp')
          ? call.graph.replace('pathBlock', 'pathBlockCached')
          : call.graph;
    const e = priced.get(graph) ?? { calls: 0, seconds: 0 };
    e.calls++;
    e.seconds += callSeconds(probe, call);
    priced.set(graph, e);
  }
  const graphs = [...new Set([...priced.keys(), ...measured.keys()])];
  console.log(
    `| graph (first ${schedule} repeat) | calls | measured s | estimate s | estimate / measured |`,
  );
  let inSessions = 0;
  let estimated = 0;
  for (const g of graphs) {
    const m = measured.get(g) ?? { calls: 0, seconds: 0 };
    const e = priced.get(g) ?? { calls: 0, seconds: 0 };
    inSessions += m.seconds;
    estimated += e.seconds;
    console.log(
      `| ${g} | ${m.calls} (planned ${e.calls}) | ${m.seconds.toFixed(3)} | ${e.seconds.toFixed(3)} | ${(e.seconds / m.seconds).toFixed(2)} |`,
    );
  }
  console.log(
    `| between calls (JavaScript) | | ${(runSeconds - inSessions).toFixed(3)} | | |\n` +
      `| whole run | | ${runSeconds.toFixed(3)} | ${estimated.toFixed(3)} | ${(estimated / runSeconds).toFixed(2)} |`,
  );
}

/** PyTorch's per-repeat times, and how far its scores are from the engine's. */
function reportTorch(engine: AttributionResult, runs: TorchResult[], loadSeconds: number) {
  const env = runs[0].environment;
  console.log(
    `PyTorch per-layer: torch ${env.torch}, ${env.threads} threads, ${env.blas.kind} BLAS, ` +
      `OMP_WAIT_POLICY ${env.ompWaitPolicy ?? 'unset'}; ` +
      `model load ${loadSeconds.toFixed(1)} s (not counted); seconds per repeat ` +
      runs.map((r) => r.seconds[0].toFixed(2)).join(', '),
  );
  const worst = Math.max(...runs.map((r) => maxRelativeDifference(engine.scores, r.scores)));
  const pTorch = runs[0].probability;
  const pDiff = Math.abs(pTorch - engine.probability) / engine.probability;
  console.log(
    `PyTorch vs engine: scores agree to ${worst.toExponential(1)} (max |diff| / max |score|); ` +
      `P(object) ${engine.probability.toPrecision(6)} vs ${pTorch.toPrecision(6)} (relative difference ${pDiff.toExponential(1)})`,
  );
  if (!(worst <= AGREEMENT_LIMIT && pDiff <= AGREEMENT_LIMIT)) {
    disagreement = true;
    console.log(
      `\n!!! PYTORCH AND THE ENGINE DISAGREE: score difference ${worst.toExponential(1)}, P(object) ` +
        `difference ${pDiff.toExponential(1)}, over the ${AGREEMENT_LIMIT} that float32 round-off ` +
        `allows. The two compute different things: the timing comparison is void until this is explained.\n`,
    );
  }
}

/** A random model written as a folder under `parent`, with a demo model's tokenizer. */
function randomFolder(parent: string, name: string, config: ModelConfig, tokenizerFrom: string) {
  const folder = join(parent, name);
  mkdirSync(folder);
  const t0 = performance.now();
  const bytes = writeRandomModelFolderApart(folder, config, 1, tokenizerFrom);
  console.log(
    `\n(random weights written to ${folder} in ${((performance.now() - t0) / 1000).toFixed(1)} s, ` +
      `${(bytes / 2 ** 20).toFixed(0)} MiB; ${tokenizerFrom}'s tokenizer supplies the token ids)`,
  );
  return folder;
}

interface BenchCase {
  label: string;
  prompt: string;
  object: string;
  /** A model folder, or a random model's config and the folder whose tokenizer it borrows. */
  model: { folder: string } | { random: ModelConfig; tokenizerFrom: string };
}

const CASES: Record<ModelName, BenchCase> = {
  'demo-bert': {
    label: 'demo-bert (bundled)',
    prompt: 'The capital of France is [MASK] .',
    object: 'Paris',
    model: { folder: 'public/models/demo-bert' },
  },
  'demo-gpt2': {
    label: 'demo-gpt2 (bundled)',
    prompt: 'The capital of France is [MASK]',
    object: 'Paris',
    model: { folder: 'public/models/demo-gpt2' },
  },
  mbert: {
    label: 'random model with mBERT-base shapes',
    prompt: 'The capital of France is [MASK] .',
    object: 'Paris',
    model: { random: MBERT_BASE, tokenizerFrom: 'public/models/demo-bert' },
  },
  gpt2: {
    label: 'random model with GPT-2 small shapes',
    // 14 tokens with the demo GPT-2 tokenizer; the object is one token.
    prompt: 'The official language of the French Republic, a country in Europe, is [MASK]',
    object: 'French',
    model: { random: GPT2_SMALL, tokenizerFrom: 'public/models/demo-gpt2' },
  },
};

async function findTorch(): Promise<TorchAvailability> {
  return args['no-torch'] ? { available: false, reason: '--no-torch' } : detectTorch();
}

/** One model in this process: the engine, and PyTorch when it is installed. */
async function benchSection(name: ModelName) {
  const found = await findTorch();
  // The parent printed why the column is skipped, and passes --no-torch in that case.
  if (!found.available && !args['no-torch'])
    console.log(`PyTorch per-layer column skipped: ${found.reason}`);
  const torch = found.available ? TorchBaseline.start(found.python) : null;
  const temp = mkdtempSync(join(tmpdir(), 'kn-bench-'));
  try {
    const c = CASES[name];
    const folder =
      'folder' in c.model
        ? c.model.folder
        : randomFolder(temp, name, c.model.random, c.model.tokenizerFrom);
    await benchFolder(c.label, folder, args.prompt ?? c.prompt, args.object ?? c.object, torch);
  } finally {
    await torch?.close();
    rmSync(temp, { recursive: true, force: true });
  }
  if (disagreement) process.exitCode = 1;
}

async function main() {
  if (args.section) {
    if (only?.length !== 1 || only[0] === 'demo')
      throw new Error('--section runs one model: give it --only with one model name');
    return benchSection(only[0] as ModelName);
  }
  console.log(
    `# bench: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, onnxruntime-node ${JSON.parse(readFileSync('node_modules/onnxruntime-node/package.json', 'utf8')).version}; ${new Date().toISOString()}, load average ${load()} (1 / 5 / 15 min)`,
  );
  const found = await findTorch();
  if (found.available) {
    const env = found.environment;
    console.log(
      `PyTorch baseline: ${found.python}, torch ${env.torch}, ${env.threads} threads, ` +
        `OMP_WAIT_POLICY ${env.ompWaitPolicy ?? 'unset'}, ${env.blas.kind} BLAS (${env.blas.libraries.join(', ')})`,
    );
    for (const w of found.warnings) console.log(`\n!!! WARNING: ${w}\n`);
  } else console.log(`PyTorch per-layer column skipped: ${found.reason}`);
  // Each model in a fresh process: memory a previous model freed but the allocator kept would
  // otherwise count as the next model's baseline.
  const forward = ['--steps', String(steps), '--repeats', String(repeats)];
  if (args.prompt !== undefined) forward.push('--prompt', args.prompt);
  if (args.object !== undefined) forward.push('--object', args.object);
  if (!found.available) forward.push('--no-torch');
  if (args['no-dataset']) forward.push('--no-dataset');
  for (const name of MODELS.filter(selected)) {
    const self = fileURLToPath(import.meta.url);
    const section = spawnSync(
      process.execPath,
      [...process.execArgv, self, '--section', '--only', name, ...forward],
      { stdio: 'inherit' },
    );
    if (section.status !== 0) process.exitCode = 1;
  }
  console.log(`\n# done: ${new Date().toISOString()}, load average ${load()} (1 / 5 / 15 min)`);
}

await main();
