import { describe, expect, it } from 'vitest';
import { Graph, ops, toOnnx } from '.';
import { createNodeRuntime } from '../runtime/node';
import { GRAPH_INDEX, mergeModels, mergedOutputName } from './merge';

const rt = createNodeRuntime({ threads: 1 });
const W = Float32Array.from({ length: 12 }, (_, i) => (i - 5) / 3); // [3, 4]
const B = Float32Array.of(0.5, -1, 2, 0.25); // [4]
const X = Float32Array.of(1, 2, -1, 0.5, 3, -2); // [2, 3]
const G = Float32Array.of(1, -1, 2, 0.5, 0, 1, -2, 3); // [2, 4]

/** Three models over weights w [3, 4] and b [4]: a forward, a backward, one reading w only. */
function models() {
  const fwd = new Graph('fwd');
  const x = fwd.input('x', 'float32', ['N', 3]);
  fwd.output('y', x.matmul(fwd.input('w', 'float32', [3, 4])).add(fwd.input('b', 'float32', [4])));
  const bwd = new Graph('bwd');
  const g = bwd.input('g', 'float32', ['N', 4]);
  const w = bwd.input('w', 'float32', [3, 4]);
  bwd.output('gx', ops.matmulT(g, w));
  bwd.output('gx2', ops.matmulT(g, w).mul(2));
  const sum = new Graph('sum');
  sum.output(
    's',
    sum
      .input('w', 'float32', [3, 4])
      .sum()
      .add(sum.input('x', 'float32', ['N', 3]).sum()),
  );
  return { fwd: toOnnx(fwd), bwd: toOnnx(bwd), sum: toOnnx(sum) };
}

async function runAlone(
  model: Uint8Array,
  feeds: Record<string, Float32Array>,
  dims: Record<string, number[]>,
) {
  const s = await rt.createSession(model);
  const inputs = Object.fromEntries(s.inputNames.map((n) => [n, rt.tensor(feeds[n], dims[n])]));
  const out = await s.run(inputs);
  const result = Object.fromEntries(
    await Promise.all(Object.entries(out).map(async ([k, t]) => [k, await rt.read(t)] as const)),
  );
  await s.release();
  return result;
}

describe('mergeModels', () => {
  const feeds = { x: X, g: G, w: W, b: B };
  const dims = { x: [2, 3], g: [2, 4], w: [3, 4], b: [4] };

  it('runs each model from one session holding the weights, as the model alone computes it', async () => {
    const m = models();
    const merged = mergeModels(m, [
      { name: 'w', dims: [3, 4], data: W },
      { name: 'b', dims: [4], data: B },
    ]);
    // The weights are no longer inputs; inputs two models read are one input.
    expect(merged.inputs).toEqual({
      fwd: [{ name: 'x', elemType: 1 }],
      bwd: [{ name: 'g', elemType: 1 }],
      sum: [{ name: 'x', elemType: 1 }],
    });
    expect(merged.outputs.bwd).toEqual([
      mergedOutputName('bwd', 'gx'),
      mergedOutputName('bwd', 'gx2'),
    ]);
    const session = await rt.createSession(merged.model, merged.externalData);
    expect([...session.inputNames].sort()).toEqual(['g', GRAPH_INDEX, 'x']);
    for (const [k, name] of ['fwd', 'bwd', 'sum'].entries()) {
      const alone = await runAlone(m[name as keyof typeof m], feeds, dims);
      const own = new Set(merged.inputs[name].map((i) => i.name));
      const inputs = Object.fromEntries(
        ['x', 'g'].map((n) => [
          n,
          own.has(n)
            ? rt.tensor(feeds[n as 'x' | 'g'], dims[n as 'x' | 'g'])
            : rt.tensor(new Float32Array(0), [0]),
        ]),
      );
      const out = await session.run({
        ...inputs,
        [GRAPH_INDEX]: rt.tensor(BigInt64Array.of(BigInt(k)), []),
      });
      for (const [o, values] of Object.entries(alone)) {
        const got = await rt.read(out[mergedOutputName(name, o)]);
        expect(Array.from(got as Float32Array)).toEqual(Array.from(values as Float32Array));
      }
      // The other models' outputs are left empty.
      for (const other of Object.keys(m).filter((n) => n !== name))
        for (const o of merged.outputs[other]) expect(out[o].dims).toEqual([0]);
    }
    await session.release();
  });

  it('runs one model alone (no If), holding its weights', async () => {
    const { fwd } = models();
    const merged = mergeModels({ fwd }, [
      { name: 'w', dims: [3, 4], data: W },
      { name: 'b', dims: [4], data: B },
    ]);
    const session = await rt.createSession(merged.model, merged.externalData);
    expect([...session.inputNames].sort()).toEqual([GRAPH_INDEX, 'x']);
    const out = await session.run({
      x: rt.tensor(X, [2, 3]),
      [GRAPH_INDEX]: rt.tensor(BigInt64Array.of(0n), []),
    });
    const { y } = await runAlone(fwd, feeds, dims);
    const got = await rt.read(out[mergedOutputName('fwd', 'y')]);
    expect(Array.from(got as Float32Array)).toEqual(Array.from(y as Float32Array));
    await session.release();
  });

  it('refuses models that read one input name with different types', () => {
    const a = new Graph('a');
    a.output('y', a.input('x', 'float32', [2]).add(1));
    const b = new Graph('b');
    b.output('y', b.input('x', 'int64', [2]));
    expect(() => mergeModels({ a: toOnnx(a), b: toOnnx(b) }, [])).toThrow(
      /input x has different types/,
    );
  });
});
