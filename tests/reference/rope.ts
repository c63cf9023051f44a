import type { RopeSpec } from './llama-config';

// Rotary position embedding in Hugging Face's convention (LlamaRotaryEmbedding, rotate_half,
// apply_rotary_pos_emb): the head vector is split in halves, and element c of the first half
// turns with element c of the second half by the angle position * invFreq[c]. cos and sin are
// taken over the frequencies concatenated with themselves, so both halves use the same angles.

/**
 * The d/2 inverse frequencies of a head of size d: theta^(-2i/d), then scaled.
 * linear: all divided by factor. llama3: wavelengths 2 pi / f shorter than
 * originalMax / highFreqFactor are kept, those longer than originalMax / lowFreqFactor are
 * divided by factor, and those in between interpolate with
 * s = (originalMax / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor):
 * f' = (1 - s) f / factor + s f.
 */
export function ropeInverseFrequencies(rope: RopeSpec, headDim: number): Float64Array {
  const half = headDim / 2;
  const inv = new Float64Array(half);
  for (let i = 0; i < half; i++) inv[i] = 1 / rope.theta ** ((2 * i) / headDim);
  if (rope.type === 'linear') return inv.map((f) => f / rope.factor);
  if (rope.type === 'llama3') {
    const { factor, lowFreqFactor, highFreqFactor, originalMaxPositions } = rope;
    const lowFreqWavelength = originalMaxPositions / lowFreqFactor;
    const highFreqWavelength = originalMaxPositions / highFreqFactor;
    return inv.map((f) => {
      const wavelength = (2 * Math.PI) / f;
      if (wavelength < highFreqWavelength) return f;
      if (wavelength > lowFreqWavelength) return f / factor;
      const s =
        (originalMaxPositions / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
      return ((1 - s) * f) / factor + s * f;
    });
  }
  return inv;
}

/**
 * Every head of x ([T, heads * d] row-major, heads consecutive) rotated to position
 * `positions[t]`: y = x cos + rotate_half(x) sin, with rotate_half(x) = [-x2, x1].
 */
export function applyRope(
  x: Float64Array,
  T: number,
  heads: number,
  headDim: number,
  invFreq: Float64Array,
  positions: ArrayLike<number>,
): Float64Array {
  const half = headDim / 2;
  const width = heads * headDim;
  const y = new Float64Array(x.length);
  for (let t = 0; t < T; t++) {
    for (let c = 0; c < half; c++) {
      const angle = positions[t] * invFreq[c];
      const cos = Math.cos(angle);
      const sin = Math.sin(angle);
      for (let h = 0; h < heads; h++) {
        const i = t * width + h * headDim + c;
        const x1 = x[i];
        const x2 = x[i + half];
        y[i] = x1 * cos - x2 * sin;
        y[i + half] = x2 * cos + x1 * sin;
      }
    }
  }
  return y;
}
