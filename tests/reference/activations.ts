import type { Activation } from '../../src/weights/types';

// Float64 versions of the activation functions in transformers/activations.py. JavaScript has no
// erf, so it is computed here to close to double precision (PyTorch's float32 kernels are far
// coarser, which is what makes this usable as a reference).

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);
const SERIES_LIMIT = 2.5;

/** erf(x) = 2/sqrt(pi) e^(-x^2) sum_n 2^n x^(2n+1) / (1*3*...*(2n+1)): all terms share x's sign. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 500; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) <= 1e-17 * Math.abs(sum)) break;
  }
  return TWO_OVER_SQRT_PI * Math.exp(-x2) * sum;
}

/** erfc(x) for x >= SERIES_LIMIT by its continued fraction, evaluated bottom-up. */
function erfcContinuedFraction(x: number): number {
  let f = x;
  for (let n = 120; n >= 1; n--) f = x + n / 2 / f;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

export function erf(x: number): number {
  if (Math.abs(x) < SERIES_LIMIT) return erfSeries(x);
  const tail = erfcContinuedFraction(Math.abs(x));
  return x > 0 ? 1 - tail : tail - 1;
}

export function erfc(x: number): number {
  if (x >= SERIES_LIMIT) return erfcContinuedFraction(x);
  if (x <= -SERIES_LIMIT) return 2 - erfcContinuedFraction(-x);
  return 1 - erfSeries(x);
}

/** HF "gelu" (GELUActivation = torch.nn.functional.gelu): x * Phi(x), the erf form. */
export function gelu(x: number): number {
  // 0.5 x (1 + erf(x / sqrt 2)) written with erfc so large negative x keeps its precision.
  return 0.5 * x * erfc(-x / Math.SQRT2);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** HF "gelu_new" (NewGELUActivation): the tanh approximation used by GPT-2. */
export function geluNew(x: number): number {
  return 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)));
}

export function relu(x: number): number {
  return x > 0 ? x : 0;
}

export function activationFn(name: Activation): (x: number) => number {
  switch (name) {
    case 'gelu':
      return gelu;
    case 'gelu_new':
      return geluNew;
    case 'relu':
      return relu;
    case 'silu':
      return (x) => x / (1 + Math.exp(-x));
  }
}
