/**
 * The primitive ops. Each one states, side by side, its shape rule, the ONNX node(s) that
 * compute it, and its vector-Jacobian product written with other ops, so backward passes are
 * plain ONNX too. Adding an op touches this file (and, for a chain method, Tensor in graph.ts).
 */
import type { DType, Tensor } from './graph';
import { type Dim, type Shape, broadcastShapes, normAxis, shapeToString } from './shape';
import type { StoredBlock } from './storage';

/** What an op's `emit` may do: add nodes, and name constants and shapes it needs. */
export interface Emitter {
  node(
    opType: string,
    inputs: string[],
    outputs: string[],
    ints?: Record<string, number | number[]>,
    floats?: Record<string, number>,
    strings?: Record<string, string>,
  ): void;
  /** A 1-D int64 constant (cached by value). */
  int64(values: number[]): string;
  /** A float32 scalar constant (cached by value). */
  float(value: number): string;
  /** `Shape(t)` of a tensor by name (cached). */
  shapeOf(name: string): string;
  /** A 1-D int64 tensor holding `dims`, named dims read from the graph inputs declaring them. */
  dims(dims: Shape): string;
  /** A fresh name for an intermediate value. */
  temp(base: string): string;
}

export interface OpDef<A> {
  /** The ONNX op type it mainly emits (also used to name its outputs). */
  onnx: string;
  /**
   * Inputs that only carry a gradient: the op's value does not read them, so the ONNX model
   * computes them only where something else needs their value (see `recall`).
   */
  gradientOnly?: readonly number[];
  infer(inputs: readonly Tensor[], attrs: A): { dtype: DType; shape: Dim[] };
  emit(e: Emitter, inputs: string[], output: string, attrs: A, tensors: readonly Tensor[]): void;
  /**
   * Emission when some inputs are stored at 16 bits or in row blocks (storage.ts): those arrive
   * as their blocks, to be decoded where they are used. Ops without it read a stored input as
   * one float32 tensor, decoded once.
   */
  emitStored?(
    e: Emitter,
    inputs: (string | StoredBlock[])[],
    output: string,
    attrs: A,
    tensors: readonly Tensor[],
  ): void;
  /**
   * Gradients of the inputs given `g`, the gradient of the output (same shape as `out`);
   * `needs[i]` says whether input i wants one. null where none flows.
   */
  vjp?(
    g: Tensor,
    inputs: readonly Tensor[],
    out: Tensor,
    attrs: A,
    needs: readonly boolean[],
  ): (Tensor | null)[];
}

function apply<A>(def: OpDef<A>, inputs: Tensor[], attrs: A): Tensor {
  const { dtype, shape } = def.infer(inputs, attrs);
  const g = inputs[0].graph;
  return g.rewrite(g.apply(def as OpDef<never>, inputs, attrs, dtype, shape));
}

function lift(x: Tensor | number, like: Tensor): Tensor {
  return typeof x === 'number' ? like.graph.scalar(x) : x;
}

function sameFloat(op: string, ...ts: readonly Tensor[]): void {
  for (const t of ts)
    if (t.dtype !== 'float32') throw new Error(`${op}: expected float32, got ${t}`);
}

function range(n: number, from = 0): number[] {
  return Array.from({ length: n - from }, (_, i) => i + from);
}

/** Sums `g` down to `shape`, undoing numpy broadcasting (the VJP of every broadcasting op). */
export function unbroadcast(g: Tensor, shape: Shape): Tensor {
  let out = g;
  const extra = g.rank - shape.length;
  if (extra > 0) out = sum(out, range(extra), false);
  const axes = shape.flatMap((d, i) => (d === 1 && out.shape[i] !== 1 ? [i] : []));
  return axes.length ? sum(out, axes, true) : out;
}

// ---------------------------------------------------------------------------------------------
// Elementwise binary ops (numpy broadcasting)

function binary(
  onnx: string,
  vjp: (g: Tensor, a: Tensor, b: Tensor, out: Tensor) => [Tensor, Tensor],
): OpDef<void> {
  return {
    onnx,
    infer: ([a, b]) => {
      sameFloat(onnx, a, b);
      return { dtype: 'float32', shape: broadcastShapes(a.shape, b.shape, onnx) };
    },
    emit: (e, ins, out) => e.node(onnx, ins, [out]),
    vjp: (g, [a, b], out) => {
      const [ga, gb] = vjp(g, a, b, out);
      return [unbroadcast(ga, a.shape), unbroadcast(gb, b.shape)];
    },
  };
}

const Add = binary('Add', (g) => [g, g]);
const Sub = binary('Sub', (g) => [g, neg(g)]);
const Mul = binary('Mul', (g, a, b) => [mul(g, b), mul(g, a)]);
// d(a/b)/db = -a/b^2 = -out/b
const Div = binary('Div', (g, _a, b, out) => [div(g, b), neg(div(mul(g, out), b))]);

export const add = (a: Tensor, b: Tensor | number) => apply(Add, [a, lift(b, a)], undefined);
export const sub = (a: Tensor, b: Tensor | number) => apply(Sub, [a, lift(b, a)], undefined);
export const mul = (a: Tensor, b: Tensor | number) => apply(Mul, [a, lift(b, a)], undefined);
export const div = (a: Tensor, b: Tensor | number) => apply(Div, [a, lift(b, a)], undefined);

// ---------------------------------------------------------------------------------------------
// Elementwise unary ops

function unary(onnx: string, vjp: (g: Tensor, x: Tensor, out: Tensor) => Tensor): OpDef<void> {
  return {
    onnx,
    infer: ([x]) => {
      sameFloat(onnx, x);
      return { dtype: 'float32', shape: [...x.shape] };
    },
    emit: (e, ins, out) => e.node(onnx, ins, [out]),
    vjp: (g, [x], out) => [vjp(g, x, out)],
  };
}

const Neg = unary('Neg', (g) => neg(g));
const Exp = unary('Exp', (g, _x, out) => mul(g, out));
const Log = unary('Log', (g, x) => div(g, x));
const Sqrt = unary('Sqrt', (g, _x, out) => div(mul(g, 0.5), out));
const Tanh = unary('Tanh', (g, _x, out) => sub(g, mul(mul(g, out), out)));
// d erf(x)/dx = 2/sqrt(pi) * exp(-x^2)
const Erf = unary('Erf', (g, x) => mul(g, mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI))));
const Relu = unary('Relu', (g, x) => where(greater(x, 0), g, 0));
// d sigmoid(x)/dx = s (1 - s), written g s - g s s
const Sigmoid = unary('Sigmoid', (g, _x, out) => {
  const gs = mul(g, out);
  return sub(gs, mul(gs, out));
});

export const neg = (x: Tensor) => apply(Neg, [x], undefined);
export const exp = (x: Tensor) => apply(Exp, [x], undefined);
export const log = (x: Tensor) => apply(Log, [x], undefined);
export const sqrt = (x: Tensor) => apply(Sqrt, [x], undefined);
export const tanh = (x: Tensor) => apply(Tanh, [x], undefined);
export const erf = (x: Tensor) => apply(Erf, [x], undefined);
export const relu = (x: Tensor) => apply(Relu, [x], undefined);
export const sigmoid = (x: Tensor) => apply(Sigmoid, [x], undefined);

const Pow: OpDef<{ p: number }> = {
  onnx: 'Pow',
  infer: ([x]) => {
    sameFloat('Pow', x);
    return { dtype: 'float32', shape: [...x.shape] };
  },
  emit: (e, [x], out, { p }) => e.node('Pow', [x, e.float(p)], [out]),
  vjp: (g, [x], _out, { p }) => [mul(g, mul(pow(x, p - 1), p))],
};
export const pow = (x: Tensor, p: number) => (p === 1 ? x : apply(Pow, [x], { p }));

// ---------------------------------------------------------------------------------------------
// Comparison and selection (no gradient through the condition)

const Greater: OpDef<void> = {
  onnx: 'Greater',
  infer: ([a, b]) => ({ dtype: 'bool', shape: broadcastShapes(a.shape, b.shape, 'Greater') }),
  emit: (e, ins, out) => e.node('Greater', ins, [out]),
  vjp: () => [null, null],
};
export const greater = (a: Tensor, b: Tensor | number) =>
  apply(Greater, [a, lift(b, a)], undefined);

const Where: OpDef<void> = {
  onnx: 'Where',
  infer: ([c, a, b]) => {
    if (c.dtype !== 'bool') throw new Error(`Where: condition must be bool, got ${c}`);
    sameFloat('Where', a, b);
    const s = broadcastShapes(broadcastShapes(c.shape, a.shape, 'Where'), b.shape, 'Where');
    return { dtype: 'float32', shape: s };
  },
  emit: (e, ins, out) => e.node('Where', ins, [out]),
  vjp: (g, [c, a, b]) => [
    null,
    unbroadcast(where(c, g, 0), a.shape),
    unbroadcast(where(c, 0, g), b.shape),
  ],
};
export const where = (c: Tensor, a: Tensor | number, b: Tensor | number) =>
  apply(Where, [c, lift(a, c), lift(b, c)], undefined);

// ---------------------------------------------------------------------------------------------
// Reductions and normalisations

function reducedShape(x: Tensor, axes: number[], keepDims: boolean): Dim[] {
  return x.shape.flatMap((d, i) => (axes.includes(i) ? (keepDims ? [1] : []) : [d]));
}

interface ReduceAttrs {
  axes: number[];
  keepDims: boolean;
}

const ReduceSum: OpDef<ReduceAttrs> = {
  onnx: 'ReduceSum',
  infer: ([x], { axes, keepDims }) => {
    sameFloat('ReduceSum', x);
    return { dtype: 'float32', shape: reducedShape(x, axes, keepDims) };
  },
  emit: (e, [x], out, { axes, keepDims }) =>
    e.node('ReduceSum', [x, e.int64(axes)], [out], { keepdims: keepDims ? 1 : 0 }),
  vjp: (g, [x], _out, { axes, keepDims }) => [expandAs(keepDims ? g : unsqueeze(g, axes), x)],
};

/** Sum over `axes` (all axes when omitted). */
export function sum(x: Tensor, axes?: number[], keepDims = false): Tensor {
  const norm = (axes ?? range(x.rank)).map((a) => normAxis(a, x.rank, 'sum')).sort((a, b) => a - b);
  if (norm.length === 0) return x;
  return apply(ReduceSum, [x], { axes: norm, keepDims });
}

const ReduceMean: OpDef<ReduceAttrs & { count: number }> = {
  onnx: 'ReduceMean',
  infer: ([x], { axes, keepDims }) => {
    sameFloat('ReduceMean', x);
    return { dtype: 'float32', shape: reducedShape(x, axes, keepDims) };
  },
  emit: (e, [x], out, { axes, keepDims }) =>
    e.node('ReduceMean', [x], [out], { axes, keepdims: keepDims ? 1 : 0 }),
  vjp: (g, [x], _out, { axes, keepDims, count }) => [
    div(expandAs(keepDims ? g : unsqueeze(g, axes), x), count),
  ],
};

/** Mean over `axes`, whose sizes must be known numbers. */
export function mean(x: Tensor, axes: number[], keepDims = false): Tensor {
  const norm = axes.map((a) => normAxis(a, x.rank, 'mean')).sort((a, b) => a - b);
  let count = 1;
  for (const a of norm) {
    const d = x.shape[a];
    if (typeof d !== 'number') throw new Error(`mean: axis ${a} of ${x} has no fixed size`);
    count *= d;
  }
  return apply(ReduceMean, [x], { axes: norm, keepDims, count });
}

const ReduceMax: OpDef<ReduceAttrs> = {
  onnx: 'ReduceMax',
  infer: ([x], { axes, keepDims }) => {
    sameFloat('ReduceMax', x);
    return { dtype: 'float32', shape: reducedShape(x, axes, keepDims) };
  },
  emit: (e, [x], out, { axes, keepDims }) =>
    e.node('ReduceMax', [x], [out], { axes, keepdims: keepDims ? 1 : 0 }),
};
/** Max over `axes`; it has no gradient, so use it only for shifts such as log-sum-exp's. */
export function max(x: Tensor, axes: number[], keepDims = false): Tensor {
  const norm = axes.map((a) => normAxis(a, x.rank, 'max')).sort((a, b) => a - b);
  return apply(ReduceMax, [x], { axes: norm, keepDims });
}

/** log(sum(exp(x))) over one axis, shifted by the max for stability (the shift cancels in the gradient). */
export function logSumExp(x: Tensor, axis: number, keepDims = false): Tensor {
  const m = stopGradient(max(x, [axis], true));
  const lse = add(log(sum(exp(sub(x, m)), [axis], true)), m);
  return keepDims ? lse : squeeze(lse, [normAxis(axis, x.rank, 'logSumExp')]);
}

const Softmax: OpDef<{ axis: number }> = {
  onnx: 'Softmax',
  infer: ([x]) => ({ dtype: 'float32', shape: [...x.shape] }),
  emit: (e, [x], out, { axis }) => e.node('Softmax', [x], [out], { axis }),
  // J^T g = out * (g - <g, out>)
  vjp: (g, _x, out, { axis }) => [mul(out, sub(g, sum(mul(g, out), [axis], true)))],
};
export const softmax = (x: Tensor, axis = -1) =>
  apply(Softmax, [x], { axis: normAxis(axis, x.rank, 'softmax') });

const LogSoftmax: OpDef<{ axis: number }> = {
  onnx: 'LogSoftmax',
  infer: ([x]) => ({ dtype: 'float32', shape: [...x.shape] }),
  emit: (e, [x], out, { axis }) => e.node('LogSoftmax', [x], [out], { axis }),
  vjp: (g, _x, out, { axis }) => [sub(g, mul(exp(out), sum(g, [axis], true)))],
};
export const logSoftmax = (x: Tensor, axis = -1) =>
  apply(LogSoftmax, [x], { axis: normAxis(axis, x.rank, 'logSoftmax') });

const LayerNorm: OpDef<{ eps: number }> = {
  onnx: 'LayerNormalization',
  infer: ([x, gamma, beta]) => {
    sameFloat('LayerNormalization', x, gamma, beta);
    const h = x.shape[x.rank - 1];
    if (gamma.rank !== 1 || gamma.shape[0] !== h || beta.rank !== 1 || beta.shape[0] !== h)
      throw new Error(`layerNorm: gamma/beta must be [${h}], got ${gamma}, ${beta}`);
    return { dtype: 'float32', shape: [...x.shape] };
  },
  emit: (e, ins, out, { eps }) =>
    e.node('LayerNormalization', ins, [out], { axis: -1 }, { epsilon: eps }),
  // Recomputes the normalised input; dx = rstd * (gx - mean(gx) - xhat * mean(gx * xhat)).
  vjp: (g, [x, gamma], _out, { eps }) => {
    const xc = sub(x, mean(x, [-1], true));
    const rstd = pow(add(mean(mul(xc, xc), [-1], true), eps), -0.5);
    const xhat = mul(xc, rstd);
    const gx = mul(g, gamma);
    const dx = mul(
      rstd,
      sub(sub(gx, mean(gx, [-1], true)), mul(xhat, mean(mul(gx, xhat), [-1], true))),
    );
    return [dx, unbroadcast(mul(g, xhat), gamma.shape), unbroadcast(g, gamma.shape)];
  },
};
/** LayerNorm over the last axis: (x - mean) / sqrt(var + eps) * gamma + beta. */
export const layerNorm = (x: Tensor, gamma: Tensor, beta: Tensor, eps: number) =>
  apply(LayerNorm, [x, gamma, beta], { eps });

const RmsNorm: OpDef<{ eps: number }> = {
  // Opset 17 has no RMSNormalization: emitted as the nodes LlamaRMSNorm runs, the last a Mul
  // (x * x rather than Pow, which GPUs compute as exp2(log2(x))).
  onnx: 'Mul',
  infer: ([x, gamma]) => {
    sameFloat('RmsNorm', x, gamma);
    const d = x.shape[x.rank - 1];
    if (gamma.rank !== 1 || gamma.shape[0] !== d)
      throw new Error(`rmsNorm: gamma must be [${d}], got ${gamma}`);
    return { dtype: 'float32', shape: [...x.shape] };
  },
  emit: (e, [x, gamma], out, { eps }) => {
    const square = e.temp('square');
    e.node('Mul', [x, x], [square]);
    const meanSquare = e.temp('mean_square');
    e.node('ReduceMean', [square], [meanSquare], { axes: [-1], keepdims: 1 });
    const shifted = e.temp('shifted');
    e.node('Add', [meanSquare, e.float(eps)], [shifted]);
    const rms = e.temp('rms');
    e.node('Sqrt', [shifted], [rms]);
    const normed = e.temp('normed');
    e.node('Div', [x, rms], [normed]);
    e.node('Mul', [normed, gamma], [out]);
  },
  // With r = (mean(x^2) + eps)^-1/2 and xhat = x r: dx = r (gx - xhat mean(gx * xhat)), gx = g gamma.
  vjp: (g, [x, gamma], _out, { eps }) => {
    const rstd = pow(add(mean(mul(x, x), [-1], true), eps), -0.5);
    const xhat = mul(x, rstd);
    const gx = mul(g, gamma);
    const dx = mul(rstd, sub(gx, mul(xhat, mean(mul(gx, xhat), [-1], true))));
    return [dx, unbroadcast(mul(g, xhat), gamma.shape)];
  },
};
/** RMSNorm over the last axis (LlamaRMSNorm): x / sqrt(mean(x^2) + eps) * gamma. */
export const rmsNorm = (x: Tensor, gamma: Tensor, eps: number) =>
  apply(RmsNorm, [x, gamma], { eps });

// ---------------------------------------------------------------------------------------------
// Linear algebra and layout

/** The blocks of a stored right operand; a stored left operand must be one block. */
function storedRight(op: string, a: string | StoredBlock[], b: string | StoredBlock[]) {
  if (typeof b === 'string' || (typeof a !== 'string' && a.length > 1))
    throw new Error(`${op}: only the right operand may be split into row blocks`);
  return b;
}

function swapLast(t: Tensor): Tensor {
  const perm = range(t.rank);
  [perm[t.rank - 2], perm[t.rank - 1]] = [perm[t.rank - 1], perm[t.rank - 2]];
  return transpose(t, perm);
}

const MatMul: OpDef<void> = {
  onnx: 'MatMul',
  infer: ([a, b]) => {
    sameFloat('MatMul', a, b);
    if (a.rank < 2 || b.rank < 2)
      throw new Error(`matmul: operands must be at least 2-D: ${a}, ${b}`);
    const k1 = a.shape[a.rank - 1];
    const k2 = b.shape[b.rank - 2];
    if (k1 !== k2) throw new Error(`matmul: inner dimensions differ: ${a} x ${b}`);
    const batch = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'MatMul');
    return { dtype: 'float32', shape: [...batch, a.shape[a.rank - 2], b.shape[b.rank - 1]] };
  },
  emit: (e, ins, out) => e.node('MatMul', ins, [out]),
  // a @ B with B's rows in blocks: the sum over blocks of a's matching columns times the block.
  emitStored: (e, [a, b], out) => {
    const blocks = storedRight('matmul', a, b);
    const x = typeof a === 'string' ? a : a[0].decode();
    if (blocks.length === 1) return void e.node('MatMul', [x, blocks[0].decode()], [out]);
    const parts = blocks.map((blk) => {
      const cols = e.temp('cols');
      e.node(
        'Slice',
        [x, e.int64([blk.start]), e.int64([blk.start + blk.rows]), e.int64([-1])],
        [cols],
      );
      const part = e.temp('part');
      e.node('MatMul', [cols, blk.decode()], [part]);
      return part;
    });
    e.node('Sum', parts, [out]);
  },
  vjp: (g, [a, b], _out, _attrs, needs) => [
    needs[0] ? unbroadcast(matmul(g, swapLast(b)), a.shape) : null,
    needs[1] ? unbroadcast(matmul(swapLast(a), g), b.shape) : null,
  ],
};
export const matmul = (a: Tensor, b: Tensor) => apply(MatMul, [a, b], undefined);

const GemmT: OpDef<void> = {
  onnx: 'Gemm',
  infer: ([a, b]) => {
    sameFloat('Gemm', a, b);
    if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[1])
      throw new Error(`matmulT: expected [M, K] and [N, K], got ${a}, ${b}`);
    return { dtype: 'float32', shape: [a.shape[0], b.shape[0]] };
  },
  emit: (e, ins, out) => e.node('Gemm', ins, [out], { transB: 1 }),
  // a B^T with B's rows in blocks: the blocks' products side by side.
  emitStored: (e, [a, b], out) => {
    const blocks = storedRight('matmulT', a, b);
    const x = typeof a === 'string' ? a : a[0].decode();
    if (blocks.length === 1)
      return void e.node('Gemm', [x, blocks[0].decode()], [out], { transB: 1 });
    const parts = blocks.map((blk) => {
      const part = e.temp('part');
      e.node('Gemm', [x, blk.decode()], [part], { transB: 1 });
      return part;
    });
    e.node('Concat', parts, [out], { axis: 1 });
  },
  vjp: (g, [a, b], _out, _attrs, needs) => [
    needs[0] ? matmul(g, b) : null,
    needs[1] ? matmul(transpose(g, [1, 0]), a) : null,
  ],
};
/** a b^T for 2-D operands, without materialising b^T (e.g. logits from a tied [V, H] embedding). */
export const matmulT = (a: Tensor, b: Tensor) => apply(GemmT, [a, b], undefined);

const Transpose: OpDef<{ perm: number[] }> = {
  onnx: 'Transpose',
  infer: ([x], { perm }) => {
    if (perm.length !== x.rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i))
      throw new Error(`transpose: perm [${perm}] is not a permutation of ${x}'s axes`);
    return { dtype: x.dtype, shape: perm.map((p) => x.shape[p]) };
  },
  emit: (e, ins, out, { perm }) => e.node('Transpose', ins, [out], { perm }),
  vjp: (g, _x, _out, { perm }) => {
    const inv = new Array<number>(perm.length);
    perm.forEach((p, i) => (inv[p] = i));
    return [transpose(g, inv)];
  },
};
export const transpose = (x: Tensor, perm: number[]) => apply(Transpose, [x], { perm });

const Reshape: OpDef<{ dims: Dim[] }> = {
  onnx: 'Reshape',
  infer: ([x], { dims }) => ({ dtype: x.dtype, shape: [...dims] }),
  emit: (e, [x], out, { dims }) => e.node('Reshape', [x, e.dims(dims)], [out]),
  vjp: (g, [x]) => [reshapeAs(g, x)],
};
/** Reshape to `dims`; named dims are taken from the graph inputs that declare them. */
export function reshape(x: Tensor, dims: Dim[]): Tensor {
  const known = (s: Shape) => s.every((d) => typeof d === 'number');
  const size = (s: Shape) => s.reduce<number>((a, d) => a * (d as number), 1);
  if (known(x.shape) && known(dims) && size(x.shape) !== size(dims))
    throw new Error(`reshape: ${x} cannot become ${shapeToString(dims)}`);
  return apply(Reshape, [x], { dims });
}

const ReshapeAs: OpDef<void> = {
  onnx: 'Reshape',
  infer: ([x, ref]) => ({ dtype: x.dtype, shape: [...ref.shape] }),
  emit: (e, [x], out, _a, [, ref]) => e.node('Reshape', [x, e.shapeOf(ref.name)], [out]),
  vjp: (g, [x]) => [reshapeAs(g, x), null],
};
/** Reshape `x` to the run-time shape of `ref`. */
export const reshapeAs = (x: Tensor, ref: Tensor) => apply(ReshapeAs, [x, ref], undefined);

const ExpandAs: OpDef<void> = {
  onnx: 'Expand',
  infer: ([x, ref]) => ({ dtype: x.dtype, shape: broadcastShapes(x.shape, ref.shape, 'Expand') }),
  emit: (e, [x], out, _a, [, ref]) => e.node('Expand', [x, e.shapeOf(ref.name)], [out]),
  vjp: (g, [x]) => [unbroadcast(g, x.shape), null],
};
/** Broadcast `x` to the run-time shape of `ref`. */
export const expandAs = (x: Tensor, ref: Tensor) => apply(ExpandAs, [x, ref], undefined);

export const zerosLike = (x: Tensor) => expandAs(x.graph.scalar(0), x);

const Unsqueeze: OpDef<{ axes: number[] }> = {
  onnx: 'Unsqueeze',
  infer: ([x], { axes }) => {
    const shape: Dim[] = [...x.shape];
    for (const a of axes) shape.splice(a, 0, 1);
    return { dtype: x.dtype, shape };
  },
  emit: (e, [x], out, { axes }) => e.node('Unsqueeze', [x, e.int64(axes)], [out]),
  vjp: (g, _x, _out, { axes }) => [squeeze(g, axes)],
};
/** Inserts size-1 axes; `axes` index the output. */
export function unsqueeze(x: Tensor, axes: number[]): Tensor {
  const rank = x.rank + axes.length;
  const norm = axes.map((a) => normAxis(a, rank, 'unsqueeze')).sort((a, b) => a - b);
  return apply(Unsqueeze, [x], { axes: norm });
}

const Squeeze: OpDef<{ axes: number[] }> = {
  onnx: 'Squeeze',
  infer: ([x], { axes }) => {
    for (const a of axes)
      if (x.shape[a] !== 1) throw new Error(`squeeze: axis ${a} of ${x} is not 1`);
    return { dtype: x.dtype, shape: x.shape.filter((_, i) => !axes.includes(i)) };
  },
  emit: (e, [x], out, { axes }) => e.node('Squeeze', [x, e.int64(axes)], [out]),
  vjp: (g, _x, _out, { axes }) => [unsqueeze(g, axes)],
};
export function squeeze(x: Tensor, axes: number[]): Tensor {
  const norm = axes.map((a) => normAxis(a, x.rank, 'squeeze')).sort((a, b) => a - b);
  return apply(Squeeze, [x], { axes: norm });
}

interface SliceAttrs {
  axis: number;
  start: number;
  end: number;
}
const Slice: OpDef<SliceAttrs> = {
  onnx: 'Slice',
  infer: ([x], { axis, start, end }) => {
    const d = x.shape[axis];
    if (start < 0 || start >= end || (typeof d === 'number' && end > d))
      throw new Error(`slice: [${start}, ${end}) is not inside axis ${axis} of ${x}`);
    const shape = [...x.shape];
    shape[axis] = end - start;
    return { dtype: x.dtype, shape };
  },
  emit: (e, [x], out, { axis, start, end }) =>
    e.node('Slice', [x, e.int64([start]), e.int64([end]), e.int64([axis])], [out]),
  vjp: (g, [x], _out, attrs) => [sliceGrad(g, x, attrs)],
};
/** Elements [start, end) along `axis`. */
export const slice = (x: Tensor, axis: number, start: number, end: number) =>
  apply(Slice, [x], { axis: normAxis(axis, x.rank, 'slice'), start, end });

/** Slice's VJP: `g` zero-padded back to the run-time shape of `x`. */
const SliceGrad: OpDef<SliceAttrs> = {
  onnx: 'Pad',
  infer: ([, x]) => ({ dtype: x.dtype, shape: [...x.shape] }),
  emit: (e, [g, x], out, { axis, start, end }, [, t]) => {
    // pads = [0.., start, ..0, 0.., dim(x) - end, ..0]
    const dim = e.temp('dim');
    e.node('Gather', [e.shapeOf(x), e.int64([axis])], [dim], { axis: 0 });
    const after = e.temp('after');
    e.node('Sub', [dim, e.int64([end])], [after]);
    const zeros = (n: number) => (n > 0 ? [e.int64(new Array<number>(n).fill(0))] : []);
    const pads = e.temp('pads');
    e.node(
      'Concat',
      [...zeros(axis), e.int64([start]), ...zeros(t.rank - 1), after, ...zeros(t.rank - 1 - axis)],
      [pads],
      { axis: 0 },
    );
    e.node('Pad', [g, pads], [out]);
  },
  vjp: (gg, _inputs, _out, { axis, start, end }) => [slice(gg, axis, start, end), null],
};
const sliceGrad = (g: Tensor, x: Tensor, attrs: SliceAttrs) => apply(SliceGrad, [g, x], attrs);

interface PadAttrs {
  axis: number;
  before: number;
  after: number;
}
const Pad: OpDef<PadAttrs> = {
  onnx: 'Pad',
  infer: ([x], { axis, before, after }) => {
    const d = x.shape[axis];
    if (typeof d !== 'number') throw new Error(`pad: axis ${axis} of ${x} has no fixed size`);
    const shape = [...x.shape];
    shape[axis] = d + before + after;
    return { dtype: x.dtype, shape };
  },
  emit: (e, [x], out, { axis, before, after }, [t]) => {
    const pads = new Array<number>(2 * t.rank).fill(0);
    pads[axis] = before;
    pads[t.rank + axis] = after;
    e.node('Pad', [x, e.int64(pads)], [out]);
  },
  vjp: (g, [x], _out, { axis, before }) => [
    slice(g, axis, before, before + (x.shape[axis] as number)),
  ],
};
/** Zero padding along one axis. */
export const pad = (x: Tensor, axis: number, before: number, after: number) =>
  apply(Pad, [x], { axis: normAxis(axis, x.rank, 'pad'), before, after });

/** The size of an axis from its parts: a number when all are numbers, else a name like 'P+S'. */
function sumDims(ds: Dim[]): Dim {
  return ds.every((d) => typeof d === 'number')
    ? (ds as number[]).reduce((a, b) => a + b, 0)
    : ds.join('+');
}

const Concat: OpDef<{ axis: number }> = {
  onnx: 'Concat',
  infer: (xs, { axis }) => {
    const shape = [...xs[0].shape];
    for (const x of xs)
      if (x.rank !== shape.length || x.shape.some((s, i) => i !== axis && s !== shape[i]))
        throw new Error(`concat: ${x} does not match ${xs[0]} off axis ${axis}`);
    shape[axis] = sumDims(xs.map((x) => x.shape[axis]));
    return { dtype: xs[0].dtype, shape };
  },
  emit: (e, ins, out, { axis }) => e.node('Concat', ins, [out], { axis }),
  vjp: (g, xs, _out, { axis }, needs) =>
    xs.map((_, index) => (needs[index] ? concatPart(g, xs, axis, index) : null)),
};
/** Concatenation along `axis`; sizes along it may be named (known only at run time). */
export const concat = (xs: Tensor[], axis: number) =>
  apply(Concat, xs, { axis: normAxis(axis, xs[0].rank, 'concat') });

/** Concat's VJP: the part of `g` that input `index` contributed, located at run time. */
const ConcatPart: OpDef<{ axis: number; index: number }> = {
  onnx: 'Slice',
  infer: ([, ...xs], { index }) => ({ dtype: xs[index].dtype, shape: [...xs[index].shape] }),
  emit: (e, [g, ...xs], out, { axis, index }, [, ...ts]) => {
    const size = (i: number) => {
      const d = ts[i].shape[axis];
      if (typeof d === 'number') return e.int64([d]);
      const out = e.temp('size');
      e.node('Gather', [e.shapeOf(xs[i]), e.int64([axis])], [out], { axis: 0 });
      return out;
    };
    let start = e.int64([0]);
    for (let i = 0; i < index; i++) {
      const next = e.temp('start');
      e.node('Add', [start, size(i)], [next]);
      start = next;
    }
    const end = e.temp('end');
    e.node('Add', [start, size(index)], [end]);
    e.node('Slice', [g, start, end, e.int64([axis])], [out]);
  },
};
const concatPart = (g: Tensor, xs: readonly Tensor[], axis: number, index: number) =>
  apply(ConcatPart, [g, ...xs], { axis, index });

const ExpandRows: OpDef<void> = {
  onnx: 'Expand',
  infer: ([x, ref]) => {
    if (x.shape[0] !== 1) throw new Error(`expandRows: ${x} must have one row`);
    return { dtype: x.dtype, shape: [ref.shape[0], ...x.shape.slice(1)] };
  },
  emit: (e, [x, ref], out, _a, [t]) => {
    const rows = e.temp('rows');
    e.node('Gather', [e.shapeOf(ref), e.int64([0])], [rows], { axis: 0 });
    const shape = e.temp('shape');
    e.node(
      'Concat',
      [rows, ...(t.rank > 1 ? [e.int64(t.shape.slice(1).map(() => 1))] : [])],
      [shape],
      {
        axis: 0,
      },
    );
    e.node('Expand', [x, shape], [out]);
  },
  vjp: (g) => [sum(g, [0], true), null],
};
/** Repeats the single row of `x` as many times as `ref` has rows (axis 0). */
export const expandRows = (x: Tensor, ref: Tensor) => apply(ExpandRows, [x, ref], undefined);

// ---------------------------------------------------------------------------------------------
// Indexing

const Gather: OpDef<{ axis: number }> = {
  onnx: 'Gather',
  infer: ([data, idx], { axis }) => {
    if (idx.dtype !== 'int64') throw new Error(`gather: indices must be int64, got ${idx}`);
    return {
      dtype: data.dtype,
      shape: [...data.shape.slice(0, axis), ...idx.shape, ...data.shape.slice(axis + 1)],
    };
  },
  emit: (e, ins, out, { axis }) => e.node('Gather', ins, [out], { axis }),
  // Rows picked from each block as stored, then decoded: only the picked rows become float32.
  emitStored: (e, [data, idx], out, { axis }, [table, indices]) => {
    if (typeof data === 'string' || typeof idx !== 'string')
      throw new Error('gather: only the data may be stored at 16 bits or in row blocks');
    if (data.length === 1) {
      const picked = e.temp('picked');
      e.node('Gather', [data[0].raw, idx], [picked], { axis });
      return void data[0].decodeValues(picked, out);
    }
    if (axis !== 0) throw new Error('gather: a table in row blocks is read along axis 0 only');
    // Row r lives in the block with start <= r < start + rows, at r - start: every block
    // gathers (clamped into its range) and Where keeps the rows that are its own.
    const rowAxes = e.int64(range(indices.rank + table.rank - 1, indices.rank));
    const parts = data.map((blk) => {
      const local = e.temp('local');
      e.node('Sub', [idx, e.int64([blk.start])], [local]);
      const low = e.temp('low');
      e.node('GreaterOrEqual', [local, e.int64([0])], [low]);
      const high = e.temp('high');
      e.node('Less', [local, e.int64([blk.rows])], [high]);
      const inside = e.temp('inside');
      e.node('And', [low, high], [inside]);
      const clamped = e.temp('clamped');
      e.node('Where', [inside, local, e.int64([0])], [clamped]);
      const picked = e.temp('picked');
      e.node('Gather', [blk.raw, clamped], [picked], { axis: 0 });
      const rows = blk.decodeValues(picked);
      const own = e.temp('own');
      e.node('Unsqueeze', [inside, rowAxes], [own]);
      const part = e.temp('part');
      e.node('Where', [own, rows, e.float(0)], [part]);
      return part;
    });
    e.node('Sum', parts, [out]);
  },
  vjp: (g, [data, idx], _out, { axis }) => {
    if (axis !== 0) throw new Error('gather: gradient implemented for axis 0 (row lookup) only');
    return [scatterAddRows(g, idx, data), null];
  },
};
/** Rows (or slices along `axis`) of `data` picked by int64 `indices`. */
export const gather = (data: Tensor, indices: Tensor, axis = 0) =>
  apply(Gather, [data, indices], { axis: normAxis(axis, data.rank, 'gather') });

const ScatterAddRows: OpDef<void> = {
  onnx: 'ScatterND',
  infer: ([, , ref]) => ({ dtype: 'float32', shape: [...ref.shape] }),
  emit: (e, [updates, idx], out, _a, [, , ref]) => {
    const zeros = e.temp('zeros');
    e.node('ConstantOfShape', [e.shapeOf(ref.name)], [zeros]);
    const idx1 = e.temp('rows');
    e.node('Unsqueeze', [idx, e.int64([-1])], [idx1]);
    e.node('ScatterND', [zeros, idx1, updates], [out], {}, {}, { reduction: 'add' });
  },
};
/** A zero tensor shaped like `ref` with `updates` added at rows `indices` (gather's VJP). */
const scatterAddRows = (updates: Tensor, indices: Tensor, ref: Tensor) =>
  apply(ScatterAddRows, [updates, indices, ref], undefined);

/**
 * Indices of the k largest values along the last axis, largest first (ONNX TopK); `k` is an
 * int64 [1] tensor so one graph serves any k. Ranking has no gradient.
 */
const TopKIndices: OpDef<void> = {
  onnx: 'TopK',
  infer: ([x, k]) => {
    if (k.dtype !== 'int64') throw new Error(`topKIndices: k must be int64, got ${k}`);
    return { dtype: 'int64', shape: [...x.shape.slice(0, -1), 'K'] };
  },
  emit: (e, [x, k], out) => {
    const values = e.temp('topk_values');
    e.node('TopK', [x, k], [values, out], { axis: -1, largest: 1, sorted: 1 });
  },
};
export const topKIndices = (x: Tensor, k: Tensor) => apply(TopKIndices, [x, k], undefined);

// ---------------------------------------------------------------------------------------------
// 16-bit output

const ToHalf: OpDef<void> = {
  onnx: 'Cast',
  infer: ([x]) => {
    sameFloat('toHalf', x);
    return { dtype: 'float16', shape: [...x.shape] };
  },
  emit: (e, ins, out) => e.node('Cast', ins, [out], { to: 10 }), // FLOAT16
};
/** float32 -> float16 (rounded to nearest even): a weight re-encoded for 16-bit storage. */
export const toHalf = (x: Tensor) => apply(ToHalf, [x], undefined);

// ---------------------------------------------------------------------------------------------
// Gradient control

const StopGradient: OpDef<void> = {
  onnx: 'Identity',
  infer: ([x]) => ({ dtype: x.dtype, shape: [...x.shape] }),
  emit: (e, ins, out) => e.node('Identity', ins, [out]),
  vjp: () => [null],
};
/** The same values, through which no gradient flows. */
export const stopGradient = (x: Tensor) => apply(StopGradient, [x], undefined);

const Recall: OpDef<void> = {
  onnx: 'Identity',
  gradientOnly: [0],
  infer: ([x, saved]) => {
    if (x.dtype !== saved.dtype || x.rank !== saved.rank)
      throw new Error(`recall: ${saved} cannot stand for ${x}`);
    return { dtype: x.dtype, shape: [...x.shape] };
  },
  // Forward: the saved value. Backward: the identity into x (x's own value is never read).
  emit: (e, [, saved], out) => e.node('Identity', [saved], [out]),
  vjp: (g) => [g, null],
};
/**
 * `x`'s value as saved by an earlier run (a graph input), with the gradient flowing into `x` as
 * if it had been computed here. A backward pass that recalls the products of its forward pass
 * does not recompute them: the ONNX model computes `x` only if some other node reads it.
 */
export const recall = (x: Tensor, saved: Tensor) => apply(Recall, [x, saved], undefined);

const GatherND: OpDef<void> = {
  onnx: 'GatherND',
  infer: ([data, idx]) => {
    const k = idx.shape[idx.rank - 1];
    if (idx.dtype !== 'int64' || typeof k !== 'number' || k > data.rank)
      throw new Error(
        `gatherND: indices ${idx} must be int64 with a fixed last axis <= ${data.rank}`,
      );
    return { dtype: data.dtype, shape: [...idx.shape.slice(0, -1), ...data.shape.slice(k)] };
  },
  emit: (e, ins, out) => e.node('GatherND', ins, [out]),
};
/**
 * data[i_0, .., i_(k-1)] for each index tuple in the last axis of `indices` (ONNX GatherND): e.g.
 * the rows [b, t] of a [B, T, F] tensor. It reads values for the host; it has no gradient.
 */
export const gatherND = (data: Tensor, indices: Tensor) =>
  apply(GatherND, [data, indices], undefined);
