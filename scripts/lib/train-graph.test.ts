import { describe, expect, it } from 'vitest';
import { architectures, ropeTables } from '../../src/arch';
import { toOnnx } from '../../src/graph';
import { checkpointTensors } from '../../src/arch/weights';
import { createNodeRuntime } from '../../src/runtime/node';
import { parseConfig } from '../../src/weights/config';
import type { HostTensor, ModelConfig } from '../../src/weights/types';
import { llamaForward, referenceForward } from '../../tests/reference';
import { tinyConfig, tinyLlamaConfig } from '../../tests/reference/random-model';
import { trainingGraph } from './train-graph';
import { mulberry32 } from '../../src/util/random';
import { initialWeights } from './trainer';

const runtime = createNodeRuntime({ threads: 1 });

/**
 * The training graph's weight gradients against central finite differences of the loss
 * computed by the independent float64 reference forward pass, with the weights written back
 * to Hugging Face layout by checkpointTensors (so its layout inversion is checked too).
 */
type Forward = (hf: Map<string, HostTensor>, ids: number[]) => Float64Array;

const small = { vocab_size: 11, hidden_size: 8, intermediate_size: 12 };
const cases: [string, ModelConfig, Forward][] = [
  ...(['bert', 'gpt2'] as const).map((type): [string, ModelConfig, Forward] => {
    const cfg = tinyConfig(type, { vocabSize: 11, hiddenSize: 8, intermediateSize: 12 });
    return [type, cfg, (hf, ids) => referenceForward(cfg, hf, ids).logits];
  }),
  // GQA with q/k norm and a tied head; q/k/v biases; untied head with llama3 RoPE.
  ...(['qwen3', 'qwen2', 'llama3'] as const).map((variant): [string, ModelConfig, Forward] => {
    const json = tinyLlamaConfig(variant, { ...small, tie_word_embeddings: variant !== 'llama3' });
    return [variant, parseConfig(json), (hf, ids) => llamaForward(json, hf, ids).logits];
  }),
];

describe('training graph gradients match finite differences of the reference loss', () => {
  for (const [name, cfg, forward] of cases) {
    it(name, async () => {
      const arch = architectures[cfg.family];
      const B = 2;
      const T = 4;
      const V = cfg.vocabSize;
      const { graph, weights } = trainingGraph(arch, cfg, B, T);
      const params = initialWeights(weights, 3);
      // Larger than HF's 0.02 so every weight visibly moves the loss.
      const rand = mulberry32(5);
      for (const v of params.values())
        for (let i = 0; i < v.length; i++) v[i] += 0.4 * (rand() - 0.5);

      const ids = [
        [1, 5, 7, 2],
        [3, 4, 9, 6],
      ];
      const targets = [
        { b: 0, t: 1, id: 8, w: 0.7 },
        { b: 1, t: 2, id: 10, w: 0.3 },
      ];
      const bias = new Float32Array(B * T * T);
      if (arch.causal)
        for (let b = 0; b < B; b++)
          for (let p = 0; p < T; p++)
            for (let k = p + 1; k < T; k++) bias[(b * T + p) * T + k] = -1e9;
      const session = await runtime.createSession(toOnnx(graph));
      const feeds: Record<string, ReturnType<typeof runtime.tensor>> = {
        ids: runtime.tensor(BigInt64Array.from(ids.flat().map(BigInt)), [B, T]),
        positions: runtime.tensor(
          BigInt64Array.from(ids.flatMap((r) => r.map((_, p) => BigInt(p + cfg.positionOffset)))),
          [B, T],
        ),
        bias: runtime.tensor(bias, [B, 1, T, T]),
        targets: runtime.tensor(
          BigInt64Array.from(targets.map((x) => BigInt(x.b * T * V + x.t * V + x.id))),
          [2],
        ),
        target_weights: runtime.tensor(Float32Array.from(targets.map((x) => x.w)), [2]),
      };
      if (arch.rotary) {
        const { cos, sin } = ropeTables(cfg, [0, 1, 2, 3]);
        feeds.rope_cos = runtime.tensor(cos, [T, cos.length / T]);
        feeds.rope_sin = runtime.tensor(sin, [T, sin.length / T]);
      }
      for (const w of weights)
        feeds[w.input] = runtime.tensor(params.get(w.input)!, w.spec.shape as number[]);
      const out = await session.run(feeds);

      const referenceLoss = (p: Map<string, Float32Array>) => {
        const hf = checkpointTensors(arch, cfg, (input, layer) =>
          p.get(layer === null ? input : `l${layer}.${input}`)!,
        );
        let loss = 0;
        for (const x of targets) {
          const logits = forward(hf, ids[x.b]).subarray(x.t * V, (x.t + 1) * V);
          const max = Math.max(...logits);
          const lse = Math.log(logits.reduce((s, l) => s + Math.exp(l - max), 0)) + max;
          loss -= x.w * (logits[x.id] - lse);
        }
        return loss;
      };
      expect((out.loss.data as Float32Array)[0]).toBeCloseTo(referenceLoss(params), 4);

      let checked = 0;
      for (const w of weights) {
        if (w.spec.input === 'pos_emb') continue; // rows past T are unused
        const g = out[`grad:${w.input}`].data as Float32Array;
        const v = params.get(w.input)!;
        for (const i of [0, Math.floor(v.length / 2), v.length - 1]) {
          const h = 1e-3;
          const at = (d: number) => {
            const copy = new Map(params);
            const moved = Float32Array.from(v);
            moved[i] += d;
            copy.set(w.input, moved);
            return referenceLoss(copy);
          };
          const fd = (at(h) - at(-h)) / (2 * h);
          expect(Math.abs(fd - g[i]), `${w.input}[${i}]`).toBeLessThan(2e-3 + 2e-2 * Math.abs(fd));
          checked++;
        }
      }
      expect(checked).toBeGreaterThan(40);
      await session.release();
    });
  }
});
