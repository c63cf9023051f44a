/**
 * A loaded model's weights read and changed where they live, however they are stored (16-bit,
 * row blocks; src/graph/storage.ts): rows gathered and whole weights read back as float32,
 * rows replaced in a new tensor of the same storage, and the feeds that pass a weight to a graph
 * input of another name. The analyses use these instead of touching device tensors.
 */
import type { Tensor } from 'onnxruntime-common';
import type { WeightSpec } from '../arch';
import { Graph, type InputStorage, ops, toOnnx } from '../graph';
import { blockNames, scaleName } from '../graph/storage';
import { decodeHalf, halfRange } from '../weights/half';
import type { Model } from './model';

/** A weight's spec, or an error naming the weight. */
function specOf(model: Model, name: string, layer: number | null): WeightSpec {
  const specs =
    layer === null ? model.arch.globalWeights(model.config) : model.arch.blockWeights(model.config);
  const spec = specs.find((s) => s.input === name);
  if (!spec)
    throw new Error(`the model has no ${layer === null ? 'global' : 'block'} weight ${name}`);
  return spec;
}

function slotOf(model: Model, layer: number | null): Record<string, Tensor> {
  return layer === null ? model.weights.global : model.weights.layers[layer];
}

/** How weight `name` is stored (a plain float32 tensor when the storage does not say). */
export function storageOf(model: Model, name: string): InputStorage {
  return model.storage[name] ?? { dtype: 'float32', scaled: false };
}

/**
 * The feeds that give weight `name` (of `layer`, or global) to a graph input `as` declared with
 * the weight's storage: its blocks and scale under `as`'s names.
 */
export function weightFeeds(
  model: Model,
  name: string,
  layer: number | null,
  as: string,
): Record<string, Tensor> {
  const storage = storageOf(model, name);
  const slot = slotOf(model, layer);
  const feeds: Record<string, Tensor> = {};
  const from = blockNames(name, storage);
  blockNames(as, storage).forEach((to, k) => (feeds[to] = slot[from[k]]));
  if (storage.scaled) feeds[scaleName(as)] = slot[scaleName(name)];
  for (const [k, t] of Object.entries(feeds))
    if (!t) throw new Error(`weight ${name} (layer ${layer}) has no tensor ${k}`);
  return feeds;
}

/** Rows `ids` of weight `name`, as float32 [ids.length, row values]. */
export async function readRows(
  model: Model,
  name: string,
  layer: number | null,
  ids: readonly number[],
): Promise<Float32Array> {
  const spec = specOf(model, name, layer);
  const storage = storageOf(model, name);
  const session = await model.auxSession(`rows:${name}:${JSON.stringify(storage)}`, () => {
    const g = new Graph('read_rows');
    const table = g.input('table', 'float32', spec.shape, storage);
    g.output('rows', table.gather(g.input('ids', 'int64', ['N'])));
    return toOnnx(g);
  });
  const rt = model.runtime;
  const idTensor = rt.tensor(BigInt64Array.from(ids, BigInt), [ids.length]);
  const out = await session.run({ ...weightFeeds(model, name, layer, 'table'), ids: idTensor });
  // A copy: the runtime may hand back the output's own buffer, which dispose releases.
  const rows = Float32Array.from((await rt.read(out.rows)) as Float32Array);
  rt.dispose(out.rows);
  rt.dispose(idTensor);
  return rows;
}

/** A whole weight as float32 on the host (16-bit values decoded, row blocks joined). */
export async function readWeight(
  model: Model,
  name: string,
  layer: number | null,
): Promise<Float32Array> {
  const storage = storageOf(model, name);
  const slot = slotOf(model, layer);
  const rt = model.runtime;
  const scale = storage.scaled ? ((await rt.read(slot[scaleName(name)])) as Float32Array)[0] : 1;
  const parts: Float32Array[] = [];
  for (const block of blockNames(name, storage)) {
    const data = await rt.read(slot[block]);
    parts.push(
      data instanceof Uint16Array
        ? decodeHalf({ bits: data, scale })
        : Float32Array.from(data as Float32Array),
    );
  }
  if (parts.length === 1) return parts[0];
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * A new tensor holding weight `name` of `layer` with rows `ids` set to `rows` (float32,
 * [ids.length, row values]), stored as the weight is: a 16-bit weight keeps its scale, its other
 * rows bit for bit, and the new rows rounded to 16 bits. The caller swaps it in (and keeps the
 * original to swap back). Weights in row blocks (the embeddings) cannot be replaced.
 */
export async function replaceRows(
  model: Model,
  name: string,
  layer: number,
  ids: readonly number[],
  rows: Float32Array,
): Promise<Tensor> {
  const spec = specOf(model, name, layer);
  const storage = storageOf(model, name);
  if (storage.rowBlocks) throw new Error(`replaceRows: ${name} is stored in row blocks`);
  const rt = model.runtime;
  const slot = slotOf(model, layer);
  const half = storage.dtype === 'float16';
  const scale = storage.scaled ? ((await rt.read(slot[scaleName(name)])) as Float32Array)[0] : 1;
  if (half) {
    let max = 0;
    for (const v of rows) max = Math.max(max, Math.abs(v));
    if (max > halfRange(scale))
      throw new RangeError(
        `the edited ${name} values reach ${max.toPrecision(3)}, beyond the ${halfRange(scale).toPrecision(3)} ` +
          `this 16-bit weight holds; load the model with float32 weights to make this edit.`,
      );
  }
  const session = await model.auxSession(`replace:${name}:${JSON.stringify(storage)}`, () => {
    // out = table with row ids[k] set to rows[k]. `place` [R, N] is the one-hot of ids: each
    // replaced row is a sum of one product and zeros, so it is exact; Where passes every other
    // row through untouched (and a 16-bit weight's rows re-encode to their own bits).
    const g = new Graph('replace_rows');
    const table = g.input('table', 'float32', spec.shape, storage);
    const place = g.input('place', 'float32', [spec.shape[0], 'N']);
    const values = g.input('rows', 'float32', ['N', spec.shape[1]]);
    const picked = ops.greater(ops.sum(place, [1], true), 0.5);
    const out = ops.where(picked, place.matmul(values), table);
    g.output('out', half ? ops.toHalf(out.mul(g.input('inverse_scale', 'float32', []))) : out);
    return toOnnx(g);
  });
  const R = spec.shape[0] as number;
  const N = ids.length;
  const onehot = new Float32Array(R * N);
  ids.forEach((r, k) => (onehot[r * N + k] = 1));
  const inputs: Record<string, Tensor> = {
    place: rt.tensor(onehot, [R, N]),
    rows: rt.tensor(rows, [N, spec.shape[1] as number]),
  };
  if (half) inputs.inverse_scale = rt.tensor(Float32Array.of(1 / scale), []);
  const out = await session.run({ ...weightFeeds(model, name, layer, 'table'), ...inputs });
  for (const t of Object.values(inputs)) rt.dispose(t);
  return out.out;
}
