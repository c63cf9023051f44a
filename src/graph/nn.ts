/** Composite functions built from primitive ops; their gradients follow automatically. */
import type { Tensor } from './graph';

/** GELU, erf form (BERT's "gelu"): x/2 * (1 + erf(x / sqrt 2)). */
export function gelu(x: Tensor): Tensor {
  return x.mul(0.5).mul(x.mul(Math.SQRT1_2).erf().add(1));
}

/** GELU, tanh approximation (GPT-2's "gelu_new"): x/2 * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function geluTanh(x: Tensor): Tensor {
  // x*x*x rather than Pow: GPU pow is exp2(log2(x)), imprecise and undefined for x < 0.
  const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI));
  return x.mul(0.5).mul(inner.tanh().add(1));
}

/** SiLU (LLaMA's "silu", also called swish): x sigmoid(x). */
export function silu(x: Tensor): Tensor {
  return x.mul(x.sigmoid());
}

/** x W + b with W stored [in, out]. */
export function linear(x: Tensor, w: Tensor, b?: Tensor): Tensor {
  const y = x.matmul(w);
  return b ? y.add(b) : y;
}
