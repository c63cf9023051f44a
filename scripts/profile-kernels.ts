/**
 * The same session runs, repeated, on onnxruntime-node and on onnxruntime-web's WASM backend in
 * Node: with the weights fed as inputs (copied into the WASM heap on every run) and with the
 * weights as initializers of the model (held by the session). Separates the WASM kernels' speed
 * from the per-run copies. The runs are captured from the start of a real AMIG map on the folder.
 *
 *   node --import tsx scripts/profile-kernels.ts --folder /tmp/mbert --threads 2 --repeats 5
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import onnxProto from 'onnx-proto';
import type { onnx as proto } from 'onnx-proto';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { attribute } from '../src/attribution/attribute';
import { DEFAULT_SETTINGS } from '../src/attribution/settings';
import { loadModel } from '../src/model';
import { createNodeRuntime } from '../src/runtime/node';
import type { NumericArray, Runtime } from '../src/runtime/runtime';
import { NodeFolderSource } from '../src/weights/node-source';
import { createNodeWasmRuntime } from './lib/node-wasm-runtime';

const { onnx } = onnxProto;

const { values: args } = parseArgs({
  options: {
    folder: { type: 'string' },
    prompt: { type: 'string', default: 'The capital of France is [MASK] .' },
    object: { type: 'string', default: 'Paris' },
    threads: { type: 'string', default: '2' },
    repeats: { type: 'string', default: '5' },
    /** Which run of each graph to capture (the k-th), by graph. */
    capture: { type: 'string', default: 'pathBlock:6,pathBlockVjp:6,headVjp:1' },
  },
});

interface Captured {
  model: Uint8Array;
  feeds: Record<string, { type: Tensor.Type; data: NumericArray | Uint16Array; dims: number[] }>;
  weights: Set<string>;
}

class Done extends Error {}

/** Runs the map on onnxruntime-node until every wanted run is captured (model bytes and feeds). */
async function capture(folder: string, wanted: Map<string, number>) {
  const rt = createNodeRuntime({ threads: Number(args.threads) });
  const uploaded = new WeakSet<Tensor>();
  const modelOf = new Map<InferenceSession, Uint8Array>();
  const got = new Map<string, Captured>();
  let names = new Map<InferenceSession, string>();
  const counts = new Map<string, number>();
  const wrapped: Runtime = {
    ...rt,
    upload: (d, dims) => {
      const t = rt.upload(d, dims);
      uploaded.add(t);
      return t;
    },
    createSession: async (bytes, externalData) => {
      const s = await rt.createSession(bytes, externalData);
      const run = s.run.bind(s) as (f: Record<string, Tensor>) => Promise<Record<string, Tensor>>;
      const proxy = Object.create(s) as InferenceSession;
      modelOf.set(proxy, bytes);
      (proxy as unknown as { run: typeof run }).run = async (feeds) => {
        const graph = names.get(proxy);
        if (graph && wanted.has(graph)) {
          const n = (counts.get(graph) ?? 0) + 1;
          counts.set(graph, n);
          if (n === wanted.get(graph)) {
            const c: Captured = { model: bytes, feeds: {}, weights: new Set() };
            for (const [k, t] of Object.entries(feeds)) {
              const data = t.data as NumericArray | Uint16Array;
              c.feeds[k] = {
                type: t.type,
                data: uploaded.has(t) ? data : data.slice(),
                dims: [...t.dims],
              };
              if (uploaded.has(t)) c.weights.add(k);
            }
            got.set(graph, c);
            if (got.size === wanted.size) throw new Done();
          }
        }
        return run(feeds);
      };
      return proxy;
    },
  };
  const model = await loadModel(new NodeFolderSource(folder), wrapped);
  const sessions = await model.sessions();
  names = new Map(Object.entries(sessions).map(([k, s]) => [s as InferenceSession, k]));
  try {
    await attribute(model, args.prompt!, args.object!, DEFAULT_SETTINGS);
  } catch (e) {
    if (!(e instanceof Done)) throw e;
  }
  return got;
}

/** The model with its weight inputs turned into initializers holding the captured values. */
function withInitializers(c: Captured): Uint8Array {
  const m = onnx.ModelProto.decode(c.model);
  const g = m.graph!;
  g.input = g.input!.filter((i) => !c.weights.has(i.name!));
  for (const name of c.weights) {
    const f = c.feeds[name];
    const dataType =
      f.type === 'float16' ? onnx.TensorProto.DataType.FLOAT16 : onnx.TensorProto.DataType.FLOAT;
    const d = f.data;
    g.initializer!.push({
      name,
      dims: f.dims,
      dataType,
      rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength),
    });
  }
  return onnx.ModelProto.encode(m).finish();
}

/** The runtime's tensor; a bool one through the runtime's own Tensor class. */
function makeTensor(rt: Runtime, f: Captured['feeds'][string]): Tensor {
  if (f.type !== 'bool') return rt.tensor(f.data, f.dims);
  const TensorClass = rt.tensor(Float32Array.of(0), [1]).constructor as new (
    type: string,
    data: Uint8Array,
    dims: number[],
  ) => Tensor;
  return new TensorClass('bool', f.data as unknown as Uint8Array, f.dims);
}

/** A session of one variant, ready to run: its feeds made once. */
/**
 * One model over the weights of one layer holding two graphs as the branches of an If on a
 * boolean input `first`: the weights are initializers of the outer graph, read by both branches,
 * so one session holds them once for both kinds of run. Outputs: the first graph's, then the
 * second's (the branch not taken gives empty tensors for the other's outputs).
 */
function mergedModel(a: Captured, b: Captured): { model: Uint8Array; outputs: string[][] } {
  const ma = onnx.ModelProto.decode(a.model);
  const mb = onnx.ModelProto.decode(b.model);
  const weights = new Set([...a.weights, ...b.weights]);
  const inputs = new Map<string, proto.IValueInfoProto>();
  for (const i of [...ma.graph!.input!, ...mb.graph!.input!])
    if (!weights.has(i.name!) && !inputs.has(i.name!))
      inputs.set(i.name!, {
        name: i.name,
        type: { tensorType: { elemType: i.type!.tensorType!.elemType } },
      });
  const outNames = [ma, mb].map((m) => m.graph!.output!.map((o) => o.name!));
  const T = onnx.AttributeProto.AttributeType;
  const branch = (m: proto.IModelProto, prefix: string, mine: number): proto.IGraphProto => {
    const g = m.graph!;
    const own = new Set(g.input!.map((i) => i.name!));
    const rename = (n: string) => (n === '' || own.has(n) ? n : `${prefix}/${n}`);
    const nodes = g.node!.map((n) => ({
      ...n,
      input: n.input!.map(rename),
      output: n.output!.map(rename),
    }));
    const init = g
      .initializer!.filter((t) => !weights.has(t.name!))
      .map((t) => ({ ...t, name: rename(t.name!) }));
    const output: proto.IValueInfoProto[] = [];
    outNames.forEach((names, k) =>
      names.forEach((name) => {
        if (k === mine) output.push({ name: rename(name), type: { tensorType: { elemType: 1 } } });
        else {
          const empty = `${prefix}/empty_${k}_${name}`;
          nodes.push({
            opType: 'Constant',
            input: [],
            output: [empty],
            attribute: [{ name: 'value', type: T.TENSOR, t: { dims: [0], dataType: 1 } }],
          });
          output.push({ name: empty, type: { tensorType: { elemType: 1 } } });
        }
      }),
    );
    return { name: prefix, node: nodes, initializer: init, output };
  };
  const all = outNames.flatMap((names, k) => names.map((n) => `${k}/${n}`));
  const weightInit = [...weights].map((name) => {
    const f = (a.feeds[name] ?? b.feeds[name])!;
    const d = f.data;
    return {
      name,
      dims: f.dims,
      dataType: 1,
      rawData: new Uint8Array(d.buffer, d.byteOffset, d.byteLength),
    };
  });
  const graph: proto.IGraphProto = {
    name: 'merged',
    input: [
      ...inputs.values(),
      { name: 'first', type: { tensorType: { elemType: 9, shape: { dim: [] } } } },
    ],
    initializer: weightInit,
    node: [
      {
        opType: 'If',
        input: ['first'],
        output: all,
        attribute: [
          { name: 'then_branch', type: T.GRAPH, g: branch(ma, 'a', 0) },
          { name: 'else_branch', type: T.GRAPH, g: branch(mb, 'b', 1) },
        ],
      },
    ],
    output: all.map((name) => ({ name, type: { tensorType: { elemType: 1 } } })),
  };
  const model = onnx.ModelProto.encode({ ...ma, graph }).finish();
  return { model, outputs: outNames };
}

/** Runs of the merged model as one of its two graphs: the other's inputs fed empty. */
function mergedCapture(
  merged: Uint8Array,
  own: Captured,
  other: Captured,
  first: boolean,
): Captured {
  const feeds: Captured['feeds'] = {};
  for (const [k, f] of Object.entries(own.feeds)) if (!own.weights.has(k)) feeds[k] = f;
  for (const [k, f] of Object.entries(other.feeds))
    if (!other.weights.has(k) && !feeds[k])
      feeds[k] = {
        type: f.type,
        data: f.data instanceof BigInt64Array ? new BigInt64Array(0) : new Float32Array(0),
        dims: [0],
      };
  return {
    model: merged,
    feeds: {
      ...feeds,
      first: { type: 'bool', data: Uint8Array.of(first ? 1 : 0) as never, dims: [] },
    },
    weights: new Set(),
  };
}

async function prepare(
  rt: Runtime,
  model: Uint8Array,
  c: Captured,
  weightsFed: boolean,
  create: (m: Uint8Array) => Promise<InferenceSession> = (m) => rt.createSession(m),
) {
  const session = await create(model);
  const feeds: Record<string, Tensor> = {};
  for (const [k, f] of Object.entries(c.feeds))
    if (weightsFed || !c.weights.has(k)) feeds[k] = makeTensor(rt, f);
  const run = async () => {
    const t0 = performance.now();
    const out = await session.run(feeds);
    const ms = performance.now() - t0;
    for (const t of Object.values(out)) await rt.read(t);
    return ms;
  };
  await run(); // warms up
  return { run, release: () => session.release() };
}

/** Median ms per run of each variant, the variants interleaved so that load drift hits all. */
async function timeInterleaved(variants: Awaited<ReturnType<typeof prepare>>[]) {
  const ms: number[][] = variants.map(() => []);
  for (let i = 0; i < Number(args.repeats); i++)
    for (const [k, v] of variants.entries()) ms[k].push(await v.run());
  for (const v of variants) await v.release();
  return ms.map((m) => m.sort((a, b) => a - b)[Math.floor(m.length / 2)]);
}

async function main() {
  const wanted = new Map(
    args.capture!.split(',').map((p) => {
      const [g, k] = p.split(':');
      return [g, Number(k)] as const;
    }),
  );
  const got = await capture(args.folder!, wanted);
  const threads = Number(args.threads);
  const native = createNodeRuntime({ threads });
  const wasm = await createNodeWasmRuntime({ threads, build: 'node' });
  console.log(
    `# ${threads} threads, median of ${args.repeats} runs; load average ${loadavg()[0].toFixed(2)} at ${new Date().toISOString()}`,
  );
  console.log(
    '| graph | weights fed per run (MiB) | native, fed (ms) | native, initializers (ms) | WASM, fed (ms) | WASM, initializers (ms) | WASM, initializers, no prepacking (ms) | WASM / native (initializers) |',
  );
  console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const ortWeb = await import('onnxruntime-web');
  const noPrepack = (m: Uint8Array) =>
    ortWeb.InferenceSession.create(m, {
      executionProviders: ['wasm'],
      graphOptimizationLevel: 'all',
      extra: { session: { disable_prepacking: '1' } },
    }) as unknown as Promise<InferenceSession>;
  for (const [graph, c] of got) {
    const init = withInitializers(c);
    const wBytes = [...c.weights].reduce((a, k) => a + c.feeds[k].data.byteLength, 0);
    const [nf, ni, wf, wi, wn] = await timeInterleaved([
      await prepare(native, c.model, c, true),
      await prepare(native, init, c, false),
      await prepare(wasm, c.model, c, true),
      await prepare(wasm, init, c, false),
      await prepare(wasm, init, c, false, noPrepack),
    ]);
    console.log(
      `| ${graph} | ${(wBytes / 2 ** 20).toFixed(1)} | ${nf.toFixed(1)} | ${ni.toFixed(1)} | ${wf.toFixed(1)} | ${wi.toFixed(1)} | ${wn.toFixed(1)} | ${(wi / ni).toFixed(2)}x |`,
    );
  }
  const a = got.get('pathBlock');
  const b = got.get('pathBlockVjp');
  if (a && b) {
    // Both kinds of run of one layer from one session holding the layer's weights once.
    const { model } = mergedModel(a, b);
    const rss = () => process.memoryUsage().rss / 2 ** 20;
    const r0 = rss();
    const two = [
      await prepare(wasm, withInitializers(a), a, false),
      await prepare(wasm, withInitializers(b), b, false),
    ];
    const r1 = rss();
    const merged = [
      await prepare(wasm, model, mergedCapture(model, a, b, true), true),
      await prepare(wasm, model, mergedCapture(model, b, a, false), true),
    ];
    const r2 = rss();
    const fed = [await prepare(wasm, a.model, a, true), await prepare(wasm, b.model, b, true)];
    const [ta, tb, ma, mb, fa, fb] = await timeInterleaved([...two, ...merged, ...fed]);
    console.log('| WASM | pathBlock (ms) | pathBlockVjp (ms) | resident memory added (MiB) |');
    console.log('| --- | --- | --- | --- |');
    console.log(`| weights fed | ${fa.toFixed(1)} | ${fb.toFixed(1)} | |`);
    console.log(
      `| two sessions, initializers | ${ta.toFixed(1)} | ${tb.toFixed(1)} | ${(r1 - r0).toFixed(0)} |`,
    );
    console.log(
      `| one session, If branches over shared initializers | ${ma.toFixed(1)} | ${mb.toFixed(1)} | ${(r2 - r1).toFixed(0)} (2 sessions of it) |`,
    );
  }
  console.log(`# load average ${loadavg()[0].toFixed(2)} at ${new Date().toISOString()}`);
  process.exit(0);
}

await main();
