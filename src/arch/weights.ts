/** From Hugging Face checkpoint tensors to the engine's weight inputs. */
import type { HostTensor, ModelConfig } from '../weights/types';
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

function storedShape(spec: WeightSpec): number[] {
  const s = spec.shape as number[];
  if (spec.layout === 'transpose') return [...s].reverse();
  if (spec.layout === 'as-is') return s;
  return [...s.slice(0, -1), s[s.length - 1] * spec.layout.of];
}

/** Converts a stored tensor to the layout of `spec`'s input, checking its shape first. */
export function toInputLayout(spec: WeightSpec, name: string, t: HostTensor): HostTensor {
  const want = storedShape(spec);
  if (want.length !== t.dims.length || want.some((d, i) => d !== t.dims[i]))
    throw new Error(
      `tensor ${name} has shape [${t.dims}] but config.json implies [${want}]; the checkpoint and config.json do not belong together`,
    );
  const layout = spec.layout;
  if (layout === 'as-is') return t;
  if (layout === 'transpose') {
    const [rows, cols] = t.dims;
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) out[c * rows + r] = t.data[r * cols + c];
    return { dims: [cols, rows], data: out };
  }
  const width = t.dims[t.dims.length - 1];
  const part = width / layout.of;
  const rows = t.data.length / width;
  const out = new Float32Array(rows * part);
  for (let r = 0; r < rows; r++)
    out.set(
      t.data.subarray(r * width + layout.split * part, r * width + (layout.split + 1) * part),
      r * part,
    );
  return { dims: [...t.dims.slice(0, -1), part], data: out };
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
  const bodyPrefix = arch.family === 'bert' ? 'bert.' : 'transformer.';
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
