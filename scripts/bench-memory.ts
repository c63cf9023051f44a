/**
 * `npm run bench:memory`: peak memory of loading the same float32 model as float32 and as 16-bit
 * weights (the "load float32 weights as 16-bit" setting), and of one map on each, on
 * onnxruntime-node. The model is random with GPT-2 small's or mBERT-base's shapes, written to a
 * temporary folder; each precision loads in a process of its own so that memory starts clean.
 * Prints the figures and the ratio 16-bit / float32; not a test.
 *
 *   npm run bench:memory                      # GPT-2 small shapes
 *   npm run bench:memory -- --model mbert     # mBERT-base shapes
 *
 * A third process loads the 16-bit weights with the graphs decoding them all, tables in 128 MiB
 * blocks (as onnxruntime-web does, and onnxruntime-node did before 2026-12-02), to compare.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { attribute } from '../src/attribution/attribute';
import { DECODE_BLOCK_BYTES, loadModel } from '../src/model';
import { createNodeRuntime } from '../src/runtime/node';
import { parseConfig } from '../src/weights/config';
import { NodeFolderSource } from '../src/weights/node-source';
import { writeRandomModelFolderApart } from './lib/bench-model-folder';
import { MODEL_PRESETS } from './lib/model-presets';

const CASES = {
  gpt2: {
    config: parseConfig(MODEL_PRESETS['gpt2-small']),
    tokenizerFrom: 'public/models/demo-gpt2',
    prompt: 'The official language of the French Republic, a country in Europe, is [MASK]',
    object: 'French',
  },
  mbert: {
    config: parseConfig(MODEL_PRESETS['mbert-base']),
    tokenizerFrom: 'public/models/demo-bert',
    prompt: 'The capital of France is [MASK] .',
    object: 'Paris',
  },
} as const;

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', default: 'gpt2' },
    steps: { type: 'string', default: '4' },
    /** Internal: load `--folder` at this precision (float32 or 16) in this process. */
    section: { type: 'string' },
    folder: { type: 'string' },
  },
});
if (!Object.hasOwn(CASES, args.model!))
  throw new Error(`--model ${args.model}: unknown; use ${Object.keys(CASES).join(' or ')}`);
const bench = CASES[args.model as keyof typeof CASES];

interface Measured {
  precision: string;
  deviceBytes: number;
  loadSeconds: number;
  /** Peak resident memory over the process before the load, while loading / during one map. */
  loadPeak: number;
  mapPeak: number;
  mapSeconds: number;
  probability: number;
}

/** One precision in this process: peak resident memory over the process before the load. */
async function section(
  folder: string,
  float32As16: boolean,
  decodesOnHost = true,
): Promise<Measured> {
  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  const model = await loadModel(
    new NodeFolderSource(folder),
    createNodeRuntime(decodesOnHost ? {} : { decodesOnHost, decodeBlockBytes: DECODE_BLOCK_BYTES }),
    {
      float32As16,
    },
  );
  await model.sessions();
  const loadSeconds = (performance.now() - t0) / 1000;
  peak = Math.max(peak, process.memoryUsage().rss);
  const loadPeak = peak - baseline;
  const t1 = performance.now();
  const map = await attribute(model, bench.prompt, bench.object, { steps: Number(args.steps) });
  const mapSeconds = (performance.now() - t1) / 1000;
  peak = Math.max(peak, process.memoryUsage().rss);
  clearInterval(sampler);
  const result: Measured = {
    precision: float32As16
      ? decodesOnHost
        ? '16-bit'
        : '16-bit, decoded by the graphs'
      : 'float32',
    deviceBytes: model.summary.deviceBytes,
    loadSeconds,
    loadPeak,
    mapPeak: peak - baseline,
    mapSeconds,
    probability: map.probability,
  };
  await model.release();
  return result;
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;

async function main() {
  if (args.section) {
    const m = await section(args.folder!, args.section !== 'float32', args.section !== '16-graph');
    console.log(JSON.stringify(m));
    return;
  }
  const temp = mkdtempSync(join(tmpdir(), 'kn-bench-memory-'));
  try {
    const folder = join(temp, args.model!);
    mkdirSync(folder);
    const bytes = writeRandomModelFolderApart(folder, bench.config, 1, bench.tokenizerFrom);
    console.log(`# ${args.model} shapes, float32 checkpoint ${mib(bytes)}, m = ${args.steps}`);
    const runs: Measured[] = [];
    // 16-graph: the 16-bit weights decoded by the graphs, as before host decoding (docs/runtime.md).
    for (const precision of ['float32', '16', '16-graph']) {
      const child = spawnSync(
        process.execPath,
        [
          ...process.execArgv,
          fileURLToPath(import.meta.url),
          '--model',
          args.model!,
          '--steps',
          args.steps!,
          '--section',
          precision,
          '--folder',
          folder,
        ],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
      );
      if (child.status !== 0) throw new Error(`the ${precision} run failed`);
      runs.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Measured);
    }
    console.log(
      '| weights | on the device | load | peak memory, load | map | peak memory, load + map | P(object) |',
    );
    console.log('|---|---|---|---|---|---|---|');
    for (const r of runs)
      console.log(
        `| ${r.precision} | ${mib(r.deviceBytes)} | ${r.loadSeconds.toFixed(1)} s | ${mib(r.loadPeak)} | ` +
          `${r.mapSeconds.toFixed(1)} s | ${mib(r.mapPeak)} | ${r.probability.toPrecision(5)} |`,
      );
    const [f32, f16] = runs;
    console.log(
      `16-bit / float32: peak memory of the load ${(f16.loadPeak / f32.loadPeak).toFixed(2)}x, ` +
        `of load + map ${(f16.mapPeak / f32.mapPeak).toFixed(2)}x (target <= 0.6x)`,
    );
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

await main();
