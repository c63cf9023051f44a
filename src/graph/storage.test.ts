import { describe, expect, it } from 'vitest';
import type { Tensor as OrtTensor } from 'onnxruntime-common';
import * as ort from 'onnxruntime-node';
import { Graph, type Tensor, ops, toOnnx } from '.';
import { createNodeRuntime } from '../runtime/node';
import { decodeHalf, encodeHalf } from '../weights/half';
import { rng } from '../../tests/util/rng';
import type { InputStorage } from './storage';

const runtime = createNodeRuntime({ threads: 1 });

/** A [V, H] table and its float16 bits at scale 2^-10 (values exactly representable). */
function table(V: number, H: number, seed: number) {
  const random = rng(seed);
  const values = Float32Array.from({ length: V * H }, () => random() - 0.5);
  const bits = encodeHalf(values, 2 ** -10);
  return { bits, exact: decodeHalf({ bits, scale: 2 ** -10 }) };
}

/** Runs a graph whose `table` input is stored as `storage`, fed from `bits` (and `exact`). */
async function run(
  build: (g: Graph, t: Tensor) => Tensor,
  V: number,
  H: number,
  storage: InputStorage | undefined,
  data: { bits: Uint16Array; exact: Float32Array },
  feeds: Record<string, OrtTensor>,
): Promise<Float32Array> {
  const g = new Graph('stored');
  const t = g.input('table', 'float32', [V, H], storage);
  g.output('y', build(g, t));
  const session = await runtime.createSession(toOnnx(g));
  const all: Record<string, OrtTensor> = { ...feeds };
  const blocks = storage?.rowBlocks ?? [V];
  let start = 0;
  blocks.forEach((rows, k) => {
    const name = storage?.rowBlocks ? `table.${k}` : 'table';
    const part = [start * H, (start + rows) * H] as const;
    all[name] =
      storage?.dtype === 'float16'
        ? (new ort.Tensor('float16', data.bits.slice(...part), [rows, H]) as unknown as OrtTensor)
        : runtime.tensor(data.exact.slice(...part), [rows, H]);
    start += rows;
  });
  if (storage?.scaled) all['table.scale'] = runtime.tensor(Float32Array.of(2 ** -10), []);
  const out = await session.run(all);
  return (await runtime.read(out.y)) as Float32Array;
}

const V = 11;
const H = 4;
const data = table(V, H, 3);
const ids = runtime.tensor(BigInt64Array.from([0n, 10n, 3n, 4n, 7n, 3n]), [2, 3]);
const x = runtime.tensor(
  Float32Array.from({ length: 2 * H }, (_, i) => i / 3 - 1),
  [2, H],
);
const g2 = runtime.tensor(
  Float32Array.from({ length: 2 * V }, (_, i) => Math.sin(i)),
  [2, V],
);
const storages: [string, InputStorage][] = [
  ['float16, scaled', { dtype: 'float16', scaled: true }],
  ['float16, scaled, 3 row blocks', { dtype: 'float16', scaled: true, rowBlocks: [4, 4, 3] }],
  ['float32, 2 row blocks', { dtype: 'float32', scaled: false, rowBlocks: [10, 1] }],
];

describe('stored graph inputs (16-bit, row blocks) read the same values as float32', () => {
  for (const [label, storage] of storages) {
    it(`gather, matmulT, matmul and an ordinary op: ${label}`, async () => {
      const cases: [(g: Graph, t: Tensor) => Tensor, Record<string, OrtTensor>][] = [
        [(g, t) => t.gather(g.input('ids', 'int64', [2, 3])), { ids }],
        [(g, t) => ops.matmulT(g.input('x', 'float32', [2, H]), t), { x }],
        [(g, t) => g.input('g', 'float32', [2, V]).matmul(t), { g: g2 }],
      ];
      if (!storage.rowBlocks) cases.push([(_, t) => t.mul(t).sum([1]), {}]);
      for (const [k, [build, feeds]] of cases.entries()) {
        const want = await run(build, V, H, undefined, data, feeds);
        const got = await run(build, V, H, storage, data, feeds);
        if (k === 2 && storage.rowBlocks) {
          // g E over blocks sums the blocks' partial products: float32 round-off apart.
          const scale = Math.max(...want.map(Math.abs));
          want.forEach((w, i) => expect(Math.abs(got[i] - w)).toBeLessThan(1e-6 * scale));
        } else {
          // Decoding is exact; gathered rows and side-by-side products are the same sums.
          expect(Array.from(got)).toEqual(Array.from(want));
        }
      }
    });
  }

  it('refuses an op that cannot read row blocks, naming the input', () => {
    const g = new Graph('bad');
    const t = g.input('table', 'float32', [V, H], {
      dtype: 'float32',
      scaled: false,
      rowBlocks: [5, 6],
    });
    g.output('y', t.mul(2));
    expect(() => toOnnx(g)).toThrow(/Mul cannot read input table, which is split into row blocks/);
  });

  it('refuses blocks that do not cover the rows', () => {
    const g = new Graph('bad');
    expect(() =>
      g.input('table', 'float32', [V, H], { dtype: 'float16', scaled: false, rowBlocks: [5, 5] }),
    ).toThrow(/row blocks \[5, 5\] do not split its 11 rows/);
  });
});
