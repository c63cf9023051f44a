/** From Hugging Face checkpoint tensors to the engine's weight inputs. */
import type { CheckpointPlan } from '../weights/checkpoint';
import { quoted } from '../facts/text';
import { CheckpointError } from '../weights/errors';
import { shapeText } from '../weights/safetensors';
import { type HostTensor, type ModelConfig, type StoredTensor, isHalf } from '../weights/types';
import type { Architecture } from './architecture';
import type { WeightSpec } from './common';

/** One graph input a checkpoint tensor fills: a global weight (layer null) or a block's. */
export interface WeightTarget {
  spec: WeightSpec;
  layer: number | null;
}

const MODEL_PREFIXES = ['bert.', 'roberta.', 'transformer.', 'model.'];

/** The checkpoint name without the model prefix, with TF-era LayerNorm names made current. */
export function canonicalName(name: string): string {
  let n = name;
  for (const p of MODEL_PREFIXES) if (n.startsWith(p)) n = n.slice(p.length);
  return n
    .replace(/LayerNorm\.gamma$/, 'LayerNorm.weight')
    .replace(/LayerNorm\.beta$/, 'LayerNorm.bias');
}

/** Canonical HF name -> the inputs it fills (GPT-2's c_attn fills q, k and v). */
export function weightIndex(arch: Architecture, cfg: ModelConfig): Map<string, WeightTarget[]> {
  const index = new Map<string, WeightTarget[]>();
  const put = (name: string, t: WeightTarget) => index.set(name, [...(index.get(name) ?? []), t]);
  for (const spec of arch.globalWeights(cfg))
    for (const hf of spec.hf) put(hf, { spec, layer: null });
  for (let l = 0; l < cfg.numLayers; l++)
    for (const spec of arch.blockWeights(cfg))
      for (const hf of spec.hf) put(hf.replace('{l}', String(l)), { spec, layer: l });
  return index;
}

/** Which inputs a set of checkpoint names leaves unfilled (names of required specs). */
export function missingWeights(
  arch: Architecture,
  cfg: ModelConfig,
  names: Iterable<string>,
): string[] {
  const have = new Set([...names].map(canonicalName));
  const missing: string[] = [];
  const check = (spec: WeightSpec, l: number | null) => {
    const candidates = spec.hf.map((h) => (l === null ? h : h.replace('{l}', String(l))));
    if (!candidates.some((c) => have.has(c))) missing.push(candidates.join(' or '));
  };
  arch.globalWeights(cfg).forEach((s) => check(s, null));
  for (let l = 0; l < cfg.numLayers; l++) arch.blockWeights(cfg).forEach((s) => check(s, l));
  return missing;
}

/** The error for a checkpoint that lacks inputs `missing` (missingWeights) of a model. */
export function missingWeightsError(
  cfg: ModelConfig,
  missing: string[],
  fileName: string,
): CheckpointError {
  return new CheckpointError(
    `${fileName} lacks ${missing.length} tensor(s) this ${cfg.modelType} model needs, e.g. ${missing.slice(0, 3).join('; ')}. ` +
      'The checkpoint does not match config.json, or it is not a masked/causal LM checkpoint (the LM head is missing): ' +
      'download config.json and the weights from the same model folder, a masked or causal LM one.',
    fileName,
  );
}

function storedShape(spec: WeightSpec): number[] {
  const s = spec.shape as number[];
  if (spec.layout === 'transpose') return [...s].reverse();
  if (spec.layout === 'as-is') return s;
  return [...s.slice(0, -1), s[s.length - 1] * spec.layout.of];
}

const product = (dims: number[]) => dims.reduce((a, d) => a * d, 1);

/**
 * The fewest bytes a checkpoint of this config can have: every stored tensor once (GPT-2's
 * fused c_attn fills three inputs), at 16 bits per value, the smallest weight dtype. Computed
 * per block, not per layer, so an absurd layer count costs nothing.
 */
export function impliedCheckpointBytes(arch: Architecture, cfg: ModelConfig): number {
  const stored = (specs: WeightSpec[]) => {
    const sizes = new Map(specs.map((s) => [s.hf.join(' '), product(storedShape(s))]));
    return [...sizes.values()].reduce((a, b) => a + b, 0);
  };
  return 2 * (stored(arch.globalWeights(cfg)) + cfg.numLayers * stored(arch.blockWeights(cfg)));
}

function shapeError(file: string, name: string, dims: number[], spec: WeightSpec) {
  const implies = spec.fromConfig
    ? `config.json's ${spec.fromConfig} imply`
    : 'config.json implies';
  return new CheckpointError(
    `${file}: tensor ${quoted(name)} has shape ${shapeText(dims)} but ${implies} ` +
      `${shapeText(storedShape(spec))}; the checkpoint and config.json are not of the same model, ` +
      `download both from the same model folder.`,
    file,
  );
}

const sameShape = (a: number[], b: number[]) =>
  a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Checks a checkpoint against config.json from its headers alone, before any tensor data is
 * read: its size against the size the config implies, then every tensor's shape, then that no
 * input is left without a tensor.
 */
export function checkCheckpoint(arch: Architecture, cfg: ModelConfig, plan: CheckpointPlan): void {
  const files = plan.files.map((f) => f.name).join(', ');
  const implied = impliedCheckpointBytes(arch, cfg);
  if (implied > plan.totalBytes) {
    throw new CheckpointError(
      `config.json describes a ${cfg.modelType} model whose weights take at least ` +
        `${implied.toLocaleString('en')} bytes (at 16 bits per value), but the checkpoint ` +
        `(${files}) has ${plan.totalBytes.toLocaleString('en')} bytes; config.json and the ` +
        `checkpoint are not of the same model, download both from the same model folder.`,
      plan.files[0]?.name,
    );
  }
  const index = weightIndex(arch, cfg);
  for (const t of plan.tensors) {
    for (const { spec } of index.get(canonicalName(t.name)) ?? []) {
      if (!sameShape(t.shape, storedShape(spec))) throw shapeError(t.file, t.name, t.shape, spec);
    }
  }
  const missing = missingWeights(
    arch,
    cfg,
    plan.tensors.map((t) => t.name),
  );
  const label =
    plan.files.length === 1 ? plan.files[0].name : `the ${plan.files.length} checkpoint shards`;
  if (missing.length) throw missingWeightsError(cfg, missing, label);
}

/**
 * Converts a stored tensor to the layout of `spec`'s input, checking its shape first. `file` is
 * where the tensor came from, for the error message. A 16-bit tensor stays 16-bit (same scale).
 */
export function toInputLayout(
  spec: WeightSpec,
  name: string,
  t: HostTensor,
  file: string,
): HostTensor;
export function toInputLayout(
  spec: WeightSpec,
  name: string,
  t: StoredTensor,
  file: string,
): StoredTensor;
export function toInputLayout(
  spec: WeightSpec,
  name: string,
  t: StoredTensor,
  file: string,
): StoredTensor {
  if (!sameShape(t.dims, storedShape(spec))) throw shapeError(file, name, t.dims, spec);
  const layout = spec.layout;
  if (layout === 'as-is') return t;
  const values = isHalf(t) ? t.half : t.data;
  const make = (n: number) =>
    values instanceof Uint16Array ? new Uint16Array(n) : new Float32Array(n);
  const result = (dims: number[], out: Float32Array | Uint16Array): StoredTensor =>
    isHalf(t)
      ? { dims, half: out as Uint16Array, scale: t.scale }
      : { dims, data: out as Float32Array };
  if (layout === 'transpose') {
    const [rows, cols] = t.dims;
    const out = make(rows * cols);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c];
    return result([cols, rows], out);
  }
  const width = t.dims[t.dims.length - 1];
  const part = width / layout.of;
  const rows = values.length / width;
  const out = make(rows * part);
  for (let r = 0; r < rows; r++)
    out.set(
      values.subarray(r * width + layout.split * part, r * width + (layout.split + 1) * part),
      r * part,
    );
  return result([...t.dims.slice(0, -1), part], out);
}

/**
 * The inverse of toInputLayout for a whole model: Hugging Face checkpoint tensors (with the
 * model class's prefix, as save_pretrained writes them) from input-layout values.
 */
export function checkpointTensors(
  arch: Architecture,
  cfg: ModelConfig,
  value: (input: string, layer: number | null) => Float32Array,
): Map<string, HostTensor> {
  const out = new Map<string, HostTensor>();
  const headPrefixes = ['cls.', 'lm_head.'];
  const bodyPrefix = { bert: 'bert.', gpt2: 'transformer.', llama: 'model.' }[arch.family];
  const place = (spec: WeightSpec, layer: number | null) => {
    const canonical = spec.hf[0].replace('{l}', String(layer));
    const name = headPrefixes.some((p) => canonical.startsWith(p))
      ? canonical
      : bodyPrefix + canonical;
    const dims = storedShape(spec);
    const src = value(spec.input, layer);
    const layout = spec.layout;
    if (layout === 'as-is') return out.set(name, { dims, data: src });
    if (layout === 'transpose') {
      const [rows, cols] = spec.shape as number[];
      const data = new Float32Array(rows * cols);
      for (let r = 0; r < rows; r++)
        for (let c = 0; c < cols; c++) data[c * rows + r] = src[r * cols + c];
      return out.set(name, { dims, data });
    }
    const t = out.get(name) ?? { dims, data: new Float32Array(dims.reduce((a, b) => a * b, 1)) };
    const width = dims[dims.length - 1];
    const part = width / layout.of;
    for (let r = 0; r < t.data.length / width; r++)
      t.data.set(src.subarray(r * part, (r + 1) * part), r * width + layout.split * part);
    out.set(name, t);
  };
  arch.globalWeights(cfg).forEach((s) => place(s, null));
  for (let l = 0; l < cfg.numLayers; l++) arch.blockWeights(cfg).forEach((s) => place(s, l));
  return out;
}
