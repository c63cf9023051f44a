/**
 * Graphs whose weights live in their session: where a runtime copies every fed tensor at each
 * run (onnxruntime-web's WASM backend), the graphs that read the global weights (the embedding
 * tables: 350 MiB for mBERT, read by every head run) are merged into one session that holds
 * those weights as initializers (src/graph/merge.ts), so each is copied once, not at each run,
 * and held once however many graphs read it. Each graph is then run through a view of that
 * session that looks like the graph's own session.
 */
import type { Tensor } from 'onnxruntime-common';
import type { Graph } from '../graph';
import { toOnnx } from '../graph';
import { GRAPH_INDEX, type ResidentTensor, mergeModels, modelInputNames } from '../graph/merge';
import type { Runtime } from '../runtime/runtime';

/** What the executor needs of a session: its inputs, a run, a release. */
export interface GraphSession {
  readonly inputNames: readonly string[];
  run(feeds: Record<string, Tensor>): Promise<Record<string, Tensor>>;
  release(): Promise<void>;
}

/** Above this, the weights stay inputs: an ONNX model (protobuf) is limited to 2 GiB. */
export const MAX_RESIDENT_BYTES = 1.5 * 2 ** 30;

/** ONNX element types of the inputs a view may have to fill with an empty tensor. */
const EMPTY: Record<number, () => Float32Array | BigInt64Array | Int32Array | Uint16Array> = {
  1: () => new Float32Array(0),
  6: () => new Int32Array(0),
  7: () => new BigInt64Array(0),
  10: () => new Uint16Array(0),
};

export interface ResidentSessions {
  /** A view per graph, run like the graph's own session; releasing a view does nothing. */
  views: Record<string, GraphSession>;
  /** Releases the one session (and the weights it holds). */
  release(): Promise<void>;
}

/**
 * One session running `graphs`, holding the weights of `weights` they read as initializers.
 * Weights that are not float32 stay inputs. Returns undefined where the weights are
 * too large for one ONNX model or the session cannot be made (the graphs then run as they are).
 */
export async function residentSessions(
  runtime: Runtime,
  graphs: Record<string, Graph>,
  weights: Record<string, Tensor>,
): Promise<ResidentSessions | undefined> {
  const models = Object.fromEntries(Object.entries(graphs).map(([k, g]) => [k, toOnnx(g)]));
  const read = new Set(Object.values(models).flatMap(modelInputNames));
  const resident: ResidentTensor[] = [];
  let bytes = 0;
  for (const [name, t] of Object.entries(weights)) {
    if (!read.has(name)) continue;
    const data = await runtime.read(t);
    // 16-bit weights stay inputs: onnxruntime folds their Cast into float32 copies held beside
    // them (a Llama-3.2-1B bf16 table then filled the 4 GiB heap; measured 2026-12-02).
    if (!(data instanceof Float32Array)) continue;
    resident.push({ name, dims: t.dims, data });
    bytes += data.byteLength;
  }
  if (resident.length === 0 || bytes > MAX_RESIDENT_BYTES) return undefined;
  const merged = mergeModels(models, resident);
  let session: Awaited<ReturnType<Runtime['createSession']>>;
  try {
    session = await runtime.createSession(merged.model, merged.externalData);
  } catch {
    // The held weights did not fit with what session creation adds (onnxruntime folds the
    // Cast of 16-bit initializers into float32 copies: a Llama-3.2-1B table took the 4 GiB
    // heap). The graphs then run as they are, fed the weights: the same results, more copies.
    return undefined;
  }
  const index = Object.keys(models);
  const views: Record<string, GraphSession> = {};
  for (const [k, graph] of index.entries()) {
    const own = new Set(merged.inputs[graph].map((i) => i.name));
    // The inputs only other graphs read, fed empty; and which graph to run.
    const fixed: Record<string, Tensor> = {
      [GRAPH_INDEX]: runtime.tensor(BigInt64Array.of(BigInt(k)), []),
    };
    for (const other of index)
      for (const { name, elemType } of merged.inputs[other])
        if (!own.has(name) && !fixed[name]) {
          const empty = EMPTY[elemType];
          if (!empty)
            throw new Error(`resident session: input ${name} has element type ${elemType}`);
          fixed[name] = runtime.tensor(empty(), [0]);
        }
    const outputs = merged.outputs[graph];
    const prefix = `${graph}/`;
    views[graph] = {
      inputNames: merged.inputs[graph].map((i) => i.name),
      async run(feeds) {
        const out = (await session.run({ ...feeds, ...fixed }, outputs)) as Record<string, Tensor>;
        return Object.fromEntries(outputs.map((o) => [o.slice(prefix.length), out[o]]));
      },
      release: async () => {},
    };
  }
  return { views, release: () => session.release() };
}
