/**
 * Where an AMIG map's time goes, per graph: session runs, bytes fed (weights and per-run
 * inputs), bytes read back, and time in session.run, on onnxruntime-node and on onnxruntime-web's
 * WASM backend inside Node (the browser's kernels without the browser). Both load the same folder
 * and run the same map, one after the other in this process.
 *
 *   node --import tsx scripts/profile-runs.ts --folder /tmp/mbert --runtimes node,wasm-fed,wasm --threads 2
 *
 * `wasm-fed` feeds every weight at each run (the global graphs not merged into one session);
 * `node-graph-decode` lets the graphs decode 16-bit weights (Cast), tables in 128 MiB row blocks,
 * as onnxruntime-web does (and onnxruntime-node did before 2026-12-02).
 *   node --import tsx scripts/profile-runs.ts --preset mbert-base --keep /tmp/mbert
 *
 * `--dtypes float32,bfloat16,float16` profiles the preset written at each dtype (folders
 * `<folder>-<dtype>`), each on every runtime in turn, `--rounds` times, so that a busy machine
 * weighs on every variant alike.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { attribute } from '../src/attribution/attribute';
import { DEFAULT_SETTINGS } from '../src/attribution/settings';
import { DECODE_BLOCK_BYTES, loadModel } from '../src/model';
import { createNodeRuntime } from '../src/runtime/node';
import type { Runtime } from '../src/runtime/runtime';
import { NodeFolderSource } from '../src/weights/node-source';
import { createNodeWasmRuntime } from './lib/node-wasm-runtime';
import { MODEL_PRESETS } from './lib/model-presets';
import { type WeightDtype, writeRandomModelFolder } from './lib/random-model-folder';

const { values: args } = parseArgs({
  options: {
    folder: { type: 'string' },
    preset: { type: 'string' },
    prompt: { type: 'string', default: 'The capital of France is [MASK] .' },
    object: { type: 'string', default: 'Paris' },
    runtimes: { type: 'string', default: 'node,wasm' },
    threads: { type: 'string', default: '2' },
    /** onnxruntime-web build for `wasm`: `node` (threads in Node) or `webgpu` (the app's; 1 thread). */
    'wasm-build': { type: 'string', default: 'node' },
    /** Checkpoint dtypes of the preset to compare (one folder each: `<folder>-<dtype>`). */
    dtypes: { type: 'string' },
    rounds: { type: 'string', default: '1' },
  },
});

interface GraphStats {
  runs: number;
  ms: number;
  weightBytes: number;
  inputBytes: number;
  outputBytes: number;
}

/** Wraps a runtime so that every session.run is timed and its bytes counted, by session. */
function instrument(rt: Runtime) {
  const uploaded = new WeakSet<Tensor>();
  const bySession = new Map<InferenceSession, GraphStats>();
  const bytes = (t: Tensor) => (t.location === 'cpu' ? (t.data as ArrayBufferView).byteLength : 0);
  const wrapped: Runtime = {
    info: rt.info,
    limits: rt.limits,
    tensor: (d, dims) => rt.tensor(d, dims),
    upload: (d, dims) => {
      const t = rt.upload(d, dims);
      uploaded.add(t);
      return t;
    },
    read: (t) => rt.read(t),
    dispose: (t) => rt.dispose(t),
    createSession: async (model, externalData) => {
      const s = await rt.createSession(model, externalData);
      const stats: GraphStats = { runs: 0, ms: 0, weightBytes: 0, inputBytes: 0, outputBytes: 0 };
      const run = s.run.bind(s) as (
        f: Record<string, Tensor>,
        ...rest: unknown[]
      ) => Promise<Record<string, Tensor>>;
      const proxy = Object.create(s) as InferenceSession;
      (proxy as unknown as { run: typeof run }).run = async (feeds, ...rest) => {
        for (const t of Object.values(feeds))
          if (uploaded.has(t)) stats.weightBytes += bytes(t);
          else stats.inputBytes += bytes(t);
        const t0 = performance.now();
        const out = await run(feeds, ...rest);
        stats.ms += performance.now() - t0;
        stats.runs++;
        for (const t of Object.values(out)) stats.outputBytes += bytes(t);
        return out;
      };
      bySession.set(proxy, stats);
      return proxy;
    },
  };
  return { runtime: wrapped, bySession };
}

async function profile(name: string, rt: Runtime, folder: string) {
  const { runtime, bySession } = instrument(rt);
  const t0 = performance.now();
  const model = await loadModel(new NodeFolderSource(folder), runtime);
  const sessions = await model.sessions();
  const loadS = (performance.now() - t0) / 1000;
  const t1 = performance.now();
  const map = await attribute(model, args.prompt!, args.object!, DEFAULT_SETTINGS);
  const mapS = (performance.now() - t1) / 1000;
  const rows: Record<string, GraphStats> = {};
  const named = new Map(Object.entries(sessions).map(([g, s]) => [s as unknown, g]));
  for (const [s, st] of bySession)
    // A session no graph names is the one holding the global weights (src/model/resident.ts).
    if (st.runs) rows[named.get(s) ?? 'embed + head + headVjp, one session'] = st;
  await model.release();
  return { name, loadS, mapS, probability: map.probability, rows };
}

const mb = (b: number) => (b / 2 ** 20).toFixed(1);

async function main() {
  const base = args.folder!;
  const dtypes = args.dtypes ? (args.dtypes.split(',') as WeightDtype[]) : undefined;
  const folders = dtypes
    ? dtypes.map((d) => ({ label: d, folder: `${base}-${d}`, dtype: d }))
    : [{ label: '', folder: base, dtype: undefined }];
  if (args.preset) {
    if (!base) throw new Error('--preset needs --folder (where to write it)');
    for (const { folder, dtype } of folders)
      if (!existsSync(folder))
        await writeRandomModelFolder(folder, MODEL_PRESETS[args.preset], { dtype });
  }
  const threads = Number(args.threads);
  const results = [];
  for (let round = 0; round < Number(args.rounds); round++)
    for (const { label, folder } of folders)
      for (const r of args.runtimes!.split(',')) {
        const name = label ? `${r} ${label}` : r;
        const rt = r.startsWith('node')
          ? createNodeRuntime({
              threads,
              ...(r === 'node-graph-decode'
                ? { decodesOnHost: false, decodeBlockBytes: DECODE_BLOCK_BYTES }
                : r === 'node-graph-blocks'
                  ? { decodesOnHost: false }
                  : {}),
            })
          : await createNodeWasmRuntime({ threads, build: args['wasm-build'] });
        // `wasm-fed`: every weight fed at each run, as before the global graphs shared one session.
        if (r === 'wasm-fed')
          Object.defineProperty(rt, 'limits', { value: { ...rt.limits, copiesFeeds: false } });
        console.log(`# ${name}: start, load average ${loadavg()[0].toFixed(2)}`);
        const res = await profile(name, rt, folder);
        console.log(
          `# ${name}: load ${res.loadS.toFixed(1)} s, map ${res.mapS.toFixed(1)} s, P = ${res.probability.toPrecision(5)}, load average ${loadavg()[0].toFixed(2)}`,
        );
        results.push(res);
      }
  console.log(
    '| runtime | graph | runs | weights fed per run (MiB) | other inputs per run (MiB) | outputs per run (MiB) | ms per run | total s |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  for (const res of results) {
    let total = 0;
    for (const [g, s] of Object.entries(res.rows)) {
      total += s.ms;
      console.log(
        `| ${res.name} | ${g} | ${s.runs} | ${mb(s.weightBytes / s.runs)} | ${mb(s.inputBytes / s.runs)} | ${mb(s.outputBytes / s.runs)} | ${(s.ms / s.runs).toFixed(1)} | ${(s.ms / 1000).toFixed(2)} |`,
      );
    }
    console.log(
      `| ${res.name} | all session.run | | | | | | ${(total / 1000).toFixed(2)} (map ${res.mapS.toFixed(2)}) |`,
    );
  }
}

await main();
