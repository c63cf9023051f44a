import { describe, expect, it } from 'vitest';
import { Graph, type Tensor, nn, ops, toOnnx } from '.';
import { createNodeRuntime } from '../runtime/node';
import { type GradInput, gradCheck } from '../../tests/util/gradcheck';

/** Each case: a function of the inputs and the inputs' shapes; its gradient must match finite differences. */
const cases: [string, (...xs: Tensor[]) => Tensor, GradInput[]][] = [
  ['add', (a, b) => a.add(b), [{ shape: [2, 3] }, { shape: [2, 3] }]],
  ['add broadcast rank', (a, b) => a.add(b), [{ shape: [2, 3] }, { shape: [3] }]],
  ['add broadcast both', (a, b) => a.add(b), [{ shape: [2, 1, 4] }, { shape: [3, 1] }]],
  ['add scalar', (a) => a.add(1.5), [{ shape: [4] }]],
  ['sub broadcast', (a, b) => a.sub(b), [{ shape: [4, 1] }, { shape: [1, 5] }]],
  ['mul broadcast', (a, b) => a.mul(b), [{ shape: [4, 1] }, { shape: [1, 5] }]],
  ['mul self', (a) => a.mul(a), [{ shape: [3, 2] }]],
  ['div broadcast', (a, b) => a.div(b), [{ shape: [2, 3] }, { shape: [3], kind: 'positive' }]],
  ['neg', (a) => a.neg(), [{ shape: [5] }]],
  ['exp', (a) => a.exp(), [{ shape: [2, 3] }]],
  ['log', (a) => a.log(), [{ shape: [2, 3], kind: 'positive' }]],
  ['sqrt', (a) => a.sqrt(), [{ shape: [2, 3], kind: 'positive' }]],
  ['tanh', (a) => a.tanh(), [{ shape: [2, 3] }]],
  ['erf', (a) => a.erf(), [{ shape: [2, 3] }]],
  ['relu', (a) => a.relu(), [{ shape: [3, 4], kind: 'awayFromZero' }]],
  ['sigmoid', (a) => a.sigmoid(), [{ shape: [2, 3] }]],
  ['pow 3', (a) => a.pow(3), [{ shape: [2, 3] }]],
  ['pow -0.5', (a) => a.pow(-0.5), [{ shape: [2, 3], kind: 'positive' }]],
  [
    'where broadcast',
    (c, a, b) => ops.where(ops.greater(c, 0), a, b),
    [{ shape: [3, 1], kind: 'awayFromZero' }, { shape: [3, 4] }, { shape: [4] }],
  ],
  ['sum all', (a) => a.sum(), [{ shape: [2, 3, 4] }]],
  ['sum axis', (a) => a.sum([1]), [{ shape: [2, 3, 4] }]],
  ['sum axes keepdims', (a) => a.sum([0, -1], true), [{ shape: [2, 3, 4] }]],
  ['mean', (a) => a.mean([-1], true), [{ shape: [2, 3, 4] }]],
  ['mean two axes', (a) => a.mean([0, 2]), [{ shape: [2, 3, 4] }]],
  ['softmax last', (a) => a.softmax(-1), [{ shape: [2, 5] }]],
  ['softmax first', (a) => a.softmax(0), [{ shape: [3, 4] }]],
  ['logSoftmax', (a) => a.logSoftmax(-1), [{ shape: [2, 5] }]],
  [
    'layerNorm',
    (x, g, b) => ops.layerNorm(x, g, b, 1e-5),
    [{ shape: [2, 3, 6] }, { shape: [6] }, { shape: [6] }],
  ],
  ['rmsNorm', (x, g) => ops.rmsNorm(x, g, 1e-6), [{ shape: [2, 3, 6] }, { shape: [6] }]],
  [
    'rmsNorm per head, named dims',
    (x, g) => ops.rmsNorm(x, g, 1e-5),
    [{ shape: ['B', 2, 'T', 4], feed: [2, 2, 3, 4] }, { shape: [4] }],
  ],
  ['matmul 2d', (a, b) => a.matmul(b), [{ shape: [3, 4] }, { shape: [4, 2] }]],
  ['matmul batched x 2d', (a, b) => a.matmul(b), [{ shape: [2, 3, 4] }, { shape: [4, 5] }]],
  [
    'matmul broadcast batch',
    (a, b) => a.matmul(b),
    [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }],
  ],
  ['matmulT', (a, b) => ops.matmulT(a, b), [{ shape: [3, 4] }, { shape: [5, 4] }]],
  ['logSumExp', (a) => ops.logSumExp(a.mul(4), -1), [{ shape: [3, 6] }]],
  ['transpose', (a) => a.transpose([2, 0, 1]), [{ shape: [2, 3, 4] }]],
  ['reshape', (a) => a.reshape([6, 4]).mul(a.reshape([6, 4])), [{ shape: [2, 3, 4] }]],
  ['reshapeAs', (a, b) => a.reshapeAs(b).mul(b), [{ shape: [2, 6] }, { shape: [3, 4] }]],
  ['expandAs', (a, b) => a.expandAs(b).mul(b), [{ shape: [3, 1] }, { shape: [3, 4] }]],
  ['unsqueeze', (a, b) => a.unsqueeze([1]).mul(b), [{ shape: [3, 4] }, { shape: [3, 2, 4] }]],
  ['squeeze', (a) => a.squeeze([1]).mul(a.squeeze([1])), [{ shape: [3, 1, 4] }]],
  ['slice', (a) => a.slice(1, 1, 3), [{ shape: [2, 4, 3] }]],
  ['pad', (a) => ops.pad(a, 0, 1, 2), [{ shape: [2, 3] }]],
  ['concat', (a, b) => ops.concat([a, b, a], 1), [{ shape: [2, 1] }, { shape: [2, 3] }]],
  [
    'concat named sizes',
    (a, b) => ops.concat([a, b.mul(b)], 0).mul(2),
    [
      { shape: ['P', 3], feed: [2, 3] },
      { shape: ['S', 3], feed: [4, 3] },
    ],
  ],
  [
    'slice named axis',
    (a) => a.slice(0, 1, 2).mul(a.slice(0, 0, 1)),
    [{ shape: ['P', 3], feed: [4, 3] }],
  ],
  [
    'expandRows',
    (a, b) => ops.expandRows(a, b).mul(b),
    [{ shape: [1, 2, 3] }, { shape: ['S', 2, 3], feed: [4, 2, 3] }],
  ],
  ['gelu', (a) => nn.gelu(a), [{ shape: [2, 5] }]],
  ['geluTanh', (a) => nn.geluTanh(a), [{ shape: [2, 5] }]],
  ['silu', (a) => nn.silu(a), [{ shape: [2, 5] }]],
  [
    'matmul broadcast grouped heads (GQA)',
    (q, k) => q.matmul(k.transpose([0, 1, 2, 4, 3])),
    [{ shape: [2, 2, 3, 4, 5] }, { shape: [2, 2, 1, 6, 5] }],
  ],
  [
    'linear',
    (x, w, b) => nn.linear(x, w, b),
    [{ shape: [2, 3, 4] }, { shape: [4, 5] }, { shape: [5] }],
  ],
  [
    'named dims',
    (x, w) => x.matmul(w).reshape(['B', 'T', 2, 3]).softmax(-1).mean([2]),
    [{ shape: ['B', 'T', 4], feed: [3, 2, 4] }, { shape: [4, 6] }],
  ],
  [
    'named dims reduce',
    (x) => x.sub(x.mean([-1], true)).mul(x.sum([1], true)),
    [{ shape: ['B', 'T', 4], feed: [2, 5, 4] }],
  ],
];

describe('op gradients match finite differences', () => {
  for (const [name, build, inputs] of cases) {
    it(name, async () => {
      const report = await gradCheck(build, inputs);
      expect(report.checked).toBeGreaterThan(0);
      expect(report.maxError, report.worst).toBeLessThan(1);
    });
  }

  it('gather accumulates gradients of repeated rows', async () => {
    const g = new Graph('gather');
    const table = g.input('table', 'float32', [5, 3]);
    const idx = g.input('idx', 'int64', [4]);
    const r = g.constant([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [4, 3]);
    const loss = table.gather(idx).mul(r).sum();
    const [dt] = g.grad(loss, [table]);
    g.output('dt', dt);
    const rt = createNodeRuntime({ threads: 1 });
    const s = await rt.createSession(toOnnx(g));
    const out = await s.run({
      table: rt.tensor(new Float32Array(15), [5, 3]),
      idx: rt.tensor(BigInt64Array.from([1n, 3n, 1n, 0n]), [4]),
    });
    // Rows 1 (twice: r rows 0 and 2), 3 (r row 1), 0 (r row 3); rows 2 and 4 untouched.
    expect(Array.from(out.dt.data as Float32Array)).toEqual([
      10,
      11,
      12,
      1 + 7,
      2 + 8,
      3 + 9,
      0,
      0,
      0,
      4,
      5,
      6,
      0,
      0,
      0,
    ]);
  });
});

describe('ops that read saved values', () => {
  it('recall gives the saved value forward and the gradient of the value it stands for', async () => {
    const g = new Graph('recall');
    const x = g.input('x', 'float32', [3]);
    const saved = g.input('saved', 'float32', [3]);
    const c = g.constant([1, 2, 3], [3]);
    // d/dx sum(c * x^2) = 2 c x, whatever `saved` holds; the value is sum(c * saved).
    const y = ops.recall(x.mul(x), saved).mul(c).sum();
    const [dx] = g.grad(y, [x]);
    g.output('y', y);
    g.output('dx', dx);
    const rt = createNodeRuntime({ threads: 1 });
    const s = await rt.createSession(toOnnx(g));
    const out = await s.run({
      x: rt.tensor(Float32Array.of(1, -2, 0.5), [3]),
      saved: rt.tensor(Float32Array.of(10, 20, 30), [3]),
    });
    expect(Array.from(out.y.data as Float32Array)).toEqual([10 + 40 + 90]);
    expect(Array.from(out.dx.data as Float32Array)).toEqual([2, -8, 3]);
  });

  it('gatherND reads (row, position) pairs', async () => {
    const g = new Graph('gather_nd');
    const data = g.input('data', 'float32', [2, 3, 2]);
    const at = g.input('at', 'int64', ['N', 2]);
    g.output('out', ops.gatherND(data, at));
    const rt = createNodeRuntime({ threads: 1 });
    const s = await rt.createSession(toOnnx(g));
    const out = await s.run({
      data: rt.tensor(
        Float32Array.from({ length: 12 }, (_, i) => i),
        [2, 3, 2],
      ),
      at: rt.tensor(BigInt64Array.of(1n, 2n, 0n, 1n), [2, 2]),
    });
    expect(out.out.dims).toEqual([2, 2]);
    expect(Array.from(out.out.data as Float32Array)).toEqual([10, 11, 2, 3]);
  });
});

describe('graph builder', () => {
  it('the checker fails a gradient that disagrees with the values', async () => {
    // Guards against a checker that passes everything: the value is x^3 + x^2 but the
    // builder only sees x^2 (stopGradient hides x^3), so its gradient is wrong.
    const wrong = await gradCheck(
      (x) => x.mul(x).mul(x).stopGradient().add(x.mul(x)),
      [{ shape: [4] }],
    );
    expect(wrong.maxError).toBeGreaterThan(1);
  });

  it('rejects shapes that do not broadcast and mismatched matmuls', () => {
    const g = new Graph('bad');
    const a = g.input('a', 'float32', [2, 3]);
    const b = g.input('b', 'float32', [4, 3]);
    expect(() => a.add(b)).toThrow(/do not broadcast/);
    expect(() => a.matmul(b)).toThrow(/inner dimensions differ/);
    const t = g.input('t', 'float32', ['B', 3]);
    const u = g.input('u', 'float32', ['T', 3]);
    expect(() => t.add(u)).toThrow(/do not broadcast/);
  });

  it('gradient of an unused input is zero, and of a non-scalar needs a seed', async () => {
    const g = new Graph('unused');
    const a = g.input('a', 'float32', [3]);
    const b = g.input('b', 'float32', [2]);
    expect(() => g.grad(a.mul(2), [a])).toThrow(/not a scalar/);
    const [, db] = g.grad(a.mul(2).sum(), [a, b]);
    g.output('db', db);
    const rt = createNodeRuntime({ threads: 1 });
    const s = await rt.createSession(toOnnx(g));
    const out = await s.run({
      a: rt.tensor(Float32Array.of(1, 2, 3), [3]),
      b: rt.tensor(Float32Array.of(4, 5), [2]),
    });
    expect(Array.from(out.db.data as Float32Array)).toEqual([0, 0]);
  });

  it('rmsNorm and silu compute LlamaRMSNorm and x sigmoid(x)', async () => {
    const g = new Graph('rms');
    const x = g.input('x', 'float32', [2, 3]);
    const gamma = g.constant([0.5, 2, -1], [3]);
    g.output('y', ops.rmsNorm(x, gamma, 1e-2));
    g.output('s', nn.silu(x));
    const rt = createNodeRuntime({ threads: 1 });
    const s = await rt.createSession(toOnnx(g));
    const xv = Float32Array.of(1, -2, 3, 0.1, 0, -0.2);
    const out = await s.run({ x: rt.tensor(xv, [2, 3]) });
    const y = out.y.data as Float32Array;
    const silu = out.s.data as Float32Array;
    for (let r = 0; r < 2; r++) {
      const row = [0, 1, 2].map((i) => xv[r * 3 + i]);
      const rms = Math.sqrt(row.reduce((a, v) => a + v * v, 0) / 3 + 1e-2);
      row.forEach((v, i) => expect(y[r * 3 + i]).toBeCloseTo((v / rms) * [0.5, 2, -1][i], 6));
    }
    xv.forEach((v, i) => expect(silu[i]).toBeCloseTo(v / (1 + Math.exp(-v)), 6));
  });

  it('computes values, not only gradients, like a direct computation', async () => {
    const g = new Graph('values');
    const x = g.input('x', 'float32', ['B', 3]);
    const w = g.constant([1, -2, 0.5, 3, 0, -1], [3, 2]);
    const y = nn.gelu(x.matmul(w)).softmax(-1);
    g.output('y', y);
    const rt = createNodeRuntime({ threads: 1 });
    const s = await rt.createSession(toOnnx(g));
    const xv = Float32Array.of(0.1, -0.2, 0.3, 1, 2, -1);
    const out = (await s.run({ x: rt.tensor(xv, [2, 3]) })).y.data as Float32Array;
    const erf = (z: number) => {
      // Abramowitz-Stegun 7.1.26 is too coarse; integrate the series instead.
      let sum = 0;
      let term = z;
      for (let n = 0; n < 60; n++) {
        sum += term / (2 * n + 1);
        term *= (-z * z) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    const gelu = (z: number) => 0.5 * z * (1 + erf(z / Math.SQRT2));
    for (let b = 0; b < 2; b++) {
      const h = [0, 1].map((j) =>
        gelu([0, 1, 2].reduce((a, i) => a + xv[b * 3 + i] * [1, -2, 0.5, 3, 0, -1][i * 2 + j], 0)),
      );
      const z = Math.exp(h[0]) + Math.exp(h[1]);
      expect(out[b * 2]).toBeCloseTo(Math.exp(h[0]) / z, 6);
      expect(out[b * 2 + 1]).toBeCloseTo(Math.exp(h[1]) / z, 6);
    }
  });
});
