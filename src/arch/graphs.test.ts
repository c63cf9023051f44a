import { describe, expect, it } from 'vitest';
import { tinyConfig } from '../../tests/reference/random-model';
import { GRAPH_IO, type GraphName, architectures, buildModelGraphs, graphNames } from '.';

describe('model graphs', () => {
  it('have exactly the inputs (besides weights) and outputs GRAPH_IO names, in order', () => {
    for (const modelType of ['bert', 'gpt2'] as const) {
      const cfg = tinyConfig(modelType);
      const arch = architectures[cfg.family];
      const weights = new Set(
        [...arch.globalWeights(cfg), ...arch.blockWeights(cfg)].map((s) => s.input),
      );
      for (const preActivationTap of [false, true]) {
        const graphs = buildModelGraphs(arch, cfg, { preActivationTap });
        expect(Object.keys(graphs).sort()).toEqual(graphNames(arch.causal).sort());
        for (const [name, graph] of Object.entries(graphs)) {
          const io = GRAPH_IO[name as GraphName];
          const inputs = graph.inputs.map((t) => t.name).filter((n) => !weights.has(n));
          expect(inputs, `${modelType} ${name} inputs`).toEqual(io.inputs);
          expect(
            graph.outputs.map((o) => o.name),
            `${modelType} ${name} outputs`,
          ).toEqual(io.outputs);
        }
      }
    }
  });
});
