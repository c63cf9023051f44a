import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { tinyLlamaModel, tinyModel } from '../../tests/reference/tiny-model';
import { attribute } from '../attribution/attribute';
import { predict } from '../attribution/predict';
import { encodePrompt } from '../attribution/prompt';
import { createNodeRuntime } from '../runtime/node';
import type { Runtime } from '../runtime/runtime';
import type { Model } from './model';
import { residentSessions } from './resident';
import { buildModelGraphs } from '../arch';

/**
 * A node runtime that counts, over every session run, the bytes of the model's weights fed
 * (global: the embedding tables and head; layer: the blocks'), and the runs.
 */
function countingFeeds(copiesFeeds: boolean) {
  const inner = createNodeRuntime({ threads: 1, copiesFeeds });
  const fed = { global: 0, layer: 0, runs: 0 };
  let model: Model | undefined;
  const bytes = (t: Tensor) => (t.data as ArrayBufferView).byteLength;
  const runtime: Runtime = {
    ...inner,
    createSession: async (bytesOfModel, externalData) => {
      const s = await inner.createSession(bytesOfModel, externalData);
      const run = s.run.bind(s) as (...a: unknown[]) => Promise<InferenceSession.ReturnType>;
      const counted = Object.create(s) as InferenceSession;
      (counted as unknown as { run: typeof run }).run = (...a) => {
        const feeds = Object.values(a[0] as Record<string, Tensor>);
        const global = new Set(Object.values(model!.weights.global));
        const layer = new Set(model!.weights.layers.flatMap((l) => Object.values(l)));
        for (const t of feeds) {
          if (global.has(t)) fed.global += bytes(t);
          if (layer.has(t)) fed.layer += bytes(t);
        }
        fed.runs++;
        return run(...a);
      };
      return counted;
    },
  };
  return { runtime, fed, setModel: (m: Model) => (model = m) };
}

const cases = [
  ['bert', 'The capital of France is [MASK] .', 'Paris'],
  ['gpt2', 'The capital of France is [MASK]', ' Paris'],
] as const;

describe('global weights resident in one session where the runtime copies fed tensors', () => {
  for (const [type, prompt, object] of cases) {
    it(`${type}: a map feeds no global weight, and gives the same scores`, async () => {
      const plain = countingFeeds(false);
      const resident = countingFeeds(true);
      const a = tinyModel(type, { runtime: plain.runtime, overrides: { numLayers: 2 } }).model;
      const b = tinyModel(type, { runtime: resident.runtime, overrides: { numLayers: 2 } }).model;
      plain.setModel(a);
      resident.setModel(b);
      const settings = { steps: 4 };
      const x = await attribute(a, prompt, object, settings);
      const y = await attribute(b, prompt, object, settings);
      // Without: every head run feeds the embedding table. With: none, and the blocks still do.
      expect(plain.fed.global).toBeGreaterThan(0);
      expect(resident.fed.global).toBe(0);
      expect(resident.fed.layer).toBe(plain.fed.layer);
      expect(resident.fed.runs).toBe(plain.fed.runs);
      const scale = Math.max(...Array.from(x.scores, Math.abs));
      expect(scale).toBeGreaterThan(0);
      for (let i = 0; i < x.scores.length; i++)
        expect(Math.abs(y.scores[i] - x.scores[i])).toBeLessThan(1e-5 * scale);
      expect(y.probability).toBeCloseTo(x.probability, 6);
      // Other tap modes share the one session that holds the global weights.
      await b.sessions('pre-activation');
      expect((await b.sessions('pre-activation')).head).toBe((await b.sessions()).head);
      await a.release();
      await b.release();
    });
  }

  it('llama (untied decoder): the same prediction, no global weight fed', async () => {
    const plain = countingFeeds(false);
    const resident = countingFeeds(true);
    const opts = { overrides: { num_hidden_layers: 2, tie_word_embeddings: false } };
    const a = tinyLlamaModel('llama', { ...opts, runtime: plain.runtime }).model;
    const b = tinyLlamaModel('llama', { ...opts, runtime: resident.runtime }).model;
    plain.setModel(a);
    resident.setModel(b);
    const prompt = 'The capital of France is [MASK]';
    const enc = encodePrompt(a.config, a.tokenizer, prompt, ' Paris');
    const [p] = await predict(a, enc, [[]], { topK: 5 });
    const [q] = await predict(b, encodePrompt(b.config, b.tokenizer, prompt, ' Paris'), [[]], {
      topK: 5,
    });
    expect(p.probability).toBeGreaterThan(0);
    expect(q.probability).toBeCloseTo(p.probability, 7);
    expect(resident.fed.global).toBe(0);
    expect(plain.fed.global).toBeGreaterThan(0);
    await a.release();
    await b.release();
  });

  it('falls back to feeding the weights when the holding session cannot be made', async () => {
    const plain = countingFeeds(false);
    const refusing = countingFeeds(true);
    const create = refusing.runtime.createSession;
    let refused = 0;
    refusing.runtime.createSession = (bytes, externalData) => {
      if (externalData?.length) {
        refused++;
        return Promise.reject(new Error("Can't create a session. ERROR_MESSAGE: std::bad_alloc"));
      }
      return create(bytes, externalData);
    };
    const a = tinyModel('bert', { runtime: plain.runtime, overrides: { numLayers: 2 } }).model;
    const b = tinyModel('bert', { runtime: refusing.runtime, overrides: { numLayers: 2 } }).model;
    plain.setModel(a);
    refusing.setModel(b);
    const x = await attribute(a, 'The capital of France is [MASK] .', 'Paris', { steps: 4 });
    const y = await attribute(b, 'The capital of France is [MASK] .', 'Paris', { steps: 4 });
    expect(refused).toBe(1);
    expect(refusing.fed.global).toBe(plain.fed.global);
    expect(Array.from(y.scores)).toEqual(Array.from(x.scores));
    await a.release();
    await b.release();
  });

  it('holds float32 weights only: 16-bit ones stay inputs', async () => {
    const runtime = createNodeRuntime({ threads: 1, copiesFeeds: true });
    const { model } = tinyModel('gpt2', { runtime, overrides: { numLayers: 2 } });
    const all = buildModelGraphs(model.arch, model.config, { storage: model.storage });
    const graphs = { head: all.head! };
    const held = await residentSessions(runtime, graphs, model.weights.global);
    expect(held).toBeDefined();
    await held!.release();
    const half = Object.fromEntries(
      Object.entries(model.weights.global).map(([k, t]) => [
        k,
        runtime.tensor(new Uint16Array(t.dims.reduce((n, d) => n * d, 1)), t.dims),
      ]),
    );
    expect(await residentSessions(runtime, graphs, half)).toBeUndefined();
    await model.release();
  });
});
