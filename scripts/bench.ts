/**
 * `npm run bench`: per-prompt attribution time and block evaluations of the staggered schedule
 * against the authors' per-layer schedule, measured side by side in one run on
 * onnxruntime-node, for the bundled demo model and for a randomly initialised model with
 * mBERT-base's shapes. Prints ratios; not a test.
 *
 *   npm run bench                    # both models, AMIG with m = 20
 *   npm run bench -- --only demo     # the demo model alone
 */
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { type AttributionResult, attribute } from '../src/attribution/attribute';
import { DEFAULT_SETTINGS } from '../src/attribution/settings';
import { type Model, loadModel, modelFromTensors } from '../src/model';
import { createNodeRuntime } from '../src/runtime/node';
import { NodeFolderSource } from '../src/weights/node-source';
import type { ModelConfig } from '../src/weights/types';
import { randomModel } from '../tests/reference/random-model';
import { type WeightSpec, architectures } from '../src/arch';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    steps: { type: 'string', default: String(DEFAULT_SETTINGS.steps) },
    repeats: { type: 'string', default: '3' },
  },
});
const steps = Number(args.steps);
/** `npm run bench` starts Node with --expose-gc so memory figures exclude collectable garbage. */
const collectGarbage = () => (globalThis as { gc?: () => void }).gc?.();
const repeats = Number(args.repeats);
const runtime = createNodeRuntime();

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

/**
 * `baseline`: resident memory of the process before the model was made, so the peak over it is
 * the weights plus what a run adds (onnxruntime-node keeps both in host memory).
 */
async function benchModel(
  label: string,
  model: Model,
  prompt: string,
  object: string,
  baseline: number,
) {
  const cfg = model.config;
  console.log(
    `\n## ${label}: ${cfg.numLayers} layers, hidden ${cfg.hiddenSize}, FFN ${cfg.intermediateSize}, vocabulary ${cfg.vocabSize}`,
  );
  // Warm-up: session creation and first-run allocations are not part of a prompt's cost.
  await attribute(model, prompt, object, { steps: 2 });
  // Alternating repeats, median per schedule: load on the machine hits both alike.
  const runs: Record<'staggered' | 'per-layer', Timed[]> = { staggered: [], 'per-layer': [] };
  for (let r = 0; r < repeats; r++)
    for (const schedule of ['staggered', 'per-layer'] as const)
      runs[schedule].push(await timed(model, prompt, object, schedule));
  const median = (ts: Timed[]) => [...ts].sort((a, b) => a.seconds - b.seconds)[ts.length >> 1];
  const staggered = median(runs.staggered);
  const perLayer = median(runs['per-layer']);
  const s = staggered.result.counts;
  const p = perLayer.result.counts;
  const rows = [
    ['', 'staggered', 'per-layer', 'ratio'],
    ['forward block evaluations', s.forward, p.forward, (s.forward / p.forward).toFixed(3)],
    ['backward block evaluations', s.backward, p.backward, (s.backward / p.backward).toFixed(3)],
    [
      `seconds per prompt (median of ${repeats})`,
      staggered.seconds.toFixed(2),
      perLayer.seconds.toFixed(2),
      (staggered.seconds / perLayer.seconds).toFixed(3),
    ],
  ];
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
  console.log(
    `tokens: ${staggered.result.tokens.length}, m = ${steps}; scores agree to ${maxRelativeDifference(staggered.result.scores, perLayer.result.scores).toExponential(1)} (max |diff| / max |score|)`,
  );
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  const w = weightBytes(cfg);
  const over = (schedule: keyof typeof runs) =>
    Math.max(...runs[schedule].map((r) => r.peakRss)) - baseline;
  console.log(
    `memory: weights ${mib(w)}; peak resident memory over the process before the model: ` +
      `staggered ${mib(over('staggered'))} = ${(over('staggered') / w).toFixed(2)}x the weights, ` +
      `per-layer ${mib(over('per-layer'))} = ${(over('per-layer') / w).toFixed(2)}x`,
  );
}

async function main() {
  console.log(
    `# bench: ${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, onnxruntime-node ${JSON.parse(readFileSync('node_modules/onnxruntime-node/package.json', 'utf8')).version}`,
  );
  if (!args.only || args.only === 'demo') {
    collectGarbage();
    const baseline = process.memoryUsage().rss;
    const model = await loadModel(new NodeFolderSource('public/models/demo-bert'), runtime);
    await benchModel(
      'demo-bert (bundled)',
      model,
      'The capital of France is [MASK] .',
      'Paris',
      baseline,
    );
    await model.release();
  }
  if (!args.only || args.only === 'mbert') {
    const demo = await loadModel(new NodeFolderSource('public/models/demo-bert'), runtime);
    collectGarbage();
    const before = process.memoryUsage().rss;
    const t0 = performance.now();
    const model = modelFromTensors(
      'random mBERT-base shapes',
      MBERT_BASE,
      demo.tokenizer,
      runtime,
      randomModel(MBERT_BASE, 1),
    );
    console.log(
      `\n(random mBERT-base weights made and uploaded in ${((performance.now() - t0) / 1000).toFixed(1)} s; the demo tokenizer supplies token ids)`,
    );
    await benchModel(
      'random model with mBERT-base shapes',
      model,
      'The capital of France is [MASK] .',
      'Paris',
      before,
    );
  }
}

await main();
