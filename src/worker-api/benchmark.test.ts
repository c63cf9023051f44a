import { describe, expect, it } from 'vitest';
import { tinyModel } from '../../tests/reference/tiny-model';
import { planRun } from '../attribution/schedule';
import type { Benchmark } from './api';
import { benchmarkModel, callSeconds, estimatePrompt, fitCost, forwardSeconds } from './benchmark';

const bench = (over: Partial<Benchmark> = {}): Benchmark => ({
  backend: 'node',
  forward: { call: 0, unit: 0 },
  backward: { call: 0, unit: 0 },
  head: { call: 0, unit: 0 },
  rows: 32,
  tokens: 16,
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
    it(`prices every planned call by its fixed cost and its work (${family})`, () => {
      const { config } = tinyModel(family);
      const prompt = { tokens: 9, slots: [causal ? 8 : 4] };
      const settings = { steps: 5 };
      for (const schedule of ['staggered', 'per-layer'] as const) {
        const plan = planRun(config, causal, [prompt], settings, { schedule });
        const c = plan.counts[0];
        const headRows = plan.calls
          .filter((x) => x.graph === 'head' || x.graph === 'headVjp')
          .reduce((n, x) => n + x.rows, 0);
        const b = bench({
          forward: { call: 3, unit: 5 },
          backward: { call: 7, unit: 11 },
          head: { call: 13, unit: 17 },
        });
        const kinds = (graphs: string[]) => plan.calls.filter((x) => graphs.includes(x.graph));
        const tokensOf = (graphs: string[]) => kinds(graphs).reduce((n, x) => n + x.tokens, 0);
        // A path block's VJP recalls its forward's products: the probe's VJP less a forward.
        const recalled = tokensOf(['pathBlockVjp', 'pathBlockLastVjp']);
        expect(recalled + tokensOf(['spawnVjp', 'blockVjp'])).toBe(c.backwardTokens);
        // A masked LM's last block also computes keys and values at the other positions.
        const keyValues = (graph: string) =>
          kinds([graph]).reduce((n, x) => n + (x.keyValueTokens ?? 0), 0);
        const trimmed = keyValues('pathBlockLast');
        expect(keyValues('pathBlockLastVjp')).toBe(trimmed);
        if (!causal && schedule === 'staggered') expect(trimmed).toBeGreaterThan(0);
        else expect(trimmed).toBe(0);
        const forwardCalls = kinds([
          'embed',
          'setup',
          'spawn',
          'pathBlock',
          'pathBlockLast',
          'block',
        ]).length;
        const backwardCalls = kinds([
          'spawnVjp',
          'pathBlockVjp',
          'pathBlockLastVjp',
          'blockVjp',
        ]).length;
        const headCalls = kinds(['head', 'headVjp']).length;
        expect(forwardCalls + backwardCalls + headCalls).toBe(plan.calls.length);
        // The plan's token-block counts are what the calls carry.
        const expected =
          3 * forwardCalls +
          5 * (c.forwardTokens + trimmed) +
          7 * backwardCalls +
          11 * (c.backwardTokens - recalled) +
          (11 - 5) * (recalled + trimmed) +
          13 * headCalls +
          17 * headRows;
        const est = estimatePrompt(b, config, causal, prompt, settings, { schedule });
        expect(est.counts).toEqual(c);
        expect(est.seconds).toBe(expected);
        expect(plan.calls.reduce((t, x) => t + callSeconds(b, x), 0)).toBe(expected);
      }
    });

  it('a recalling VJP costs at least a forward', () => {
    const b = bench({ forward: { call: 0, unit: 4 }, backward: { call: 1, unit: 6 } });
    expect(callSeconds(b, { graph: 'pathBlockVjp', rows: 1, tokens: 10 })).toBe(1 + 10 * 4);
    expect(callSeconds(b, { graph: 'blockVjp', rows: 1, tokens: 10 })).toBe(1 + 10 * 6);
  });

  it('prices batched forward passes: L + 1 calls, L x rows x tokens positions, rows head rows', () => {
    const b = bench({ forward: { call: 2, unit: 3 }, head: { call: 5, unit: 7 } });
    expect(forwardSeconds(b, 4, 6, 10)).toBe(2 * 5 + 3 * 4 * 6 * 10 + 5 + 7 * 6);
  });

  it('times each graph at one row and at 32 rows, in seconds', async () => {
    const { model } = tinyModel('gpt2');
    // A clock that advances 1 ms at each reading: every timed step takes 1 ms at both sizes,
    // so all of it is the call's fixed cost.
    let t = 0;
    const b = await benchmarkModel(model, () => (t += 1));
    expect(b).toEqual({
      backend: 'node',
      forward: { call: 0.001, unit: 0 },
      backward: { call: 0.001, unit: 0 },
      head: { call: 0.001, unit: 0 },
      rows: 32,
      tokens: 16,
    });
  });
});
