import { tinyModel } from '../../tests/reference/tiny-model';
import { describe, expect, it, vi } from 'vitest';
import {
  LANGUAGES,
  type Language,
  type NeuronRef,
  type PlantedFactTruth,
  plantedFacts,
  plantedModel,
} from '../../tests/planted/planted';
import { attributeMany, promptsPerPass } from '../attribution/attribute';
import { loadModel, noCounts } from '../model';
import { predict } from '../attribution/predict';
import type { Fact } from '../facts/types';
import { createNodeRuntime } from '../runtime/node';
import { MemorySource } from '../weights/memory-source';
import {
  type DatasetProgress,
  type DatasetPrompt,
  type DknRecord,
  type KnRecord,
  MemoryResultStore,
  type PromptOutcome,
  defaultPromptsPerPass,
  type PromptResults,
  aggregateDataset,
  digest,
  keyPrefix,
  promptRate,
  resultKey,
  runDataset,
} from './dataset';

/** The prompts each attribution run of the engine took, run by run. */
const batches = () => vi.mocked(attributeMany).mock.calls.map((c) => c[1].map((p) => p.prompt));

// Count the engine's attribution and prediction calls while running the real code.
vi.mock('../attribution/attribute', async (importOriginal) => {
  const real = await importOriginal<typeof import('../attribution/attribute')>();
  return { ...real, attributeMany: vi.fn(real.attributeMany) };
});
vi.mock('../attribution/predict', async (importOriginal) => {
  const real = await importOriginal<typeof import('../attribution/predict')>();
  return { ...real, predict: vi.fn(real.predict) };
});

describe('result store and keys', () => {
  it('the memory store clones values in and out and lists keys by prefix', async () => {
    const store = new MemoryResultStore();
    const value = { scores: new Float32Array([1, 2]), nested: { a: 1 } };
    await store.put('kn/x/1', value);
    await store.put('kn/y/1', 2);
    value.nested.a = 99;
    const back = (await store.get('kn/x/1')) as typeof value;
    expect(back.nested.a).toBe(1);
    expect(back.scores).toEqual(new Float32Array([1, 2]));
    back.nested.a = 5;
    expect(((await store.get('kn/x/1')) as typeof value).nested.a).toBe(1);
    expect(await store.get('missing')).toBeUndefined();
    expect(await store.keys('kn/x/')).toEqual(['kn/x/1']);
  });

  it('keys separate models, options, facts and languages; equal options in any order match', () => {
    const opts = { method: 'amig', steps: 20, tau: 0.3 };
    const key = resultKey('kn', 'ai-forever/mGPT', 'uuid-1', 'en', opts);
    expect(key.startsWith(keyPrefix('kn', 'ai-forever/mGPT'))).toBe(true);
    expect(key).toMatch(/^kn\/v1\/ai-forever%2FmGPT\/[0-9a-f]{14}\/uuid-1\/en$/);
    expect(
      resultKey('kn', 'ai-forever/mGPT', 'uuid-1', 'en', { tau: 0.3, steps: 20, method: 'amig' }),
    ).toBe(key);
    // undefined members are the same as absent ones
    expect(resultKey('kn', 'ai-forever/mGPT', 'uuid-1', 'en', { ...opts, score: undefined })).toBe(
      key,
    );
    const others = [
      resultKey('kn', 'gpt2', 'uuid-1', 'en', opts),
      resultKey('kn', 'ai-forever/mGPT', 'uuid-2', 'en', opts),
      resultKey('kn', 'ai-forever/mGPT', 'uuid-1', 'zh', opts),
      resultKey('kn', 'ai-forever/mGPT', 'uuid-1', 'en', { ...opts, tau: 0.2 }),
      resultKey('dkn', 'ai-forever/mGPT', 'uuid-1', 'en', opts),
    ];
    expect(new Set([key, ...others]).size).toBe(6);
    // A model id that is a prefix of another does not share its key prefix.
    expect(keyPrefix('kn', 'gpt2-medium').startsWith(keyPrefix('kn', 'gpt2'))).toBe(false);
    expect(digest({ a: [1, { b: 2 }] })).toBe(digest({ a: [1, { b: 2 }] }));
    expect(digest({ a: [1, { b: 2 }] })).not.toBe(digest({ a: [{ b: 2 }, 1] }));
  });
});

function kn(
  factId: string,
  relation: string,
  language: string,
  neurons: [number, number][],
): KnRecord {
  return {
    factId,
    relation,
    language,
    prompts: [`${factId} ${language}`],
    object: 'o',
    probabilities: [0.5],
    tau: 0.3,
    p: 0.3,
    neurons: neurons.map(([layer, unit]) => ({ layer, unit, score: 1, count: 1, stability: 1 })),
    counts: noCounts(),
    warnings: [],
  };
}

function dkn(
  factId: string,
  relation: string,
  language: string,
  neurons: [number, number][],
  pairs: [number, number][],
): DknRecord {
  return {
    factId,
    relation,
    language,
    prompt: '',
    object: 'o',
    search: {
      p0: 1,
      neurons: neurons.map(([layer, unit]) => ({ layer, unit, score: 1 })),
      matrix: new Float64Array(neurons.length ** 2),
      candidates: [],
      pairs: pairs.map(([a, b]) => ({ a, b, probability: 0 })),
      singleDrop: 0.2,
      jointDrop: 0.25,
    },
  };
}

describe('aggregateDataset', () => {
  it('counts KN, LIKN and DKN per layer and selection frequency, per relation and overall', () => {
    const L = 3;
    const F = 4;
    const records = [
      kn('f1', 'P1', 'en', [
        [0, 1],
        [2, 3],
        [2, 0],
      ]),
      kn('f1', 'P1', 'zh', [
        [2, 3],
        [0, 1],
        [1, 1],
      ]),
      kn('f2', 'P1', 'en', [[2, 3]]),
      kn('f3', 'P2', 'en', [[1, 2]]),
      kn('f3', 'P2', 'zh', [
        [1, 2],
        [0, 0],
      ]),
    ];
    const degenerate = [
      // (0,1)-(2,3) and (2,3)-(2,0): three distinct neurons, (2,3) counted once.
      dkn(
        'f1',
        'P1',
        'en',
        [
          [0, 1],
          [2, 3],
          [2, 0],
        ],
        [
          [0, 1],
          [1, 2],
        ],
      ),
      dkn(
        'f3',
        'P2',
        'zh',
        [
          [1, 2],
          [0, 0],
        ],
        [[0, 1]],
      ),
    ];
    const agg = aggregateDataset(records, degenerate, L, F);
    const p1 = agg.relations.find((r) => r.relation === 'P1')!;
    const p2 = agg.relations.find((r) => r.relation === 'P2')!;
    expect(agg.relations.map((r) => r.relation)).toEqual(['P1', 'P2']);

    expect(p1.facts).toBe(2);
    expect(p1.kn).toEqual({ en: [1, 0, 3], zh: [1, 1, 1] });
    // f1: en and zh share (0,1) and (2,3); f2 has no zh record, so no LIKN.
    expect(p1.likn).toEqual([1, 0, 1]);
    expect(p1.liknFacts).toBe(1);
    expect(p1.dkn).toEqual({ en: [1, 0, 2], zh: [0, 0, 0] });
    expect(p1.frequency.en[2 * F + 3]).toBe(2);
    expect(p1.frequency.en[0 * F + 1]).toBe(1);
    expect(p1.frequency.zh[1 * F + 1]).toBe(1);
    expect(p1.frequency.en.reduce((a, b) => a + b, 0)).toBe(4);

    expect(p2.likn).toEqual([0, 1, 0]);
    expect(p2.dkn.zh).toEqual([1, 1, 0]);

    expect(agg.overall.relation).toBeNull();
    expect(agg.overall.facts).toBe(3);
    expect(agg.overall.kn).toEqual({ en: [1, 1, 3], zh: [2, 2, 1] });
    expect(agg.overall.likn).toEqual([1, 1, 1]);
    expect(agg.overall.liknFacts).toBe(2);
    expect(agg.overall.dkn).toEqual({ en: [1, 0, 2], zh: [1, 1, 0] });
  });

  it('one language: no LIKN; records of other languages are left out', () => {
    const records = [kn('f1', 'P1', 'en', [[0, 0]]), kn('f1', 'P1', 'zh', [[0, 0]])];
    const agg = aggregateDataset(records, [], 1, 1, ['en']);
    expect(agg.overall.kn).toEqual({ en: [1] });
    expect(agg.overall.likn).toEqual([0]);
    expect(agg.overall.liknFacts).toBe(0);
  });
});

const runtime = createNodeRuntime({ threads: 1 });

function tinyBert() {
  return tinyModel('bert', { seed: 3 }).model;
}

const facts: Fact[] = [
  {
    id: 'paris',
    relation: 'P36',
    prompts: [
      { language: 'en', text: 'The capital of France is [MASK] .', object: 'Paris' },
      { language: 'en', text: 'the capital of France is [MASK] .', object: 'Paris' },
      { language: 'zh', text: '法国的首都是[MASK]', object: '巴黎' },
    ],
  },
  {
    id: 'berlin',
    relation: 'P36',
    prompts: [
      { language: 'en', text: 'The capital of Germany is [MASK] .', object: 'Berlin' },
      { language: 'zh', text: '德国的首都是[MASK]', object: '柏林' }, // not in the vocabulary
    ],
  },
  {
    id: 'france',
    relation: 'P1376',
    prompts: [
      { language: 'en', text: 'Paris is the capital of [MASK] .', object: 'France' },
      { language: 'zh', text: '巴黎是[MASK]的首都', object: '法国' },
    ],
  },
];

describe('runDataset on a tiny model', () => {
  const attribution = { steps: 2 };

  it('runs every fact x language, reports progress, and records why an item was skipped', async () => {
    const model = tinyBert();
    const seen: DatasetProgress[] = [];
    const run = await runDataset(model, facts, {
      attribution,
      onProgress: (p) => seen.push(p),
    });
    expect(run.records.map((r) => `${r.factId}/${r.language}`)).toEqual([
      'paris/en',
      'paris/zh',
      'berlin/en',
      'france/en',
      'france/zh',
    ]);
    expect(run.failures).toEqual([
      { factId: 'berlin', language: 'zh', message: expect.stringMatching(/vocabulary/) },
    ]);
    const paris = run.records[0];
    expect(paris.prompts.length).toBe(2);
    expect(paris.probabilities.every((p) => p > 0 && p < 1)).toBe(true);
    expect(paris.neurons.length).toBeGreaterThan(0);
    const last = seen.at(-1)!;
    expect(last).toMatchObject({ done: 5, total: 5, reused: 0 });
    // The up-front estimate (estimateCounts) is what the run executed, block for block.
    expect(seen[0].blocks.total).toBe(last.blocks.total);
    expect(last.blocks.done).toBe(last.blocks.total);
    const executed = run.records.reduce((s, r) => s + r.counts.forward + r.counts.backward, 0);
    expect(last.blocks.total).toBe(executed);
    // Progress never goes backwards.
    for (let i = 1; i < seen.length; i++)
      expect(seen[i].blocks.done).toBeGreaterThanOrEqual(seen[i - 1].blocks.done);
  });

  it('a run stopped midway and restarted does no work twice', async () => {
    const model = tinyBert();
    const store = new MemoryResultStore();
    const calls = vi.mocked(attributeMany);
    const searches = vi.mocked(predict);
    calls.mockClear();
    const stop = new AbortController();
    await expect(
      runDataset(model, facts, {
        attribution,
        degenerate: { topK: 4 },
        store,
        signal: stop.signal,
        onProgress: (p) => {
          if (p.done === 2 && !p.current) stop.abort(new Error('stopped by the user'));
        },
      }),
    ).rejects.toThrow('stopped by the user');
    // paris/en (2 prompts) and paris/zh (1 prompt) are done and stored.
    expect(calls).toHaveBeenCalledTimes(3);
    expect(await store.keys(keyPrefix('kn', model.id))).toHaveLength(2);
    expect(await store.keys(keyPrefix('dkn', model.id))).toHaveLength(2);

    calls.mockClear();
    searches.mockClear();
    const seen: DatasetProgress[] = [];
    const resumed = await runDataset(model, facts, {
      attribution,
      degenerate: { topK: 4 },
      store,
      onProgress: (p) => seen.push(p),
    });
    // Only berlin/en, france/en and france/zh: one prompt each.
    expect(batches()).toEqual([
      ['The capital of Germany is [MASK] .'],
      ['Paris is the capital of [MASK] .'],
      ['巴黎是[MASK]的首都'],
    ]);
    expect(seen.at(-1)).toMatchObject({ done: 5, total: 5, reused: 2 });
    expect(resumed.records).toHaveLength(5);
    expect(resumed.degenerate).toHaveLength(5);

    // The resumed results are those of one uninterrupted run.
    const fresh = await runDataset(model, facts, { attribution, degenerate: { topK: 4 } });
    expect(resumed.records).toEqual(fresh.records);
    expect(resumed.degenerate).toEqual(fresh.degenerate);

    // Everything stored: a third run computes nothing at all.
    calls.mockClear();
    searches.mockClear();
    const again = await runDataset(model, facts, {
      attribution,
      degenerate: { topK: 4 },
      store,
    });
    expect(calls).not.toHaveBeenCalled();
    expect(searches).not.toHaveBeenCalled();
    expect(again.records).toEqual(resumed.records);

    // Other settings are other results: a new tau recomputes.
    calls.mockClear();
    await runDataset(model, facts.slice(2), {
      attribution,
      selection: { tau: { en: 0.5 } },
      store,
      languages: ['en'],
    });
    expect(calls).toHaveBeenCalledTimes(1);
  });
});

/** Per-prompt results in memory, as a results folder keeps them. */
class PromptMemory implements PromptResults {
  readonly kept = new Map<string, PromptOutcome>();
  readonly maps: string[] = [];
  private key = (p: DatasetPrompt) => JSON.stringify([p.factId, p.language, p.index, p.text]);

  async get(p: DatasetPrompt) {
    return structuredClone(this.kept.get(this.key(p)));
  }

  async put(p: DatasetPrompt, result: { prompt: string; scores: Float32Array }, o: PromptOutcome) {
    expect(result.prompt).toBe(p.text);
    this.maps.push(p.text);
    this.kept.set(this.key(p), structuredClone(o));
  }
}

describe('runDataset with per-prompt results', () => {
  const attribution = { steps: 2 };

  it('hands over each prompt as it finishes and a stop loses at most the prompt in flight', async () => {
    const model = tinyBert();
    const calls = vi.mocked(attributeMany);
    const prompts = new PromptMemory();
    const stop = new AbortController();
    calls.mockClear();
    // Stop while paris/en's second paraphrase is attributed: its first is handed over already.
    await expect(
      runDataset(model, facts, {
        attribution,
        prompts,
        signal: stop.signal,
        onProgress: () => {
          if (calls.mock.calls.length === 2) stop.abort(new Error('killed'));
        },
      }),
    ).rejects.toThrow('killed');
    expect(prompts.maps).toEqual(['The capital of France is [MASK] .']);

    // A fresh store (no item finished), the same prompts: the first paraphrase is not redone.
    calls.mockClear();
    const resumed = await runDataset(model, facts, { attribution, prompts });
    expect(batches().flat()).not.toContain('The capital of France is [MASK] .');
    expect(calls).toHaveBeenCalledTimes(5);
    expect(prompts.kept.size).toBe(6);

    // The same records as a run that kept nothing, KN refined across both paraphrases.
    const fresh = await runDataset(model, facts, { attribution });
    expect(resumed.records).toEqual(fresh.records);
    expect(resumed.records[0].prompts).toHaveLength(2);

    // Every prompt kept: nothing is attributed, whatever the store holds.
    calls.mockClear();
    const again = await runDataset(model, facts, { attribution, prompts });
    expect(calls).not.toHaveBeenCalled();
    expect(again.records).toEqual(fresh.records);
  });
});

describe('runDataset in batches (causal model: prompts share passes)', () => {
  const attribution = { steps: 2 };
  const model = tinyModel('gpt2', { seed: 3 }).model;
  const causalFacts: Fact[] = [
    {
      id: 'paris',
      relation: 'P36',
      prompts: [
        { language: 'en', text: 'The capital of France is [MASK]', object: 'Paris' },
        { language: 'en', text: 'The capital is [MASK] .', object: 'Paris' },
      ],
    },
    {
      id: 'france',
      relation: 'P1376',
      prompts: [{ language: 'en', text: 'Paris is the capital of [MASK]', object: 'France' }],
    },
    {
      id: 'parisian',
      relation: 'P36',
      prompts: [{ language: 'en', text: 'The capital of France is [MASK]', object: ' Parisian' }],
    },
  ];

  it('batch sizes: several prompts for a small causal model on a GPU, one on a masked LM or the CPU', () => {
    expect(promptsPerPass(model.config, true, attribution)).toBeGreaterThan(1);
    expect(promptsPerPass(tinyBert().config, false, attribution)).toBe(1);
    // On the CPU batches measured no faster: one prompt at a time unless asked.
    expect(defaultPromptsPerPass(model, attribution)).toBe(1);
  });

  it('gives the records of a one-at-a-time run, across items, with the prompt rate', async () => {
    const calls = vi.mocked(attributeMany);
    calls.mockClear();
    let t = 0;
    const seen: DatasetProgress[] = [];
    const batched = await runDataset(model, causalFacts, {
      attribution,
      promptsPerPass: 3,
      now: () => (t += 0.5),
      onProgress: (p) => seen.push(p),
    });
    expect(batches()).toEqual([
      [
        'The capital of France is [MASK]',
        'The capital is [MASK] .',
        'Paris is the capital of [MASK]',
      ],
      ['The capital of France is [MASK]'],
    ]);
    // Two batches of 0.5 s each (the clock advances by 0.5 at each reading): 4 prompts in 1 s.
    expect(seen.at(-1)!.prompts).toEqual({ done: 4, total: 4, seconds: 1 });
    expect(promptRate(seen.at(-1)!)).toBe('4.0 prompts/s');
    expect(promptRate(seen[0])).toBe('');
    const last = seen.at(-1)!;
    expect(last.blocks.done).toBe(last.blocks.total);
    for (let i = 1; i < seen.length; i++)
      expect(seen[i].blocks.done).toBeGreaterThanOrEqual(seen[i - 1].blocks.done);

    calls.mockClear();
    const single = await runDataset(model, causalFacts, { attribution, promptsPerPass: 1 });
    expect(batches()).toHaveLength(4);
    expect(batched.records.length).toBe(3);
    for (const [i, r] of single.records.entries()) {
      const b = batched.records[i];
      expect(b.neurons.map((n) => [n.layer, n.unit, n.count])).toEqual(
        r.neurons.map((n) => [n.layer, n.unit, n.count]),
      );
      b.neurons.forEach((n, k) => expect(n.score).toBeCloseTo(r.neurons[k].score, 5));
      b.probabilities.forEach((p, k) => expect(p).toBeCloseTo(r.probabilities[k], 7));
      expect(b.counts.backward).toBe(r.counts.backward);
    }
  });

  it('stores each prompt when its batch finishes: a stop loses at most the batch in flight', async () => {
    const calls = vi.mocked(attributeMany);
    const prompts = new PromptMemory();
    const store = new MemoryResultStore();
    const stop = new AbortController();
    calls.mockClear();
    await expect(
      runDataset(model, causalFacts, {
        attribution,
        promptsPerPass: 3,
        prompts,
        store,
        signal: stop.signal,
        // Stop during the second batch.
        onProgress: () => {
          if (calls.mock.calls.length === 2) stop.abort(new Error('killed'));
        },
      }),
    ).rejects.toThrow('killed');
    // The first batch's three prompts are handed over; paris and france are stored.
    expect(prompts.maps).toHaveLength(3);
    expect(await store.keys(keyPrefix('kn', model.id))).toHaveLength(2);

    // The same prompts, a fresh store: only the batch in flight is attributed again.
    calls.mockClear();
    const resumed = await runDataset(model, causalFacts, {
      attribution,
      promptsPerPass: 3,
      prompts,
    });
    expect(batches()).toEqual([['The capital of France is [MASK]']]);
    expect(calls.mock.calls[0][1][0].object).toBe(' Parisian');
    const fresh = await runDataset(model, causalFacts, { attribution, promptsPerPass: 3 });
    expect(resumed.records).toEqual(fresh.records);

    // Without per-prompt results, the run's store keeps each prompt: a stop mid-item loses
    // only the batch in flight there too.
    const own = new MemoryResultStore();
    const halt = new AbortController();
    calls.mockClear();
    await expect(
      runDataset(model, causalFacts, {
        attribution,
        promptsPerPass: 1,
        store: own,
        signal: halt.signal,
        onProgress: () => {
          if (calls.mock.calls.length === 2) halt.abort(new Error('killed'));
        },
      }),
    ).rejects.toThrow('killed');
    expect(await own.keys(keyPrefix('prompt', model.id))).toHaveLength(1);
    expect(await own.keys(keyPrefix('kn', model.id))).toHaveLength(0);
    calls.mockClear();
    await runDataset(model, causalFacts, { attribution, promptsPerPass: 1, store: own });
    expect(batches().flat()).toHaveLength(3);
  });
});

for (const family of ['gpt2', 'bert'] as const) {
  describe(`planted ${family} model: layer distributions`, () => {
    it('KN, LIKN and DKN per layer and the selection heatmap match the planted units', async () => {
      const planted = plantedModel({ family });
      const { truth } = planted;
      const model = await loadModel(new MemorySource(`planted-${family}`, planted.files), runtime);
      const run = await runDataset(model, plantedFacts(truth), { degenerate: true });
      expect(run.failures).toEqual([]);
      const agg = aggregateDataset(run.records, run.degenerate, truth.layers, truth.unitsPerLayer);

      const L = truth.layers;
      const expected = (relation: string | null) => {
        const facts = truth.facts.filter((f) => relation === null || f.relation === relation);
        const perLayer = (ns: NeuronRef[]) => {
          const out = new Array(L).fill(0);
          for (const n of ns) out[n.layer]++;
          return out;
        };
        const byLanguage = (f: (fact: PlantedFactTruth, l: Language) => NeuronRef[]) =>
          Object.fromEntries(LANGUAGES.map((l) => [l, perLayer(facts.flatMap((x) => f(x, l)))]));
        const active = (fact: PlantedFactTruth, l: Language) =>
          fact.degenerateGroups
            .filter((g) =>
              g.every((u) =>
                fact.prompts[l].knowledgeNeurons.some(
                  (k) => k.layer === u.layer && k.unit === u.unit,
                ),
              ),
            )
            .flat();
        return {
          facts: facts.length,
          kn: byLanguage((fact, l) => fact.prompts[l].knowledgeNeurons),
          likn: perLayer(facts.flatMap((f) => f.shared)),
          liknFacts: facts.length,
          dkn: byLanguage(active),
        };
      };
      expect(agg.overall).toMatchObject(expected(null));
      // Spot-check against the spec's own words: hot's degenerate pair is English-only.
      expect(agg.overall.dkn.en).toEqual([1, 1, 1, 3]);
      expect(agg.overall.dkn.zh).toEqual([1, 0, 1, 2]);
      for (const r of agg.relations) expect(r).toMatchObject(expected(r.relation));
      expect(agg.relations.map((r) => r.relation)).toEqual(['capital', 'color', 'opposite']);

      // Heatmap: exactly the planted units, once per fact and language that uses them.
      for (const l of LANGUAGES) {
        const want = new Uint32Array(L * truth.unitsPerLayer);
        for (const f of truth.facts)
          for (const n of f.prompts[l].knowledgeNeurons)
            want[n.layer * truth.unitsPerLayer + n.unit]++;
        expect(agg.overall.frequency[l]).toEqual(want);
      }
      await model.release();
    });
  });
}
