import { describe, expect, it } from 'vitest';
import {
  TINY_LLAMA_VARIANTS,
  tinyConfig,
  tinyLlamaConfig,
} from '../../tests/reference/random-model';
import { parseConfig } from '../weights/config';
import type { ModelConfig } from '../weights/types';
import {
  GRAPH_IO,
  type GraphName,
  ROTARY_INPUTS,
  type TapMode,
  architectures,
  buildModelGraphs,
  graphNames,
} from '.';

const TAPS: Record<string, TapMode[]> = {
  bert: ['post-activation', 'pre-activation'],
  gpt2: ['post-activation', 'pre-activation'],
  llama: ['post-activation', 'gate'],
};

describe('model graphs', () => {
  it('have exactly the inputs (besides weights) and outputs GRAPH_IO names, in order', () => {
    const configs: [string, ModelConfig][] = [
      ['bert', tinyConfig('bert')],
      ['gpt2', tinyConfig('gpt2')],
      ...TINY_LLAMA_VARIANTS.map((v): [string, ModelConfig] => [
        v,
        parseConfig(tinyLlamaConfig(v)),
      ]),
    ];
    for (const [modelType, cfg] of configs) {
      const arch = architectures[cfg.family];
      const weights = new Set(
        [...arch.globalWeights(cfg), ...arch.blockWeights(cfg)].map((s) => s.input),
      );
      for (const tapMode of TAPS[cfg.family]) {
        const graphs = buildModelGraphs(arch, cfg, { tapMode });
        expect(Object.keys(graphs).sort()).toEqual(graphNames(arch.causal).sort());
        for (const [name, graph] of Object.entries(graphs)) {
          if (!graph) continue;
          const io = GRAPH_IO[name as GraphName];
          const inputs = graph.inputs.map((t) => t.name).filter((n) => !weights.has(n));
          // Rotary models' block graphs take the rope tables right after the bias.
          const expected: string[] = [...io.inputs];
          const at = expected.indexOf('bias');
          if (arch.rotary && at >= 0) expected.splice(at + 1, 0, ...ROTARY_INPUTS);
          expect(inputs, `${modelType} ${name} inputs`).toEqual(expected);
          expect(
            graph.outputs.map((o) => o.name),
            `${modelType} ${name} outputs`,
          ).toEqual(io.outputs);
        }
      }
    }
  });

  it('refuse a tap the FFN has no place for, naming it', () => {
    const gpt2 = tinyConfig('gpt2');
    expect(() => buildModelGraphs(architectures.gpt2, gpt2, { tapMode: 'gate' })).toThrow(
      'The gate tap is not defined for gpt2 models: it has no gated FFN.',
    );
    const qwen = parseConfig(tinyLlamaConfig('qwen2'));
    expect(() =>
      buildModelGraphs(architectures.llama, qwen, { tapMode: 'pre-activation' }),
    ).toThrow(/pre-activation tap is not defined for qwen2 models: its gated FFN/);
  });
});
