import { tinyLlamaModel, tinyModel } from '../../tests/reference/tiny-model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_FACTS,
  LANGUAGES,
  type NeuronRef,
  type PlantedFactSpec,
  plantedModel,
} from '../../tests/planted/planted';
import { attribute } from '../attribution/attribute';
import { type Model, loadModel } from '../model';
import { predict, suppress } from '../attribution/predict';
import { encodePrompt } from '../attribution/prompt';
import { createNodeRuntime } from '../runtime/node';
import { MemorySource } from '../weights/memory-source';
import {
  clusterByStrength,
  connections,
  defaultMinStrength,
  findDegenerateClusters,
  linkStrength,
  searchDegeneratePairs,
} from './degenerate';
import { type ScoredNeuron, defaultTau, selectNeurons } from './selection';

const runtime = createNodeRuntime({ threads: 1 });

function tinyBert(numLayers = 3) {
  return tinyModel('bert', { seed: 11, overrides: { numLayers } });
}

const prompt = 'The capital of France is [MASK] .';

describe('clusterByStrength', () => {
  it('connected components over edges at or above the threshold, singletons dropped', () => {
    const n = 6;
    const s = new Float32Array(n * n);
    const edge = (i: number, j: number, v: number) => (s[i * n + j] = s[j * n + i] = v);
    edge(0, 3, 0.9);
    edge(3, 5, 0.5); // exactly the threshold: an edge
    edge(1, 2, 0.49);
    edge(2, 4, 0.7);
    expect(clusterByStrength(s, n, 0.5)).toEqual([
      [0, 3, 5],
      [2, 4],
    ]);
    expect(clusterByStrength(s, n, 0.95)).toEqual([]);
  });

  it('default threshold: 3 / sqrt(H), capped at 0.5', () => {
    expect(defaultMinStrength(768)).toBeCloseTo(3 / Math.sqrt(768), 12);
    expect(defaultMinStrength(8)).toBe(0.5);
  });
});

describe('connections', () => {
  it('feed = |cos(value of l, key of l + 1)|, redundancy = max(0, cos(value, value)), from the checkpoint', async () => {
    const { model, weights, config } = tinyBert();
    const H = config.hiddenSize;
    const F = config.intermediateSize;
    const neurons = [
      { layer: 0, unit: 2 },
      { layer: 1, unit: 5 },
      { layer: 1, unit: 0 },
      { layer: 2, unit: 7 },
    ];
    const c = await connections(model, neurons);
    // Hugging Face layout: output.dense.weight is [H, F] (value i = column i);
    // intermediate.dense.weight is [F, H] (key j = row j).
    const value = ({ layer, unit }: { layer: number; unit: number }) => {
      const w = weights.get(`bert.encoder.layer.${layer}.output.dense.weight`)!.data;
      return Array.from({ length: H }, (_, h) => w[h * F + unit]);
    };
    const key = ({ layer, unit }: { layer: number; unit: number }) =>
      Array.from(weights.get(`bert.encoder.layer.${layer}.intermediate.dense.weight`)!.data).slice(
        unit * H,
        (unit + 1) * H,
      );
    const cos = (x: number[], y: number[]) => {
      const dot = x.reduce((a, xi, i) => a + xi * y[i], 0);
      const norm = (v: number[]) => Math.sqrt(v.reduce((a, vi) => a + vi * vi, 0));
      return dot / (norm(x) * norm(y));
    };
    const n = neurons.length;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        const [a, b] = neurons[i].layer < neurons[j].layer ? [i, j] : [j, i];
        const feed =
          neurons[b].layer === neurons[a].layer + 1
            ? Math.abs(cos(value(neurons[a]), key(neurons[b])))
            : 0;
        expect(c.feed[i * n + j]).toBeCloseTo(feed, 6);
        const same = i === j ? 0 : Math.max(0, cos(value(neurons[i]), value(neurons[j])));
        expect(c.redundancy[i * n + j]).toBeCloseTo(same, 6);
      }
    expect(c.feed[0 * n + 1]).toBeGreaterThan(0); // layer 0 -> 1 is connected
    expect(c.feed[1 * n + 2]).toBe(0); // same layer
    expect(c.feed[0 * n + 3]).toBe(0); // two layers apart
    expect(linkStrength(c, 'feed')).toBe(c.feed);
    const both = linkStrength(c, 'feed+redundancy');
    both.forEach((v, i) => expect(v).toBe(Math.max(c.feed[i], c.redundancy[i])));
  });
});

describe('connections of gated neurons (LLaMA family)', () => {
  it('feed = the larger |cos| of the value (down_proj column) and the gate_proj or up_proj row', async () => {
    const { model, weights, config } = tinyLlamaModel('qwen3', { seed: 5 });
    const H = config.hiddenSize;
    const F = config.intermediateSize;
    const a = { layer: 0, unit: 3 };
    const b = { layer: 1, unit: 9 };
    const c = await connections(model, [a, b]);
    const at = (layer: number, name: string) =>
      weights.get(`model.layers.${layer}.mlp.${name}.weight`)!.data;
    // HF layout: down_proj [H, F] (value = column), gate_proj and up_proj [F, H] (key = row).
    const value = Array.from({ length: H }, (_, h) => at(a.layer, 'down_proj')[h * F + a.unit]);
    const row = (name: string) =>
      Array.from(at(b.layer, name).subarray(b.unit * H, (b.unit + 1) * H));
    const cos = (x: number[], y: number[]) => {
      const dot = x.reduce((s, xi, i) => s + xi * y[i], 0);
      const norm = (v: number[]) => Math.sqrt(v.reduce((s, vi) => s + vi * vi, 0));
      return dot / (norm(x) * norm(y));
    };
    const gate = Math.abs(cos(value, row('gate_proj')));
    const up = Math.abs(cos(value, row('up_proj')));
    expect(gate).not.toBeCloseTo(up, 3); // the two keys differ, so the choice is exercised
    expect(c.feed[1]).toBeCloseTo(Math.max(gate, up), 6);
    expect(c.feed[2]).toBeCloseTo(Math.max(gate, up), 6);
  });
});

describe('suppression searches on a random model', () => {
  const kn: ScoredNeuron[] = [
    { layer: 0, unit: 1, score: 0.1 },
    { layer: 2, unit: 4, score: 0.9 },
    { layer: 1, unit: 7, score: 0.5 },
    { layer: 2, unit: 0, score: 0.3 },
    { layer: 1, unit: 2, score: 0.2 },
  ];

  it('pair search: the matrix is what predict gives for each set; chunking changes nothing', async () => {
    const { model, config } = tinyBert();
    const r = await searchDegeneratePairs(model, prompt, 'Paris', kn, { topK: 4, batchSize: 3 });
    expect(r.neurons.map((n) => n.score)).toEqual([0.9, 0.5, 0.3, 0.2]);
    const enc = encodePrompt(config, model.tokenizer, prompt, 'Paris');
    const sets = [[], ...r.neurons.map((n) => [n]), [r.neurons[0], r.neurons[2]]];
    const direct = await predict(model, enc, sets.map(suppress));
    expect(r.p0).toBeCloseTo(direct[0].probability, 6);
    for (let i = 0; i < 4; i++)
      expect(r.matrix[i * 4 + i]).toBeCloseTo(direct[1 + i].probability, 6);
    expect(r.matrix[0 * 4 + 2]).toBeCloseTo(direct[5].probability, 6);
    expect(r.matrix[2 * 4 + 0]).toBe(r.matrix[0 * 4 + 2]);
    const one = await searchDegeneratePairs(model, prompt, 'Paris', kn, { topK: 4 });
    expect(one.matrix).toEqual(r.matrix);
  });

  it('pair search: candidates and pairs follow the thresholds on the matrix', async () => {
    const { model } = tinyBert();
    // Thresholds that make both tests bite on this model's numbers.
    const base = await searchDegeneratePairs(model, prompt, 'Paris', kn, { topK: 5 });
    const K = base.neurons.length;
    const singles = Array.from({ length: K }, (_, i) => base.matrix[i * K + i]);
    let partial = false;
    let found = false;
    for (const singleDrop of [0, 0.05, 0.5, 1])
      for (const jointDrop of [0, 0.05, 0.5]) {
        const r = await searchDegeneratePairs(model, prompt, 'Paris', kn, {
          topK: 5,
          singleDrop,
          jointDrop,
        });
        const candidates = singles.flatMap((p, i) => (p >= (1 - singleDrop) * r.p0 ? [i] : []));
        expect(r.candidates).toEqual(candidates);
        const pairs = [];
        for (const a of candidates)
          for (const b of candidates)
            if (a < b && r.matrix[a * K + b] < (1 - jointDrop) * r.p0) pairs.push([a, b]);
        expect(r.pairs.map((p) => [p.a, p.b])).toEqual(pairs);
        for (const p of r.pairs) expect(p.probability).toBe(r.matrix[p.a * K + p.b]);
        partial ||= candidates.length > 0 && candidates.length < K;
        found ||= pairs.length > 0;
      }
    // The grid exercised both outcomes: some neurons out, some pairs in.
    expect(partial).toBe(true);
    expect(found).toBe(true);
    await expect(
      searchDegeneratePairs(model, prompt, 'Paris', kn, { singleDrop: 1.5 }),
    ).rejects.toThrow(RangeError);
  });

  it('clusters: members alone and together, as predict gives them', async () => {
    const { model, config } = tinyBert();
    const r = await findDegenerateClusters(model, prompt, 'Paris', kn, {
      links: 'feed',
      minStrength: 0,
    });
    // Feed links at threshold 0: layers 0-1-2 chain all five into one cluster.
    expect(r.clusters).toHaveLength(1);
    const [c] = r.clusters;
    expect(c.members).toEqual([0, 1, 2, 3, 4]);
    const enc = encodePrompt(config, model.tokenizer, prompt, 'Paris');
    const members = c.members.map((i) => r.neurons[i]);
    const direct = await predict(
      model,
      enc,
      [[], ...members.map((n) => [n]), members].map(suppress),
    );
    expect(r.p0).toBeCloseTo(direct[0].probability, 6);
    c.singles.forEach((p, i) => expect(p).toBeCloseTo(direct[1 + i].probability, 6));
    expect(c.joint).toBeCloseTo(direct[6].probability, 6);
    expect(c.degenerate).toBe(c.singles.every((p) => p >= 0.8 * r.p0) && c.joint < 0.75 * r.p0);
    // Above every strength: no cluster, nothing to verify.
    const none = await findDegenerateClusters(model, prompt, 'Paris', kn, { minStrength: 1.01 });
    expect(none.clusters).toEqual([]);
    expect(none.strength.length).toBe(25);
  });

  it('stops when aborted', async () => {
    const { model } = tinyBert();
    const stop = new AbortController();
    stop.abort(new Error('stopped'));
    await expect(
      searchDegeneratePairs(model, prompt, 'Paris', kn, { signal: stop.signal }),
    ).rejects.toThrow('stopped');
  });
});

/** Three copies (layers 0, 1, 3) and eight copies (two per layer) of one fact each. */
const EXTRA_FACTS: PlantedFactSpec[] = [
  {
    id: 'sky-color',
    relation: 'color',
    subject: { en: 'sky', zh: '天' },
    object: { en: 'blue', zh: '蓝' },
    units: [
      { layer: 0, unit: 5, role: 'shared', group: 'copies' },
      { layer: 1, unit: 8, role: 'shared', group: 'copies' },
      { layer: 3, unit: 9, role: 'shared', group: 'copies' },
    ],
  },
  {
    id: 'sea-color',
    relation: 'color',
    subject: { en: 'sea', zh: '海' },
    object: { en: 'teal', zh: '青' },
    units: [
      [0, 3],
      [0, 4],
      [1, 0],
      [1, 1],
      [2, 2],
      [2, 3],
      [3, 1],
      [3, 2],
    ].map(([layer, unit]) => ({ layer, unit, role: 'shared' as const, group: 'copies' })),
  },
];

const refKey = (n: NeuronRef) => `${n.layer}:${n.unit}`;
const sortedKeys = (ns: NeuronRef[]) => ns.map(refKey).sort();

for (const family of ['gpt2', 'bert'] as const) {
  describe(`planted ${family} model: degenerate groups known by construction`, () => {
    const planted = plantedModel({ family, facts: [...DEFAULT_FACTS, ...EXTRA_FACTS] });
    let model: Model;
    const kn = new Map<string, ScoredNeuron[]>();
    const prompts = planted.truth.facts.flatMap((fact) =>
      LANGUAGES.map((language) => ({ fact, ...fact.prompts[language] })),
    );
    /** The planted group all of whose units fire for the prompt, if any. */
    const activeGroup = (p: (typeof prompts)[number]) =>
      p.fact.degenerateGroups.find((g) =>
        g.every((u) => p.knowledgeNeurons.some((k) => refKey(k) === refKey(u))),
      );

    beforeAll(async () => {
      model = await loadModel(new MemorySource(`planted-${family}`, planted.files), runtime);
      for (const p of prompts) {
        const r = await attribute(model, p.prompt, p.object);
        const selected = selectNeurons(r.scores, r.layers, r.units, {
          tau: defaultTau(p.language),
        });
        // The searches start from the planted KN; the planted model's own tests check AMIG finds them.
        expect(sortedKeys(selected)).toEqual(sortedKeys(p.knowledgeNeurons));
        kn.set(`${p.fact.id}/${p.language}`, selected);
      }
    });
    afterAll(() => model.release());

    it('the pair search finds exactly the planted pairs, and misses degeneracy spread over 8 units', async () => {
      for (const p of prompts) {
        const r = await searchDegeneratePairs(
          model,
          p.prompt,
          p.object,
          kn.get(`${p.fact.id}/${p.language}`)!,
        );
        const found = r.pairs.map((q) => sortedKeys([r.neurons[q.a], r.neurons[q.b]]).join(' '));
        const group = activeGroup(p);
        // Removing two of a group of 2 or 3 copies loses the answer. Removing two of 8 leaves six,
        // which still give a margin of 1.4 (P ~ 0.8 > 0.75 p0): no pair shows it.
        const expected =
          group && group.length <= 3
            ? group.flatMap((a, i) => group.slice(i + 1).map((b) => sortedKeys([a, b]).join(' ')))
            : [];
        expect(found.sort(), `${p.fact.id}/${p.language}`).toEqual(expected.sort());
        // Every unit of a group passes alone; a unit needed on its own does not.
        const candidates = sortedKeys(r.candidates.map((i) => r.neurons[i]));
        expect(candidates).toEqual(group ? sortedKeys(group) : []);
      }
    });

    it('clusters of any size: planted groups come out verified degenerate, needed units not', async () => {
      for (const p of prompts) {
        const r = await findDegenerateClusters(
          model,
          p.prompt,
          p.object,
          kn.get(`${p.fact.id}/${p.language}`)!,
        );
        const group = activeGroup(p);
        const clusters = r.clusters.map((c) => ({
          members: sortedKeys(c.members.map((i) => r.neurons[i])),
          degenerate: c.degenerate,
        }));
        // A prompt's units all write its object: they form one cluster whenever there are two or
        // more. Suppression then tells a degenerate group from units that are each needed.
        const expected =
          p.knowledgeNeurons.length < 2
            ? []
            : [{ members: sortedKeys(p.knowledgeNeurons), degenerate: group !== undefined }];
        expect(clusters, `${p.fact.id}/${p.language}`).toEqual(expected);
        for (const c of r.clusters)
          if (c.degenerate) {
            expect(Math.min(...c.singles)).toBeGreaterThan(0.8 * r.p0);
            expect(c.joint).toBeLessThan(0.01);
          } else expect(Math.max(...c.singles)).toBeLessThan(0.8 * r.p0);
      }
    });

    it("the follow-up work's feed links alone join no planted copies (they are not wired together)", async () => {
      for (const p of prompts) {
        const r = await findDegenerateClusters(
          model,
          p.prompt,
          p.object,
          kn.get(`${p.fact.id}/${p.language}`)!,
          { links: 'feed' },
        );
        expect(r.clusters).toEqual([]);
        expect(r.connections.feed.every((v) => v === 0)).toBe(true);
      }
    });
  });
}
