/**
 * Rotary position embedding in Hugging Face's convention (LlamaRotaryEmbedding, rotate_half):
 * element c of a head's first half turns with element c of its second half by the angle
 * position x invFreq[c]. The cos and sin tables are computed here on the host, per prompt, in
 * float64 and then rounded to float32, and fed to the graphs as inputs: the device needs no Sin
 * or Cos op, and the tables are exact whatever the device's trigonometry.
 */
import type { Tensor } from '../graph';
import { ops } from '../graph';
import type { ModelConfig, RopeConfig } from '../weights/types';

/**
 * The head_dim / 2 inverse frequencies theta^(-2i / d), then scaled. linear: all divided by
 * factor. llama3 (transformers' _compute_llama3_parameters): wavelengths 2 pi / f shorter than
 * originalMax / highFreqFactor are kept, those longer than originalMax / lowFreqFactor divided
 * by factor, and those in between blended, f' = (1 - s) f / factor + s f with
 * s = (originalMax / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor).
 */
export function inverseFrequencies(rope: RopeConfig, headDim: number): Float64Array {
  const half = headDim / 2;
  const base = Float64Array.from({ length: half }, (_, i) => rope.theta ** ((-2 * i) / headDim));
  switch (rope.type) {
    case 'default':
      return base;
    case 'linear':
      return base.map((f) => f / rope.factor);
    case 'llama3': {
      const { factor, lowFreqFactor: low, highFreqFactor: high, originalMaxPositions: n } = rope;
      return base.map((f) => {
        const wavelength = (2 * Math.PI) / f;
        if (wavelength < n / high) return f;
        if (wavelength > n / low) return f / factor;
        const s = (n / wavelength - low) / (high - low);
        return ((1 - s) * f) / factor + s * f;
      });
    }
  }
}

/** cos and sin of position x frequency over the frequencies concatenated with themselves: [T, d]. */
export interface RopeTables {
  cos: Float32Array;
  sin: Float32Array;
}

/** The tables of a LLaMA-family model for the given positions, [positions.length, head_dim]. */
export function ropeTables(cfg: ModelConfig, positions: readonly number[]): RopeTables {
  const { headDim, rope } = llamaParams(cfg);
  const inv = inverseFrequencies(rope, headDim);
  const half = headDim / 2;
  const cos = new Float32Array(positions.length * headDim);
  const sin = new Float32Array(positions.length * headDim);
  positions.forEach((p, t) => {
    for (let c = 0; c < half; c++) {
      const angle = p * inv[c];
      cos[t * headDim + c] = cos[t * headDim + c + half] = Math.cos(angle);
      sin[t * headDim + c] = sin[t * headDim + c + half] = Math.sin(angle);
    }
  });
  return { cos, sin };
}

/** x cos + rotate_half(x) sin for x [..., T, d] and tables [T, d]; rotate_half(x) = [-x2, x1]. */
export function rotate(x: Tensor, tables: { cos: Tensor; sin: Tensor }): Tensor {
  const d = x.shape[x.rank - 1] as number;
  const x1 = x.slice(-1, 0, d / 2);
  const x2 = x.slice(-1, d / 2, d);
  const rotatedHalf = ops.concat([x2.neg(), x1], -1);
  return x.mul(tables.cos).add(rotatedHalf.mul(tables.sin));
}

/** The LLaMA-family parameters of a config, which parseConfig gives every such model. */
export function llamaParams(cfg: ModelConfig) {
  if (!cfg.llama) throw new Error(`${cfg.modelType} config has no LLaMA-family parameters`);
  return cfg.llama;
}
