import type { Tensor } from 'onnxruntime-common';
import { llamaForward, probabilities } from '../../tests/reference';
import { tinyLlamaModel, tinyModel } from '../../tests/reference/tiny-model';
import { describe, expect, it } from 'vitest';
import type { Model } from '../model';
import { type Prediction, predict, suppress } from '../attribution/predict';
import { encodePrompt } from '../attribution/prompt';
import type { Fact } from '../facts/types';
import { createNodeRuntime } from '../runtime/node';
import type { Runtime } from '../runtime/runtime';
import type { HostTensor } from '../weights/types';
import { editFact, editValueVectors, objectTokens } from './edits';
import type { Neuron } from './selection';

/** The node runtime, recording the tensors it makes for runs and the tensors it frees. */
function trackingRuntime() {
  const base = createNodeRuntime({ threads: 1 });
  const made = new Set<Tensor>();
  const freed: Tensor[] = [];
  const runtime: Runtime = {
    ...base,
    tensor: (data, dims) => {
      const t = base.tensor(data, dims);
      made.add(t);
      return t;
    },
    dispose: (t) => {
      freed.push(t);
      base.dispose(t);
    },
  };
  return { runtime, made, freed };
}

const PROMPT = 'The capital of France is [MASK] .';

function tiny(type: 'bert' | 'gpt2', rt: Runtime, edit?: (w: Map<string, HostTensor>) => void) {
  return tinyModel(type, { seed: 11, runtime: rt, editWeights: edit });
}

/** HF names: BERT stores the value vectors as columns of output.dense.weight [H, F]. */
const valueVectors = (type: 'bert' | 'gpt2', layer: number) =>
  type === 'bert'
    ? `bert.encoder.layer.${layer}.output.dense.weight`
    : `transformer.h.${layer}.mlp.c_proj.weight`;
const wordEmbeddings = (type: 'bert' | 'gpt2') =>
  type === 'bert' ? 'bert.embeddings.word_embeddings.weight' : 'transformer.wte.weight';

/** Sets neuron (layer, unit)'s value vector in a checkpoint to f(old value, h). */
function setValueVector(
  w: Map<string, HostTensor>,
  type: 'bert' | 'gpt2',
  n: Neuron,
  f: (old: number, h: number) => number,
) {
  const t = w.get(valueVectors(type, n.layer))!;
  const copy = Float32Array.from(t.data);
  if (type === 'bert') {
    const [H, F] = t.dims;
    for (let h = 0; h < H; h++) copy[h * F + n.unit] = f(copy[h * F + n.unit], h);
  } else {
    const H = t.dims[1];
    for (let h = 0; h < H; h++) copy[n.unit * H + h] = f(copy[n.unit * H + h], h);
  }
  w.set(valueVectors(type, n.layer), { dims: t.dims, data: copy });
}

async function predictAll(model: Model, text = PROMPT, object = 'Paris'): Promise<Prediction> {
  const enc = encodePrompt(model.config, model.tokenizer, text, object);
  const [p] = await predict(model, enc, [[]], { topK: model.config.vocabSize });
  return p;
}

/** Same P(object) and slot probabilities; `b` may list fewer top tokens than `a`. */
function expectSamePrediction(a: Prediction, b: Prediction, digits = 6) {
  expect(a.slots.length).toBe(b.slots.length);
  expect(a.probability).toBeCloseTo(b.probability, digits);
  b.slots.forEach((s, i) => {
    const other = new Map(a.slots[i].top.map((t) => [t.id, t.probability]));
    for (const t of s.top) expect(other.get(t.id)).toBeCloseTo(t.probability, digits);
  });
}

/** The model holds exactly these value-vector tensors (the same objects). */
function expectWeights(model: Model, tensors: Tensor[]) {
  model.weights.layers.forEach((l, i) => expect(l.proj_w).toBe(tensors[i]));
}

const neurons: Neuron[] = [
  { layer: 0, unit: 3 },
  { layer: 1, unit: 5 },
  { layer: 1, unit: 7 },
];

describe('erase', () => {
  for (const type of ['bert', 'gpt2'] as const) {
    it(`${type}: equals the checkpoint with those value vectors zeroed; other rows untouched`, async () => {
      const { runtime } = trackingRuntime();
      const { model } = tiny(type, runtime);
      const { model: expected } = tiny(type, runtime, (w) => {
        for (const n of neurons) setValueVector(w, type, n, () => 0);
      });
      const original = model.weights.layers.map((l) => l.proj_w);
      const before = await predictAll(model);
      const handle = await editValueVectors(model, neurons, { kind: 'erase' });
      expectSamePrediction(await predictAll(model), await predictAll(expected), 10);
      expect(Math.abs((await predictAll(model)).probability - before.probability)).toBeGreaterThan(
        1e-6,
      );
      // Row by row: erased rows are zero, every other value is the original's, bit for bit.
      const F = model.numUnits;
      const H = model.config.hiddenSize;
      for (let l = 0; l < 2; l++) {
        const now = (await runtime.read(model.weights.layers[l].proj_w)) as Float32Array;
        const was = (await runtime.read(original[l])) as Float32Array;
        for (let i = 0; i < F; i++) {
          const erased = neurons.some((n) => n.layer === l && n.unit === i);
          for (let h = 0; h < H; h++) expect(now[i * H + h]).toBe(erased ? 0 : was[i * H + h]);
        }
      }
      await handle.revert();
    });
  }

  it('of a last-layer neuron equals suppressing its activation at the target', async () => {
    // In the last block a position's FFN output reaches only its own logits, so zeroing the
    // value vector everywhere and zeroing the activation at the target agree.
    for (const type of ['bert', 'gpt2'] as const) {
      const { runtime } = trackingRuntime();
      const { model } = tiny(type, runtime);
      const last = [
        { layer: 1, unit: 2 },
        { layer: 1, unit: 9 },
      ];
      const enc = encodePrompt(model.config, model.tokenizer, PROMPT, 'Paris');
      const [, suppressed] = await predict(model, enc, [[], suppress(last)], { topK: 5 });
      const handle = await editValueVectors(model, last, { kind: 'erase' });
      expectSamePrediction(await predictAll(model), suppressed);
      await handle.revert();
    }
  });
});

describe('update', () => {
  for (const type of ['bert', 'gpt2'] as const) {
    it(`${type}: adds lambda x (mean new-object embedding - old-object embedding) to the value vectors`, async () => {
      const { runtime } = trackingRuntime();
      const { model, weights } = tiny(type, runtime);
      const from = objectTokens(model, PROMPT, 'Paris');
      const to = objectTokens(model, PROMPT, 'Berlin');
      expect(to.ids.length).toBeGreaterThan(1); // the mean over several tokens is exercised
      const E = weights.get(wordEmbeddings(type))!;
      const H = model.config.hiddenSize;
      const meanRow = (ids: number[], h: number) =>
        ids.reduce((s, id) => s + E.data[id * H + h], 0) / ids.length;
      const lambda = 1.5;
      const { model: expected } = tiny(type, runtime, (w) => {
        for (const n of neurons)
          setValueVector(
            w,
            type,
            n,
            (old, h) => old + lambda * (meanRow(to.ids, h) - meanRow(from.ids, h)),
          );
      });
      const handle = await editValueVectors(model, neurons, {
        kind: 'update',
        from: from.ids,
        to: to.ids,
        lambda,
      });
      expectSamePrediction(await predictAll(model), await predictAll(expected), 5);
      expectSamePrediction(
        await predictAll(model, PROMPT, 'Berlin'),
        await predictAll(expected, PROMPT, 'Berlin'),
        5,
      );
      await handle.revert();
    });
  }

  it('object tokens are the predicted ones: no special tokens, GPT-2 keeps the leading space', () => {
    const { runtime } = trackingRuntime();
    const bert = tiny('bert', runtime).model;
    expect(objectTokens(bert, PROMPT, 'Berlin').tokens).toEqual(['Ber', '##lin']);
    const gpt = tiny('gpt2', runtime).model;
    const ids = gpt.tokenizer.encode(' Paris', { addSpecialTokens: false }).ids;
    expect(objectTokens(gpt, PROMPT, 'Paris').ids).toEqual(ids);
  });

  it('rejects neurons outside the model and empty or unknown tokens, changing nothing', async () => {
    const { runtime } = trackingRuntime();
    const { model } = tiny('bert', runtime);
    const w = model.weights.layers.map((l) => l.proj_w);
    const erase = { kind: 'erase' } as const;
    await expect(editValueVectors(model, [{ layer: 2, unit: 0 }], erase)).rejects.toThrow(
      /outside/,
    );
    await expect(editValueVectors(model, [{ layer: 0, unit: 12 }], erase)).rejects.toThrow(
      /2 x 12/,
    );
    await expect(editValueVectors(model, [{ layer: 0, unit: 1.5 }], erase)).rejects.toThrow(
      /whole/,
    );
    await expect(
      editValueVectors(model, neurons, { kind: 'update', from: [], to: [1] }),
    ).rejects.toThrow(/empty/);
    await expect(
      editValueVectors(model, neurons, { kind: 'update', from: [1], to: [10_000] }),
    ).rejects.toThrow(/vocabulary/);
    expectWeights(model, w);
  });
});

describe('LLaMA family: value vectors are the columns of down_proj', () => {
  for (const variant of ['qwen3', 'llama'] as const) {
    it(`${variant}: erase and update equal the float64 reference on the edited checkpoint`, async () => {
      const { runtime } = trackingRuntime();
      const { model, weights, configJson } = tinyLlamaModel(variant, { seed: 11, runtime });
      const H = model.config.hiddenSize;
      const F = model.numUnits;
      const E = weights.get('model.embed_tokens.weight')!.data;
      const from = objectTokens(model, PROMPT, 'Paris').ids;
      const to = objectTokens(model, PROMPT, 'Berlin').ids;
      const meanRow = (ids: number[], h: number) =>
        ids.reduce((s, id) => s + E[id * H + h], 0) / ids.length;
      /** The reference's P(object) at every slot, on the checkpoint with value vectors moved. */
      const reference = (f: (old: number, h: number) => number) => {
        const edited = new Map(weights);
        for (const n of neurons) {
          const name = `model.layers.${n.layer}.mlp.down_proj.weight`;
          const t = edited.get(name)!;
          const data = Float32Array.from(t.data); // [H, F]: column `unit` is the value vector
          for (let h = 0; h < H; h++) data[h * F + n.unit] = f(data[h * F + n.unit], h);
          edited.set(name, { dims: t.dims, data });
        }
        const enc = encodePrompt(model.config, model.tokenizer, PROMPT, 'Paris');
        const logits = llamaForward(configJson, edited, enc.ids).logits;
        return enc.slots.map(
          (s) => probabilities(logits, model.config.vocabSize, s.position)[s.tokenId],
        );
      };
      const engine = async () => (await predictAll(model)).slots.map((s) => s.probability);
      const before = await engine();

      const erase = await editValueVectors(model, neurons, { kind: 'erase' });
      const erased = await engine();
      reference(() => 0).forEach((p, i) => expect(erased[i]).toBeCloseTo(p, 6));
      expect(Math.max(...erased.map((p, i) => Math.abs(p - before[i])))).toBeGreaterThan(1e-6);
      await erase.revert();
      expect(await engine()).toEqual(before);

      const lambda = 1.5;
      const update = await editValueVectors(model, neurons, { kind: 'update', from, to, lambda });
      const updated = await engine();
      reference((old, h) => old + lambda * (meanRow(to, h) - meanRow(from, h))).forEach((p, i) =>
        expect(updated[i]).toBeCloseTo(p, 5),
      );
      await update.revert();
    });
  }
});

describe('revert', () => {
  it('restores the original tensors and predictions exactly, and frees what the edit made', async () => {
    const { runtime, made, freed } = trackingRuntime();
    const { model } = tiny('bert', runtime);
    const original = model.weights.layers.map((l) => l.proj_w);
    const before = await predictAll(model);
    const from = objectTokens(model, PROMPT, 'Paris').ids;
    const to = objectTokens(model, PROMPT, 'Berlin').ids;
    const handle = await editValueVectors(model, [...neurons, neurons[0]], {
      kind: 'update',
      from,
      to,
    });
    expect(handle.neurons).toEqual(neurons); // the duplicate counts once
    const edited = model.weights.layers.map((l) => l.proj_w);
    expect(edited.every((t, l) => t !== original[l])).toBe(true);
    expect(handle.active).toBe(true);
    await handle.revert();
    expect(handle.active).toBe(false);
    expectWeights(model, original);
    const after = await predictAll(model);
    expect(after).toEqual(before); // bit for bit
    // The edited weights are freed, the originals are not, and every run input was freed.
    for (const t of edited) expect(freed).toContain(t);
    for (const t of original) expect(freed).not.toContain(t);
    for (const t of made) expect(freed).toContain(t);
    await handle.revert(); // a second revert does nothing
    expectWeights(model, original);
  });

  it('edits of one layer undo last-first; edits of other layers in any order', async () => {
    const { runtime } = trackingRuntime();
    const { model } = tiny('bert', runtime);
    const original = model.weights.layers.map((l) => l.proj_w);
    const before = await predictAll(model);
    const a = await editValueVectors(model, [{ layer: 1, unit: 0 }], { kind: 'erase' });
    const b = await editValueVectors(model, [{ layer: 1, unit: 4 }], { kind: 'erase' });
    const c = await editValueVectors(model, [{ layer: 0, unit: 4 }], { kind: 'erase' });
    await expect(a.revert()).rejects.toThrow(/later edit/);
    expect(a.active).toBe(true);
    await b.revert();
    await a.revert(); // c, on layer 0 only, does not block it
    expect(model.weights.layers[1].proj_w).toBe(original[1]);
    await c.revert();
    expectWeights(model, original);
    expect(await predictAll(model)).toEqual(before);
  });

  it('edits started together apply one after the other', async () => {
    const { runtime } = trackingRuntime();
    const { model } = tiny('gpt2', runtime);
    const before = await predictAll(model);
    const { model: expected } = tiny('gpt2', runtime, (w) => {
      for (const n of neurons) setValueVector(w, 'gpt2', n, () => 0);
    });
    const [x, y] = await Promise.all([
      editValueVectors(model, neurons.slice(0, 2), { kind: 'erase' }),
      editValueVectors(model, neurons.slice(2), { kind: 'erase' }),
    ]);
    expectSamePrediction(await predictAll(model), await predictAll(expected), 10);
    await y.revert();
    await x.revert();
    expect(await predictAll(model)).toEqual(before);
  });
});

describe('editFact', () => {
  const fact: Fact = {
    id: 'paris',
    relation: 'P36',
    prompts: [
      { language: 'en', text: PROMPT, object: 'Paris' },
      { language: 'zh', text: '法国的首都是[MASK]', object: '巴黎' },
      { language: 'ru', text: PROMPT, object: 'Париж' },
    ],
  };

  it('reports every language before and after, leaves the edit applied, and skips what it cannot encode', async () => {
    const { runtime } = trackingRuntime();
    const { model } = tiny('bert', runtime);
    const { model: erased } = tiny('bert', runtime, (w) => {
      for (const n of neurons) setValueVector(w, 'bert', n, () => 0);
    });
    const progress: number[] = [];
    const { handle, report } = await editFact(
      model,
      fact,
      neurons,
      { kind: 'erase' },
      {
        topK: 3,
        onProgress: (p) => progress.push(p.done / p.total),
      },
    );
    expect(report.prompts.map((p) => p.language)).toEqual(['en', 'zh']);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatch(/^ru .*vocabulary/);
    expect(progress.at(-1)).toBe(1);
    for (const p of report.prompts) {
      expectSamePrediction(await predictAll(model, p.text, p.object), p.after, 12);
      expectSamePrediction(await predictAll(erased, p.text, p.object), p.after, 10);
    }
    await handle.revert();
    for (const p of report.prompts) {
      const clean = await predictAll(model, p.text, p.object);
      expect(p.before.probability).toBe(clean.probability);
      expect(p.before.slots[0].top).toEqual(clean.slots[0].top.slice(0, 3));
    }
  });

  it('update: the direction comes from one language; each language reports its new object', async () => {
    const { runtime } = trackingRuntime();
    const { model } = tiny('bert', runtime);
    const { handle, report } = await editFact(model, fact, neurons, {
      kind: 'update',
      newObjects: { en: 'Berlin', zh: '首都' },
      lambda: 2,
    });
    expect(report.language).toBe('en');
    expect(report.fromTokens).toEqual(['Paris']);
    expect(report.toTokens).toEqual(['Ber', '##lin']);
    const en = report.prompts.find((p) => p.language === 'en')!;
    const zh = report.prompts.find((p) => p.language === 'zh')!;
    expect(en.newObject).toBe('Berlin');
    expect(zh.newObject).toBe('首都');
    const berlin = await predictAll(model, PROMPT, 'Berlin');
    expect(en.newAfter!.probability).toBe(berlin.probability);
    await handle.revert();
    expect(en.newBefore!.probability).toBe((await predictAll(model, PROMPT, 'Berlin')).probability);
  });

  it('reverts the edit when measuring is aborted', async () => {
    const { runtime } = trackingRuntime();
    const { model } = tiny('bert', runtime);
    const original = model.weights.layers.map((l) => l.proj_w);
    const controller = new AbortController();
    let whileEdited: Tensor | undefined;
    const run = editFact(
      model,
      fact,
      neurons,
      { kind: 'erase' },
      {
        signal: controller.signal,
        onProgress: ({ done }) => {
          // Two prompts before the edit; abort after the first one measured with it applied.
          if (done === 3) {
            whileEdited = model.weights.layers[1].proj_w;
            controller.abort(new Error('stopped'));
          }
        },
      },
    );
    await expect(run).rejects.toThrow('stopped');
    expect(whileEdited).toBeDefined();
    expect(whileEdited).not.toBe(original[1]);
    expectWeights(model, original);
  });
});
