/**
 * Checks gradients built by the graph builder against central finite differences of the same
 * ONNX graph run in onnxruntime-node: per element (a sample of up to `maxElements` per input)
 * and along a random direction covering every element.
 */
import { Graph, type Tensor, toOnnx } from '../../src/graph';
import { createNodeRuntime } from '../../src/runtime/node';
import { normals, rng } from './rng';

export type InputKind = 'any' | 'positive' | 'awayFromZero';

export interface GradInput {
  shape: (number | string)[];
  /** Concrete shape to feed when `shape` has named dims. */
  feed?: number[];
  kind?: InputKind;
}

export interface GradCheckReport {
  checked: number;
  maxError: number;
  worst?: string;
}

const runtime = createNodeRuntime({ threads: 1 });

function sample(rand: () => number, n: number, kind: InputKind): Float32Array {
  const x = normals(rand, n);
  for (let i = 0; i < n; i++) {
    if (kind === 'positive') x[i] = 0.5 + Math.abs(x[i]);
    // Keeps kinks (relu) and poles further than the finite-difference step.
    if (kind === 'awayFromZero') x[i] = Math.sign(x[i] || 1) * (0.2 + Math.abs(x[i]));
  }
  return x;
}

export async function gradCheck(
  build: (...xs: Tensor[]) => Tensor,
  inputs: GradInput[],
  opts: { seed?: number; maxElements?: number; h?: number; atol?: number; rtol?: number } = {},
): Promise<GradCheckReport> {
  const { seed = 1, maxElements = 24, h = 1e-2, atol = 2e-3, rtol = 1e-2 } = opts;
  const rand = rng(seed);
  const g = new Graph('gradcheck');
  const xs = inputs.map((s, i) => g.input(`x${i}`, 'float32', s.shape));
  const y = build(...xs);
  // A random linear functional of y makes every output element matter with its own weight.
  const rShape = y.shape.map((d, i) => (typeof d === 'number' ? d : concreteDim(inputs, d, i)));
  const r = g.input('r', 'float32', [...y.shape]);
  const rValues = normals(
    rand,
    rShape.reduce((a, b) => a * b, 1),
  );
  const loss = y.mul(r).sum();
  const grads = g.grad(loss, xs);
  g.output('loss', loss);
  grads.forEach((gr, i) => g.output(`g${i}`, gr));
  const session = await runtime.createSession(toOnnx(g));

  const dims = inputs.map((s) => s.feed ?? (s.shape as number[]));
  const values = inputs.map((s, i) =>
    sample(
      rand,
      dims[i].reduce((a, b) => a * b, 1),
      s.kind ?? 'any',
    ),
  );
  const run = async (vals: Float32Array[]) => {
    const feeds = Object.fromEntries(vals.map((v, i) => [`x${i}`, runtime.tensor(v, dims[i])]));
    feeds.r = runtime.tensor(rValues, rShape);
    return session.run(feeds);
  };
  const lossAt = async (vals: Float32Array[]) => ((await run(vals)).loss.data as Float32Array)[0];

  const base = await run(values);
  const analytic = inputs.map((_, i) => base[`g${i}`].data as Float32Array);
  let checked = 0;
  let maxError = 0;
  let worst: string | undefined;
  const compare = (what: string, fd: number, an: number) => {
    checked++;
    const err = Math.abs(fd - an) / (atol + rtol * Math.abs(an));
    if (err > maxError) {
      maxError = err;
      worst = `${what}: finite difference ${fd}, gradient ${an}`;
    }
  };

  for (let i = 0; i < inputs.length; i++) {
    const n = values[i].length;
    if (analytic[i].length !== n)
      throw new Error(`gradient ${i} has ${analytic[i].length} values, input has ${n}`);
    const picks =
      n <= maxElements
        ? [...Array(n).keys()]
        : [...Array(maxElements)].map(() => Math.floor(rand() * n));
    for (const j of picks) {
      const at = (delta: number) =>
        values.map((v, k) => (k === i ? v.map((x, m) => (m === j ? x + delta : x)) : v));
      const fd = ((await lossAt(at(h))) - (await lossAt(at(-h)))) / (2 * h);
      compare(`input ${i} element ${j}`, fd, analytic[i][j]);
    }
    // Directional derivative along a random unit direction.
    const dir = normals(rand, n);
    const norm = Math.hypot(...dir);
    const along = (s: number) =>
      values.map((v, k) => (k === i ? v.map((x, m) => x + (s * dir[m]) / norm) : v));
    const fd = ((await lossAt(along(h))) - (await lossAt(along(-h)))) / (2 * h);
    compare(
      `input ${i} direction`,
      fd,
      analytic[i].reduce((a, x, m) => a + (x * dir[m]) / norm, 0),
    );
  }
  await session.release();
  return { checked, maxError, worst };
}

function concreteDim(inputs: GradInput[], name: string, outAxis: number): number {
  // Concat names its axis after the parts' dims, e.g. 'P+S'.
  if (name.includes('+'))
    return name
      .split('+')
      .reduce((a, part) => a + (Number(part) || concreteDim(inputs, part, outAxis)), 0);
  for (const s of inputs) {
    const k = s.shape.indexOf(name);
    if (k >= 0 && s.feed) return s.feed[k];
  }
  throw new Error(`gradCheck: output axis ${outAxis} has named dim '${name}' that no input feeds`);
}
