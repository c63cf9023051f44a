import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AttributionResult, attribute } from '../../src/attribution/attribute';
import { type Model, WeightCollector, loadModel } from '../../src/model';
import { predict, suppress } from '../../src/attribution/predict';
import { type EncodedPrompt, encodePrompt } from '../../src/attribution/prompt';
import { createNodeRuntime } from '../../src/runtime/node';
import { MemorySource } from '../../src/weights/memory-source';
import { NodeFolderSource } from '../../src/weights/node-source';
import type { HostTensor } from '../../src/weights/types';
import { type FfnEdit, probabilities, referenceForward, tapEdit } from '../reference';
import {
  LANGUAGES,
  type Language,
  type NeuronRef,
  type PlantedFactTruth,
  PlantedSpecError,
  type PlantedUnitTruth,
  DEFAULT_FACTS,
  plantedModel,
  writePlantedModel,
} from './planted';

const runtime = createNodeRuntime({ threads: 1 });

/** AMIG's selection rule: score strictly above tau x the map's maximum. */
function selected(r: AttributionResult, tau: number): string[] {
  const max = Math.max(...r.scores);
  return [...r.scores.keys()]
    .filter((i) => r.scores[i] > tau * max)
    .map((i) => key({ layer: Math.floor(i / r.units), unit: i % r.units }));
}

const key = (n: NeuronRef) => `${n.layer}:${n.unit}`;
const keys = (ns: NeuronRef[]) => ns.map(key).sort();

/** Zeroes the listed units' activations at the object's slots, in the reference model. */
function suppressAt(neurons: NeuronRef[], slots: number[]): FfnEdit {
  return (layer, position, value) => {
    const here = neurons.filter((n) => n.layer === layer);
    if (!here.length || !slots.includes(position)) return undefined;
    const out = Float64Array.from(value);
    for (const n of here) out[n.unit] = 0;
    return out;
  };
}

for (const family of ['gpt2', 'bert'] as const) {
  describe(`planted ${family} model`, () => {
    const planted = plantedModel({ family });
    const { truth, tensors, config } = planted;
    let model: Model;
    const attributions = new Map<string, AttributionResult>();

    beforeAll(async () => {
      // The real loading path: an HF folder read through a ModelSource.
      model = await loadModel(new MemorySource(`planted-${family}`, planted.files), runtime);
      for (const fact of truth.facts)
        for (const lang of LANGUAGES) {
          const p = fact.prompts[lang];
          attributions.set(`${fact.id}/${lang}`, await attribute(model, p.prompt, p.object));
        }
    });
    afterAll(() => model.release());

    const encoded = (fact: PlantedFactTruth, lang: Language) =>
      encodePrompt(config, model.tokenizer, fact.prompts[lang].prompt, fact.prompts[lang].object);

    /** P(object) by the reference forward pass, optionally with units suppressed or weights edited. */
    const referenceP = (
      enc: EncodedPrompt,
      neurons: NeuronRef[] = [],
      weights: Map<string, HostTensor> = tensors,
    ) => {
      const slots = enc.slots.map((s) => s.position);
      const logits = referenceForward(config, weights, enc.ids, {
        edit: suppressAt(neurons, slots),
      }).logits;
      return enc.slots.reduce(
        (p, s) => p * probabilities(logits, config.vocabSize, s.position)[s.tokenId],
        1,
      );
    };

    it('predicts every object at top-1 in both languages, as the reference model does', async () => {
      for (const fact of truth.facts)
        for (const lang of LANGUAGES) {
          const enc = encoded(fact, lang);
          expect(enc.slots.map((s) => s.token)).toEqual(fact.prompts[lang].objectTokens);
          const [pred] = await predict(model, enc, [[]], { topK: 2 });
          for (const slot of pred.slots) expect(slot.top[0].id).toBe(slot.tokenId);
          expect(pred.probability).toBeGreaterThan(0.98);
          const logits = referenceForward(config, tensors, enc.ids).logits;
          for (const slot of enc.slots) {
            const p = probabilities(logits, config.vocabSize, slot.position);
            expect(p.indexOf(Math.max(...p))).toBe(slot.tokenId);
          }
          expect(pred.probability).toBeCloseTo(referenceP(enc), 5);
        }
    });

    it("AMIG's knowledge neurons (score > 0.3 x max) are exactly the prompt's planted units", () => {
      for (const fact of truth.facts)
        for (const lang of LANGUAGES) {
          const r = attributions.get(`${fact.id}/${lang}`)!;
          const want = keys(fact.prompts[lang].knowledgeNeurons);
          expect(selected(r, 0.3).sort(), `${fact.id} ${lang}`).toEqual(want);
          // Wide margins: every planted unit scores near the maximum, nothing else near 0.3.
          const max = Math.max(...r.scores);
          const planted = new Set(want);
          r.scores.forEach((s, i) => {
            const n = key({ layer: Math.floor(i / r.units), unit: i % r.units });
            if (planted.has(n)) expect(s / max).toBeGreaterThan(0.8);
            else expect(Math.abs(s) / max).toBeLessThan(1e-3);
          });
        }
    });

    it('language-independent neurons (the intersection over languages) are the shared units', () => {
      for (const fact of truth.facts) {
        // The paper's thresholds: 0.3 for English, 0.2 for Chinese.
        const en = new Set(selected(attributions.get(`${fact.id}/en`)!, 0.3));
        const zh = selected(attributions.get(`${fact.id}/zh`)!, 0.2);
        expect(zh.filter((n) => en.has(n)).sort(), fact.id).toEqual(keys(fact.shared));
      }
    });

    it('suppression: one degenerate copy keeps the answer, the whole group or a needed unit loses it, irrelevant units change nothing', async () => {
      const irrelevant = truth.irrelevant;
      for (const fact of truth.facts)
        for (const lang of LANGUAGES) {
          const enc = encoded(fact, lang);
          const active = fact.units.filter((u) =>
            fact.prompts[lang].knowledgeNeurons.some((n) => key(n) === key(u)),
          );
          const groups = fact.degenerateGroups.filter((g) =>
            g.every((n) => active.some((u) => key(u) === key(n))),
          );
          const others = truth.facts.filter((f) => f !== fact).flatMap((f) => f.units);
          const variants: NeuronRef[][] = [
            [],
            ...active.map((u) => [u]),
            ...groups,
            irrelevant,
            others,
          ];
          const engine = (await predict(model, enc, variants.map(suppress))).map(
            (p) => p.probability,
          );
          const reference = variants.map((v) => referenceP(enc, v));
          for (const ps of [engine, reference]) {
            const [p0, ...rest] = ps;
            const single = rest.slice(0, active.length);
            const whole = rest.slice(active.length, active.length + groups.length);
            const [noIrrelevant, noOthers] = rest.slice(active.length + groups.length);
            active.forEach((u: PlantedUnitTruth, i) => {
              if (u.group === null)
                expect(single[i], `${fact.id} ${lang} ${key(u)}`).toBeLessThan(0.1 * p0);
              else
                expect(single[i], `${fact.id} ${lang} ${key(u)}`).toBeGreaterThanOrEqual(0.85 * p0);
            });
            for (const p of whole) expect(p, `${fact.id} ${lang} group`).toBeLessThan(0.1 * p0);
            expect(Math.abs(noIrrelevant - p0)).toBeLessThan(1e-4 * p0);
            expect(Math.abs(noOthers - p0)).toBeLessThan(1e-4 * p0);
          }
          engine.forEach((p, i) => expect(p).toBeCloseTo(reference[i], 5));
        }
    });

    it("erasing a unit's value vector (row of the FFN output projection) equals suppressing it", async () => {
      const erased = (n: NeuronRef): [string, HostTensor] => {
        // HF layouts: BERT's Linear stores [out = H, in = F], GPT-2's Conv1D [in = F, out = H].
        const name =
          family === 'bert'
            ? `bert.encoder.layer.${n.layer}.output.dense.weight`
            : `transformer.h.${n.layer}.mlp.c_proj.weight`;
        const t = tensors.get(name)!;
        const data = t.data.slice();
        const [rows, cols] = t.dims;
        if (family === 'bert') for (let r = 0; r < rows; r++) data[r * cols + n.unit] = 0;
        else data.fill(0, n.unit * cols, (n.unit + 1) * cols);
        return [name, { dims: t.dims, data }];
      };
      const units = [...truth.facts.flatMap((f) => f.units), ...truth.irrelevant];
      for (const fact of truth.facts)
        for (const lang of LANGUAGES) {
          const enc = encoded(fact, lang);
          const suppressed = (
            await predict(
              model,
              enc,
              units.map((u) => suppress([u])),
            )
          ).map((p) => p.probability);
          for (const [i, unit] of units.entries()) {
            const [name, tensor] = erased(unit);
            const withEdit = await swapped(model, name, tensor, unit.layer, () =>
              predict(model, enc),
            );
            expect(withEdit[0].probability).toBeCloseTo(suppressed[i], 6);
            const ref = referenceP(enc, [], new Map(tensors).set(name, tensor));
            expect(ref).toBeCloseTo(referenceP(enc, [unit]), 10);
          }
        }
    });

    it('the reference model, by finite differences, selects the same knowledge neurons', () => {
      const fact = truth.facts[0];
      const enc = encoded(fact, 'en');
      const scores = referenceAmig(config, tensors, enc);
      const max = Math.max(...scores);
      const picked = [...scores.keys()]
        .filter((i) => scores[i] > 0.3 * max)
        .map((i) =>
          key({
            layer: Math.floor(i / config.intermediateSize),
            unit: i % config.intermediateSize,
          }),
        );
      expect(picked.sort()).toEqual(keys(fact.prompts.en.knowledgeNeurons));
      const engine = attributions.get(`${fact.id}/en`)!.scores;
      scores.forEach((s, i) => expect(engine[i] / max).toBeCloseTo(s / max, 3));
    });

    it('emits its ground truth beside the weights, consistent with itself', () => {
      expect(JSON.parse(planted.files['planted-truth.json'] as string)).toEqual(truth);
      const all = [...truth.facts.flatMap((f) => f.units), ...truth.irrelevant].map(key);
      expect(new Set(all).size).toBe(all.length);
      for (const fact of truth.facts) {
        const [en, zh] = LANGUAGES.map((l) => new Set(keys(fact.prompts[l].knowledgeNeurons)));
        expect(keys(fact.shared)).toEqual([...en].filter((n) => zh.has(n)).sort());
        for (const g of fact.degenerateGroups) expect(g.length).toBeGreaterThanOrEqual(2);
      }
      // Units spread over every layer, for layer-distribution analyses.
      expect(new Set(truth.facts.flatMap((f) => f.units.map((u) => u.layer))).size).toBe(
        truth.layers,
      );
    });

    it('is deterministic: two builds are byte-identical', () => {
      const again = plantedModel({ family });
      expect(Object.keys(again.files)).toEqual(Object.keys(planted.files));
      const bytes = (c: Uint8Array | string) => Buffer.from(c);
      for (const [name, content] of Object.entries(planted.files))
        expect(bytes(again.files[name]).equals(bytes(content)), name).toBe(true);
    });
  });
}

describe('planted models', () => {
  it('writes a model folder that loads from disk', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'planted-'));
    try {
      const { truth } = writePlantedModel(dir, { family: 'bert' });
      const model = await loadModel(new NodeFolderSource(dir), runtime);
      const p = truth.facts[1].prompts.zh;
      const enc = encodePrompt(model.config, model.tokenizer, p.prompt, p.object);
      const [pred] = await predict(model, enc);
      expect(pred.slots[0].top[0].token).toBe(p.objectTokens[0]);
      await model.release();
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('rejects specs the construction cannot guarantee, saying why', () => {
    const [france, snow] = DEFAULT_FACTS;
    const mixed = {
      ...snow,
      units: [...snow.units, { layer: 1, unit: 0, role: 'shared' as const }],
    };
    expect(() => plantedModel({ facts: [mixed] })).toThrow(
      /mix needed units and degenerate groups/,
    );
    expect(() => plantedModel({ facts: [france], irrelevant: [{ layer: 1, unit: 3 }] })).toThrow(
      /already used/,
    );
    expect(() => plantedModel({ facts: [france], layers: 2 })).toThrow(/outside 2 x 16/);
    const uneven = {
      ...france,
      units: [...france.units, { layer: 2, unit: 0, role: 'en-only' as const }],
    };
    expect(() => plantedModel({ facts: [uneven] })).toThrow(/spread evenly/);
    const lonely = { ...snow, units: [{ layer: 0, unit: 1, role: 'en-only' as const }] };
    expect(() => plantedModel({ facts: [lonely] })).toThrow(PlantedSpecError);
  });

  it('builds a custom spec', () => {
    const m = plantedModel({
      family: 'bert',
      layers: 2,
      units: 4,
      facts: [{ ...DEFAULT_FACTS[1], units: [{ layer: 1, unit: 2, role: 'shared' }] }],
      irrelevant: [],
    });
    expect(m.config.numLayers).toBe(2);
    expect(m.truth.facts[0].prompts.zh.knowledgeNeurons).toEqual([{ layer: 1, unit: 2 }]);
  });
});

/**
 * Swaps one checkpoint tensor into the loaded model (through the real layout conversion), runs
 * `f`, and swaps the original back.
 */
async function swapped<T>(
  model: Model,
  name: string,
  tensor: HostTensor,
  layer: number,
  f: () => Promise<T>,
): Promise<T> {
  const collector = new WeightCollector(model.arch, model.config, model.runtime);
  collector.add(name, tensor, 'the swapped tensor');
  const slot = model.weights.layers[layer];
  const [[input, replacement]] = Object.entries(collector.weights.layers[layer]);
  const original = slot[input];
  slot[input] = replacement;
  try {
    return await f();
  } finally {
    slot[input] = original;
    model.runtime.dispose(replacement);
  }
}

/**
 * AMIG on the float64 reference model for a single-slot prompt: baseline = mean tap over the
 * prompt with each position replaced by the baseline token, 20 left-Riemann points, gradients
 * by central differences, score = activation x mean gradient. Units whose activation is below
 * 1e-9 are skipped (score 0): whatever their gradient, their score is that small.
 */
function referenceAmig(
  config: Parameters<typeof referenceForward>[0],
  weights: Map<string, HostTensor>,
  enc: EncodedPrompt,
): Float64Array {
  const { numLayers: L, intermediateSize: F, vocabSize: V } = config;
  const [slot] = enc.slots;
  const t = slot.position;
  const tap = (ids: number[], l: number) =>
    referenceForward(config, weights, ids, { record: true }).activations!.post[l].slice(
      t * F,
      (t + 1) * F,
    );
  const varied = config.family === 'gpt2' ? t + 1 : enc.ids.length;
  const variants = Array.from({ length: varied }, (_, j) =>
    enc.ids.map((id, k) => (k === j ? enc.baselineToken : id)),
  );
  const prob = (l: number, x: Float64Array) =>
    probabilities(
      referenceForward(config, weights, enc.ids, { edit: tapEdit(l, t, 0, x) }).logits,
      V,
      t,
    )[slot.tokenId];
  const steps = 20;
  const scores = new Float64Array(L * F);
  for (let l = 0; l < L; l++) {
    const a = tap(enc.ids, l);
    const b = new Float64Array(F);
    for (const v of variants) tap(v, l).forEach((x, i) => (b[i] += x / varied));
    for (let k = 0; k < steps; k++) {
      const x = a.map((ai, i) => b[i] + (k / steps) * (ai - b[i]));
      for (let i = 0; i < F; i++) {
        if (Math.abs(a[i]) < 1e-9) continue;
        const h = 1e-4;
        const up = Float64Array.from(x);
        const down = Float64Array.from(x);
        up[i] += h;
        down[i] -= h;
        scores[l * F + i] += (a[i] * (prob(l, up) - prob(l, down))) / (2 * h) / steps;
      }
    }
  }
  return scores;
}
