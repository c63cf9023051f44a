import * as ops from './ops';
import type { OpDef } from './ops';
import { type Dim, type Shape, shapeToString } from './shape';
import { type InputStorage, checkStorage, isPlain } from './storage';

/** float16 only as an output (weights re-encoded by an edit): all arithmetic is float32. */
export type DType = 'float32' | 'float16' | 'int64' | 'bool';
export type ConstData = Float32Array | BigInt64Array;

/** One application of an op: its inputs, attributes, and the tensor it produced. */
export interface OpNode {
  readonly def: OpDef<never>;
  readonly inputs: readonly Tensor[];
  readonly attrs: unknown;
}

/** How a tensor came to be: a graph input, a constant, or an op's output. */
export type Origin =
  | { kind: 'input'; storage?: InputStorage }
  | { kind: 'constant'; data: ConstData }
  | { kind: 'op'; node: OpNode };

/**
 * A symbolic tensor in a `Graph`. Methods build new nodes; nothing is computed until the graph
 * is exported to ONNX and run.
 */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly id: number,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
    readonly origin: Origin,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  toString(): string {
    return `${this.name}: ${this.dtype}${shapeToString(this.shape)}`;
  }

  add(b: Tensor | number): Tensor {
    return ops.add(this, b);
  }
  sub(b: Tensor | number): Tensor {
    return ops.sub(this, b);
  }
  mul(b: Tensor | number): Tensor {
    return ops.mul(this, b);
  }
  div(b: Tensor | number): Tensor {
    return ops.div(this, b);
  }
  neg(): Tensor {
    return ops.neg(this);
  }
  pow(p: number): Tensor {
    return ops.pow(this, p);
  }
  exp(): Tensor {
    return ops.exp(this);
  }
  log(): Tensor {
    return ops.log(this);
  }
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  tanh(): Tensor {
    return ops.tanh(this);
  }
  erf(): Tensor {
    return ops.erf(this);
  }
  relu(): Tensor {
    return ops.relu(this);
  }
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  matmul(b: Tensor): Tensor {
    return ops.matmul(this, b);
  }
  sum(axes?: number[], keepDims = false): Tensor {
    return ops.sum(this, axes, keepDims);
  }
  mean(axes: number[], keepDims = false): Tensor {
    return ops.mean(this, axes, keepDims);
  }
  softmax(axis = -1): Tensor {
    return ops.softmax(this, axis);
  }
  logSoftmax(axis = -1): Tensor {
    return ops.logSoftmax(this, axis);
  }
  reshape(dims: Dim[]): Tensor {
    return ops.reshape(this, dims);
  }
  transpose(perm: number[]): Tensor {
    return ops.transpose(this, perm);
  }
  unsqueeze(axes: number[]): Tensor {
    return ops.unsqueeze(this, axes);
  }
  squeeze(axes: number[]): Tensor {
    return ops.squeeze(this, axes);
  }
  slice(axis: number, start: number, end: number): Tensor {
    return ops.slice(this, axis, start, end);
  }
  gather(indices: Tensor, axis = 0): Tensor {
    return ops.gather(this, indices, axis);
  }
  expandAs(ref: Tensor): Tensor {
    return ops.expandAs(this, ref);
  }
  reshapeAs(ref: Tensor): Tensor {
    return ops.reshapeAs(this, ref);
  }
  stopGradient(): Tensor {
    return ops.stopGradient(this);
  }
}

export interface GraphOutput {
  name: string;
  tensor: Tensor;
}

/**
 * A graph under construction. Inputs and constants are declared on it; ops are applied through
 * `Tensor` methods and the functions of `ops.ts`; `grad` appends a backward pass; `toOnnx`
 * (onnx.ts) writes the ONNX model.
 */
export class Graph {
  readonly inputs: Tensor[] = [];
  readonly outputs: GraphOutput[] = [];
  private nextId = 0;
  private readonly names = new Set<string>();
  private rewriter: ((t: Tensor) => Tensor) | null = null;

  constructor(readonly name: string) {}

  /**
   * Builds with `rewriter` applied to every op output `body` makes (it returns the tensor to use
   * in its place, or the tensor itself): how a backward pass recalls saved products.
   */
  rewriting<T>(rewriter: (t: Tensor) => Tensor, body: () => T): T {
    if (this.rewriter) throw new Error(`graph ${this.name}: rewriting is already active`);
    this.rewriter = rewriter;
    try {
      return body();
    } finally {
      this.rewriter = null;
    }
  }

  /** An op output as the active rewriter has it (ops.ts calls this on every output). */
  rewrite(t: Tensor): Tensor {
    const r = this.rewriter;
    if (!r) return t;
    // The rewriter's own ops are not rewritten again.
    this.rewriter = null;
    try {
      return r(t);
    } finally {
      this.rewriter = r;
    }
  }

  /**
   * A graph input. Named dims ('B', 'T') stay symbolic in the ONNX model. A float32 input may be
   * stored at 16 bits and/or in row blocks (storage.ts): the graph still sees float32.
   */
  input(name: string, dtype: DType, shape: Dim[], storage?: InputStorage): Tensor {
    if (!isPlain(storage)) {
      if (dtype !== 'float32') throw new Error(`input ${name}: only float32 inputs have a storage`);
      checkStorage(name, shape, storage!);
    }
    const origin: Origin = isPlain(storage) ? { kind: 'input' } : { kind: 'input', storage };
    const t = this.make(name, dtype, shape, origin);
    this.inputs.push(t);
    return t;
  }

  /** A constant baked into the model (an ONNX initializer). */
  constant(data: ConstData | number[], shape: Dim[], name = 'const'): Tensor {
    const arr = Array.isArray(data) ? Float32Array.from(data) : data;
    const n = shape.reduce<number>((a, d) => a * (d as number), 1);
    if (shape.some((d) => typeof d !== 'number') || n !== arr.length)
      throw new Error(
        `constant ${name}: ${arr.length} values do not fill shape ${shapeToString(shape)}`,
      );
    const dtype: DType = arr instanceof BigInt64Array ? 'int64' : 'float32';
    return this.make(this.unique(name), dtype, shape, { kind: 'constant', data: arr });
  }

  scalar(value: number): Tensor {
    return this.constant(Float32Array.of(value), [], 'scalar');
  }

  output(name: string, tensor: Tensor): void {
    if (tensor.graph !== this) throw new Error(`output ${name}: tensor belongs to another graph`);
    if (this.names.has(name)) throw new Error(`output ${name}: name already used in ${this.name}`);
    this.names.add(name);
    this.outputs.push({ name, tensor });
  }

  /** Creates the output tensor of an op application. Used by ops.ts. */
  apply(def: OpDef<never>, inputs: Tensor[], attrs: unknown, dtype: DType, shape: Dim[]): Tensor {
    for (const t of inputs)
      if (t.graph !== this) throw new Error(`${def.onnx}: mixes tensors of different graphs`);
    return this.make(this.unique(def.onnx.toLowerCase()), dtype, shape, {
      kind: 'op',
      node: { def, inputs, attrs },
    });
  }

  /**
   * Reverse-mode differentiation: the gradients of `y` with respect to `xs`, as new tensors of
   * this graph. `seed` is the gradient flowing into `y` (ones for a scalar `y` by default).
   * Only the nodes on a path from some x to y get a backward node.
   */
  grad(y: Tensor, xs: Tensor[], seed?: Tensor): Tensor[] {
    if (!seed) {
      if (y.rank !== 0) throw new Error(`grad: y ${y} is not a scalar; pass a seed of its shape`);
      seed = this.scalar(1);
    }
    const order = topoOrder([y]);
    // Forward reachability from xs: only these tensors can carry a gradient.
    const live = new Set<Tensor>(xs);
    for (const t of order) {
      if (t.origin.kind === 'op' && t.origin.node.inputs.some((i) => live.has(i))) live.add(t);
    }
    const grads = new Map<Tensor, Tensor>([[y, seed]]);
    for (let k = order.length - 1; k >= 0; k--) {
      const t = order[k];
      const g = grads.get(t);
      if (!g || t.origin.kind !== 'op' || !live.has(t)) continue;
      const { def, inputs, attrs } = t.origin.node;
      if (!def.vjp) throw new Error(`grad: ${def.onnx} (${t.name}) has no gradient`);
      const needs = inputs.map((i) => live.has(i));
      const gin = def.vjp(g, inputs, t, attrs as never, needs);
      inputs.forEach((inp, i) => {
        const gi = gin[i];
        if (!needs[i] || !gi) return;
        const prev = grads.get(inp);
        grads.set(inp, prev ? prev.add(gi) : gi);
      });
    }
    return xs.map((x) => grads.get(x) ?? ops.zerosLike(x));
  }

  private make(name: string, dtype: DType, shape: Dim[], origin: Origin): Tensor {
    if (this.names.has(name)) throw new Error(`graph ${this.name}: name ${name} used twice`);
    this.names.add(name);
    return new Tensor(this, this.nextId++, name, dtype, Object.freeze([...shape]), origin);
  }

  private unique(base: string): string {
    let name = `${base}_${this.nextId}`;
    while (this.names.has(name)) name += '_';
    return name;
  }
}

/**
 * Tensors that `roots` depend on, each after its inputs. With `valuesOnly`, the dependencies of
 * their values alone: inputs that only carry gradients (OpDef.gradientOnly) are left out.
 */
export function topoOrder(roots: Tensor[], valuesOnly = false): Tensor[] {
  const seen = new Set<Tensor>();
  const out: Tensor[] = [];
  // Iterative DFS: model graphs are deep enough to overflow recursion.
  const stack: [Tensor, boolean][] = roots.map((r) => [r, false]);
  while (stack.length) {
    const [t, expanded] = stack.pop()!;
    if (expanded) {
      out.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    if (t.origin.kind === 'op') {
      const { inputs, def } = t.origin.node;
      const skip = valuesOnly ? (def.gradientOnly ?? []) : [];
      for (let k = inputs.length - 1; k >= 0; k--)
        if (!skip.includes(k) && !seen.has(inputs[k])) stack.push([inputs[k], false]);
    }
  }
  return out;
}
