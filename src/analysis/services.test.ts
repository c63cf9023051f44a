/**
 * The analysis services on the planted models (tests/planted), whose knowledge neurons, shared
 * units and degenerate groups are known by construction: each service must return exactly them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LANGUAGES, type NeuronRef, plantedFacts, plantedModel } from '../../tests/planted/planted';
import { attribute } from '../attribution/attribute';
import { type Model, loadModel } from '../model';
import { type DatasetProgress, MemoryResultStore } from './dataset';
import type { PairSearchResult } from './degenerate';
import { createNodeRuntime } from '../runtime/node';
import { MemorySource } from '../weights/memory-source';
import { type NeuronSetSources, sourcesFromDataset } from './neuron-sets';
import {
  degenerateForPrompt,
  degenerateGroups,
  factCheckRelations,
  factOverlap,
  interventionLab,
  runDatasetService,
} from './services';

const runtime = createNodeRuntime({ threads: 1 });
const keys = (ns: readonly NeuronRef[]) => ns.map((n) => `${n.layer}:${n.unit}`).sort();
const n = (layer: number, unit: number) => ({ layer, unit });

describe('degenerateGroups', () => {
  const search: PairSearchResult = {
    p0: 0.9,
    neurons: [
      { ...n(3, 4), score: 1 },
      { ...n(0, 2), score: 0.9 },
      { ...n(1, 1), score: 0.8 },
    ],
    // Diagonal: singles; off-diagonal: joint.
    matrix: Float64Array.from([0.85, 0.1, 0.5, 0.1, 0.88, 0.6, 0.5, 0.6, 0.3]),
    candidates: [0, 1],
    pairs: [{ a: 0, b: 1, probability: 0.1 }],
    singleDrop: 0.2,
    jointDrop: 0.25,
  };

  it('lists pairs with their singles and merges a cluster with the same members', () => {
    expect(degenerateGroups(search, null)).toEqual([
      { neurons: [n(3, 4), n(0, 2)], source: 'pair', singles: [0.85, 0.88], joint: 0.1 },
    ]);
    const clusters = {
      neurons: [
        { ...n(0, 2), score: 0.9 },
        { ...n(3, 4), score: 1 },
        { ...n(2, 2), score: 0.5 },
        { ...n(2, 3), score: 0.4 },
      ],
      clusters: [
        { members: [0, 1], singles: [0.88, 0.85], joint: 0.1, degenerate: true },
        { members: [2, 3], singles: [0.8, 0.8], joint: 0.2, degenerate: true },
        { members: [0, 2], singles: [0.1, 0.8], joint: 0.05, degenerate: false },
      ],
    } as unknown as Parameters<typeof degenerateGroups>[1];
    expect(degenerateGroups(search, clusters)).toEqual([
      { neurons: [n(3, 4), n(0, 2)], source: 'both', singles: [0.85, 0.88], joint: 0.1 },
      { neurons: [n(2, 2), n(2, 3)], source: 'cluster', singles: [0.8, 0.8], joint: 0.2 },
    ]);
  });
});

for (const family of ['gpt2', 'bert'] as const) {
  describe(`services on the planted ${family} model`, () => {
    const planted = plantedModel({ family });
    const { truth } = planted;
    const facts = plantedFacts(truth, { wrongObjects: true });
    let model: Model;
    beforeAll(async () => {
      model = await loadModel(new MemorySource(`planted-${family}`, planted.files), runtime);
    });
    afterAll(() => model.release());

    it('overlap: LIKN is the shared units, the exclusive regions the language-only units', async () => {
      for (const fact of truth.facts) {
        const progress: number[] = [];
        const r = await factOverlap(
          model,
          { fact: facts.find((f) => f.id === fact.id)! },
          { onProgress: (p) => progress.push(p.done / p.total) },
        );
        expect(r.failures).toEqual([]);
        expect([r.layers, r.units]).toEqual([truth.layers, truth.unitsPerLayer]);
        expect(r.languages.map((l) => [l.language, l.tau])).toEqual([
          ['en', 0.3],
          ['zh', 0.2],
        ]);
        expect(keys(r.overlap.shared), fact.id).toEqual(keys(fact.shared));
        const region = (langs: string[]) =>
          r.overlap.intersections.find((x) => x.languages.join() === langs.join())?.neurons ?? [];
        expect(keys(region(['en', 'zh']))).toEqual(keys(fact.shared));
        for (const lang of LANGUAGES)
          expect(keys(region([lang])), `${fact.id} ${lang}-only`).toEqual(
            keys(fact.units.filter((u) => u.role === `${lang}-only`)),
          );
        expect(progress.at(-1)).toBe(1);
        expect(progress.every((x, i) => i === 0 || x >= progress[i - 1])).toBe(true);
      }
    });

    it('overlap reuses known maps of the same settings only', async () => {
      const fact = facts[0];
      const en = fact.prompts[0];
      const known = await attribute(model, en.text, en.object);
      const other = await attribute(model, en.text, en.object, { steps: 4 });
      const r = await factOverlap(model, { fact, known: [other, known] });
      expect(r.prompts.map((p) => [p.language, p.reused])).toEqual([
        ['en', true],
        ['zh', false],
      ]);
      expect(r.prompts[0].scores).toBe(known.scores);
      const fresh = await factOverlap(model, { fact, known: [other] });
      expect(fresh.prompts.map((p) => p.reused)).toEqual([false, false]);
      expect(keys(fresh.overlap.shared)).toEqual(keys(r.overlap.shared));
    });

    it('degenerate: the pairs and verified clusters are the planted groups', async () => {
      for (const fact of truth.facts)
        for (const language of LANGUAGES) {
          const p = fact.prompts[language];
          const r = await degenerateForPrompt(model, {
            prompt: { language, text: p.prompt, object: p.object },
          });
          const label = `${fact.id} ${language}`;
          expect(keys(r.kn), label).toEqual(keys(p.knowledgeNeurons));
          const expected = fact.degenerateGroups
            .filter((g) =>
              g.every((u) =>
                p.knowledgeNeurons.some((k) => k.layer === u.layer && k.unit === u.unit),
              ),
            )
            .map((g) => keys(g).join(' '));
          expect(r.groups.map((g) => keys(g.neurons).join(' ')).sort(), label).toEqual(
            expected.sort(),
          );
          for (const g of r.groups) {
            expect(g.source, label).toBe('both');
            expect(Math.min(...g.singles)).toBeGreaterThanOrEqual(0.8 * r.p0);
            expect(g.joint).toBeLessThan(0.75 * r.p0);
          }
          const K = r.pairs.neurons.length;
          expect(r.pairs.matrix.length).toBe(K * K);
        }
    });

    it('degenerate from given KN skips the attribution and finds the same pairs', async () => {
      const snow = truth.facts.find((f) => f.id === 'snow-color')!;
      const p = snow.prompts.en;
      const prompt = { language: 'en', text: p.prompt, object: p.object };
      const computed = await degenerateForPrompt(model, { prompt, clusters: false });
      const phases = new Set<string>();
      const given = await degenerateForPrompt(
        model,
        { prompt, kn: computed.kn, clusters: false },
        { onProgress: (e) => phases.add(e.phase) },
      );
      expect([...phases]).toEqual(['pairs']);
      expect(given.clusters).toBeNull();
      expect(given.pairs.pairs).toEqual(computed.pairs.pairs);
    });

    it('intervention lab: LIKN acts on both languages, a language-only set on its own', async () => {
      const france = facts.find((f) => f.id === 'france-capital')!;
      const overlap = await factOverlap(model, { fact: france });
      const sources: NeuronSetSources = {
        kn: Object.fromEntries(overlap.languages.map((l) => [l.language, l.neurons])),
        degenerate: [],
      };
      const targets = [{ factId: france.id, sources }];
      const mean = (r: Awaited<ReturnType<typeof interventionLab>>, kind: string, lang: string) =>
        r.effects
          .find((e) => e.intervention.kind === kind)!
          .languages.find((l) => l.language === lang)!;

      const likn = await interventionLab(model, { facts, choice: { kind: 'likn' }, targets });
      expect(likn.name).toBe('LIKN');
      expect(likn.effects.map((e) => [e.factId, e.intervention.kind])).toEqual([
        [france.id, 'suppress'],
        [france.id, 'enhance'],
      ]);
      expect(keys(likn.effects[0].intervention.neurons)).toEqual(['1:3']);
      for (const lang of LANGUAGES) {
        const s = mean(likn, 'suppress', lang);
        expect(s.meanRelated).toBeLessThan(-0.9);
        expect(Math.abs(s.meanUnrelated)).toBeLessThan(1e-3);
        expect(s.related[0].after.slots[0].top.length).toBe(5);
        expect(mean(likn, 'enhance', lang).meanRelated).toBeGreaterThan(-1e-4);
      }

      const enOnly = await interventionLab(model, {
        facts,
        choice: { kind: 'custom', neurons: [n(2, 5)] },
        targets,
        kinds: ['suppress'],
      });
      expect(mean(enOnly, 'suppress', 'en').meanRelated).toBeLessThan(-0.9);
      expect(Math.abs(mean(enOnly, 'suppress', 'zh').meanRelated)).toBeLessThan(1e-3);
    });

    it('intervention lab over a dataset run: every fact with a non-empty set, per relation', async () => {
      const run = await runDatasetService(model, { facts, degenerate: true });
      const sources = sourcesFromDataset(run.records, run.degenerate);
      const targets = facts.map((f) => ({ factId: f.id, sources: sources[f.id] }));
      const r = await interventionLab(model, {
        facts,
        choice: { kind: 'likn' },
        targets,
        kinds: ['suppress'],
      });
      // hot-opposite has no language-independent neuron.
      expect(r.empty).toEqual(['hot-opposite']);
      expect(r.effects.map((e) => [e.factId, e.relation])).toEqual(
        truth.facts.filter((f) => f.shared.length).map((f) => [f.id, f.relation]),
      );
      const dkn = await interventionLab(model, {
        facts,
        choice: { kind: 'dkn', group: 'all' },
        targets,
        kinds: ['suppress'],
      });
      expect(dkn.effects.map((e) => [e.factId, keys(e.intervention.neurons)])).toEqual(
        truth.facts
          .filter((f) => f.degenerateGroups.length)
          .map((f) => [f.id, keys(f.degenerateGroups.flat())]),
      );
    });

    it('fact checking runs on the chosen relations only', async () => {
      const all = await factCheckRelations(model, { facts, language: 'en' });
      // Only 'color' has more than one fact, so only it has wrong objects to check against.
      expect(all.relations.map((r) => r.relation)).toEqual(['color']);
      const none = await factCheckRelations(model, {
        facts,
        language: 'en',
        relations: ['capital'],
      });
      expect(none.relations).toEqual([]);
      const store = new MemoryResultStore();
      const color = await factCheckRelations(
        model,
        { facts, language: 'en', relations: ['color'] },
        { store },
      );
      expect(color.relations.map((r) => r.relation)).toEqual(['color']);
      expect(color.overall).toEqual(all.overall);
      expect((await store.keys('check/')).length).toBe(color.relations[0].test.length);
    });

    it('dataset runs aggregate the planted units per layer and resume after an abort', async () => {
      const store = new MemoryResultStore();
      const controller = new AbortController();
      const seen: DatasetProgress[] = [];
      await expect(
        runDatasetService(
          model,
          { facts },
          {
            store,
            signal: controller.signal,
            onProgress: (p) => {
              seen.push(p);
              if (p.done === 3) controller.abort(new DOMException('stop', 'AbortError'));
            },
          },
        ),
      ).rejects.toThrow('stop');
      const resumed: DatasetProgress[] = [];
      const run = await runDatasetService(
        model,
        { facts },
        { store, onProgress: (p) => resumed.push(p) },
      );
      expect(resumed[0].reused).toBe(3);
      expect(run.records.length).toBe(facts.length * 2);
      expect(run.languages).toEqual(['en', 'zh']);
      const perLayer = (units: NeuronRef[]) => {
        const out = new Array(truth.layers).fill(0);
        for (const u of units) out[u.layer]++;
        return out;
      };
      for (const lang of LANGUAGES)
        expect(run.aggregates.overall.kn[lang]).toEqual(
          perLayer(truth.facts.flatMap((f) => f.prompts[lang].knowledgeNeurons)),
        );
      expect(run.aggregates.overall.likn).toEqual(perLayer(truth.facts.flatMap((f) => f.shared)));
      const freq = run.aggregates.overall.frequency.en;
      expect(freq[1 * truth.unitsPerLayer + 3]).toBe(1);
      expect(run.aggregates.relations.map((r) => r.relation)).toEqual([
        'capital',
        'color',
        'opposite',
      ]);
    });
  });
}
