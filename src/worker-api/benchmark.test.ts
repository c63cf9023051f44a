import { describe, expect, it, vi } from 'vitest';
import { tinyLlamaModel, tinyModel } from '../../tests/reference/tiny-model';
import { planRun } from '../attribution/schedule';
import { Executor } from '../model';
import type { Benchmark } from './api';
import {
  benchmarkModel,
  callSeconds,
  estimatePrompt,
  fitCost,
  forwardSeconds,
  probeBlockRows,
  probePathRows,
} from './benchmark';

const bench = (over: Partial<Benchmark> = {}): Benchmark => ({
  backend: 'node',
  forward: { call: 0, unit: 0 },
  backward: { call: 0, unit: 0 },
  head: { call: 0, unit: 0 },
  path: { call: 0, unit: 0 },
  pathBackward: { call: 0, unit: 0 },
  rows: 20,
  headRows: 32,
  tokens: 16,
  pathRows: 256,
  ...over,
});

describe('the device probe and the estimates it prices', () => {
  it('fits a fixed cost per call and a cost per unit through two timings', () => {
    // 2 ms per call and 0.5 ms per unit: 16 units take 10 ms, 512 take 258 ms.
    const cost = fitCost({ units: 16, seconds: 0.01 }, { units: 512, seconds: 0.258 });
    expect(cost.call).toBeCloseTo(0.002, 12);
    expect(cost.unit).toBeCloseTo(0.0005, 12);
    // Noise that makes the larger size faster: all of it is the call's cost.
    expect(fitCost({ units: 16, seconds: 0.01 }, { units: 512, seconds: 0.008 })).toEqual({
      call: 0.01,
      unit: 0,
    });
    // A line through below the origin: all of it is the units' cost.
    expect(fitCost({ units: 16, seconds: 0.001 }, { units: 512, seconds: 0.512 })).toEqual({
      call: 0,
      unit: 0.001,
    });
  });

  for (const [family, causal] of [
    ['gpt2', true],
    ['bert', false],
  ] as const)
    it(`prices every planned call by its graph's fixed cost and work (${family})`, () => {
      const { config } = tinyModel(family);
      const prompt = { tokens: 9, slots: [causal ? 8 : 4] };
      const settings = { steps: 5 };
      for (const schedule of ['staggered', 'per-layer'] as const) {
        const plan = planRun(config, causal, [prompt], settings, { schedule });
        const c = plan.counts[0];
        const b = bench({
          forward: { call: 3, unit: 5 },
          backward: { call: 7, unit: 11 },
          head: { call: 13, unit: 17 },
          path: { call: 19, unit: 23 },
          pathBackward: { call: 29, unit: 31 },
        });
        const kinds = (graphs: string[]) => plan.calls.filter((x) => graphs.includes(x.graph));
        const tokensOf = (graphs: string[]) => kinds(graphs).reduce((n, x) => n + x.tokens, 0);
        // A masked LM's last block also computes keys and values at the other positions.
        const keyValues = (graph: string) =>
          kinds([graph]).reduce((n, x) => n + (x.keyValueTokens ?? 0), 0);
        const trimmed = keyValues('pathBlockLast');
        expect(keyValues('pathBlockLastVjp')).toBe(trimmed);
        if (!causal && schedule === 'staggered') expect(trimmed).toBeGreaterThan(0);
        else expect(trimmed).toBe(0);
        const blockForward = ['setup', 'spawn', 'block'];
        const blockBackward = ['spawnVjp', 'blockVjp'];
        const pathForward = ['pathBlock', 'pathBlockLast'];
        const pathBackward = ['pathBlockVjp', 'pathBlockLastVjp'];
        const heads = ['head', 'headVjp'];
        // The plan's token-block counts are what the calls carry.
        expect(tokensOf([...blockForward, ...pathForward])).toBe(c.forwardTokens);
        expect(tokensOf([...blockBackward, ...pathBackward])).toBe(c.backwardTokens);
        const calls = (graphs: string[]) => kinds(graphs).length;
        expect(
          calls(['embed', ...blockForward, ...blockBackward, ...pathForward, ...pathBackward]) +
            calls(heads),
        ).toBe(plan.calls.length);
        if (schedule === 'staggered') expect(calls(pathForward)).toBeGreaterThan(0);
        const headRows = kinds(heads).reduce((n, x) => n + x.rows, 0);
        // Each call: its graph's fixed cost, and its work at its graph's price (embed: none).
        const expected =
          3 * calls(['embed', ...blockForward]) +
          5 * tokensOf(blockForward) +
          7 * calls(blockBackward) +
          11 * tokensOf(blockBackward) +
          19 * calls(pathForward) +
          23 * (tokensOf(pathForward) + trimmed) +
          29 * calls(pathBackward) +
          31 * (tokensOf(pathBackward) + trimmed) +
          13 * calls(heads) +
          17 * headRows;
        const est = estimatePrompt(b, config, causal, prompt, settings, { schedule });
        expect(est.counts).toEqual(c);
        expect(est.seconds).toBe(expected);
        expect(plan.calls.reduce((t, x) => t + callSeconds(b, x), 0)).toBe(expected);
      }
    });

  it("probes path blocks at half a full pass's rows", () => {
    const gpt2Small = {
      numLayers: 12,
      hiddenSize: 768,
      intermediateSize: 3072,
      vocabSize: 50257,
      numHeads: 12,
    };
    // A pass of GPT-2 small holds 107 one-position rows by default (the memory budget).
    expect(probePathRows(gpt2Small, true, 16)).toBe(53);
    // A masked LM's rows of 16 positions take 16 times the memory: fewer rows fit a pass.
    expect(probePathRows(gpt2Small, false, 16)).toBeLessThan(53);
  });

  it("probes blocks at the rows of the per-layer schedule's passes", () => {
    const gpt2Small = {
      numLayers: 12,
      hiddenSize: 768,
      intermediateSize: 3072,
      vocabSize: 50257,
      numHeads: 12,
    };
    const mbertBase = { ...gpt2Small, vocabSize: 119547 };
    // The per-layer schedule runs the m = 20 path points through the blocks together, as many as
    // the memory budget fits (19 rows of 16 positions for GPT-2 small): the probe's large size.
    for (const [shape, rows] of [
      [gpt2Small, 19],
      [mbertBase, 20],
    ] as const)
      for (const causal of [true, false]) {
        const plan = planRun(
          shape,
          causal,
          [{ tokens: 16, slots: [15] }],
          {},
          {
            schedule: 'per-layer',
          },
        );
        const vjpRows = plan.calls.filter((c) => c.graph === 'blockVjp').map((c) => c.rows);
        expect(new Set(vjpRows)).toEqual(new Set([rows, 20 - rows].filter((r) => r > 0)));
        expect(probeBlockRows(shape, 16)).toBe(rows);
      }
  });

  it('times every block in turn, as a run calls them', async () => {
    const { model } = tinyModel('gpt2');
    const graphs = ['block', 'blockVjp', 'pathBlock', 'pathBlockVjp'] as const;
    const layers = Object.fromEntries(graphs.map((g) => [g, [] as number[]]));
    const spies = graphs.map((g) => {
      const original = Executor.prototype[g] as (layer: number, ...rest: unknown[]) => unknown;
      return vi.spyOn(Executor.prototype, g).mockImplementation(function (
        this: Executor,
        layer: number,
        ...rest: unknown[]
      ) {
        layers[g].push(layer);
        return original.call(this, layer, ...rest);
      } as never);
    });
    try {
      await benchmarkModel(model);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    // Old pricing ran block 0 alone, whose weights stay in the cache from call to call.
    expect(model.numLayers).toBeGreaterThan(1);
    for (const g of graphs)
      expect(new Set(layers[g]), g).toEqual(
        new Set(Array.from({ length: model.numLayers }, (_, l) => l)),
      );
  });

  it('runs every block once before the first timing (first runs fault the weights in)', async () => {
    // More blocks than the first graph's warm-up calls reach.
    const { model } = tinyModel('gpt2', { overrides: { numLayers: 6 } });
    const before: number[] = [];
    let timing = false;
    const original = Executor.prototype.block as (layer: number, ...rest: unknown[]) => unknown;
    const spy = vi.spyOn(Executor.prototype, 'block').mockImplementation(function (
      this: Executor,
      layer: number,
      ...rest: unknown[]
    ) {
      if (!timing) before.push(layer);
      return original.call(this, layer, ...rest);
    } as never);
    try {
      await benchmarkModel(model, () => {
        timing = true;
        return performance.now();
      });
    } finally {
      spy.mockRestore();
    }
    expect(new Set(before)).toEqual(new Set(Array.from({ length: model.numLayers }, (_, l) => l)));
  });

  it('prices batched forward passes: L + 1 calls, L x rows x tokens positions, rows head rows', () => {
    const b = bench({ forward: { call: 2, unit: 3 }, head: { call: 5, unit: 7 } });
    expect(forwardSeconds(b, 4, 6, 10)).toBe(2 * 5 + 3 * 4 * 6 * 10 + 5 + 7 * 6);
  });

  it("times each graph at one row and at a typical call's rows, in seconds", async () => {
    const models = [
      tinyModel('gpt2').model,
      tinyModel('bert').model,
      tinyLlamaModel('qwen3', { overrides: { num_hidden_layers: 2 } }).model,
    ];
    for (const model of models) {
      // A clock that advances 1 ms at each reading: every timed step takes 1 ms at both sizes,
      // so all of it is the call's fixed cost.
      let t = 0;
      const b = await benchmarkModel(model, () => (t += 1));
      expect(b).toEqual({
        backend: 'node',
        forward: { call: 0.001, unit: 0 },
        backward: { call: 0.001, unit: 0 },
        head: { call: 0.001, unit: 0 },
        path: { call: 0.001, unit: 0 },
        pathBackward: { call: 0.001, unit: 0 },
        rows: probeBlockRows(model.config, 16),
        headRows: 32,
        tokens: 16,
        pathRows: probePathRows(model.config, model.arch.causal, 16),
      });
    }
  });
});
