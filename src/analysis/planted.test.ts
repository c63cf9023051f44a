/**
 * The analyses on planted models, whose knowledge neurons are known by construction
 * (tests/planted): selection, LIKN and the exclusive intersections must recover the planted
 * units, and interventions and edits on them must hit their fact and spare the others.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LANGUAGES, type NeuronRef, plantedFacts, plantedModel } from '../../tests/planted/planted';
import { attribute } from '../attribution/attribute';
import { type Model, loadModel } from '../model';
import { createNodeRuntime } from '../runtime/node';
import { MemorySource } from '../weights/memory-source';
import { editFact } from './edits';
import {
  type Intervention,
  aggregateEffects,
  crossLingualEffects,
  interventionEffects,
} from './interventions';
import { languageOverlap } from './overlap';
import { type LanguageNeurons, type Neuron, knowledgeNeuronsByLanguage } from './selection';

const runtime = createNodeRuntime({ threads: 1 });
const keys = (ns: readonly NeuronRef[]) => ns.map((n) => `${n.layer}:${n.unit}`).sort();

for (const family of ['gpt2', 'bert'] as const) {
  describe(`analyses on the planted ${family} model`, () => {
    const planted = plantedModel({ family });
    const { truth } = planted;
    const facts = plantedFacts(truth);
    let model: Model;
    /** Per fact: its knowledge neurons per language, with the default thresholds. */
    const kn = new Map<string, LanguageNeurons[]>();
    const knOf = (factId: string) =>
      Object.fromEntries(kn.get(factId)!.map((l) => [l.language, l.neurons])) as Record<
        string,
        Neuron[]
      >;

    beforeAll(async () => {
      model = await loadModel(new MemorySource(`planted-${family}`, planted.files), runtime);
      for (const fact of facts) {
        const maps = [];
        for (const p of fact.prompts)
          maps.push({
            language: p.language,
            scores: (await attribute(model, p.text, p.object)).scores,
          });
        kn.set(fact.id, knowledgeNeuronsByLanguage(maps, truth.layers, truth.unitsPerLayer));
      }
    });
    afterAll(() => model.release());

    it('knowledge neurons per language (en 0.3, zh 0.2) are the planted units', () => {
      for (const fact of truth.facts) {
        const got = kn.get(fact.id)!;
        expect(got.map((l) => [l.language, l.tau])).toEqual([
          ['en', 0.3],
          ['zh', 0.2],
        ]);
        for (const l of got)
          expect(keys(l.neurons), `${fact.id} ${l.language}`).toEqual(
            keys(fact.prompts[l.language as 'en' | 'zh'].knowledgeNeurons),
          );
      }
    });

    it('LIKN are the shared units; the exclusive regions are the language-only units', () => {
      for (const fact of truth.facts) {
        const overlap = languageOverlap(knOf(fact.id));
        expect(keys(overlap.shared), fact.id).toEqual(keys(fact.shared));
        const region = (languages: string[]) =>
          overlap.intersections.find((x) => x.languages.join() === languages.join())?.neurons ?? [];
        expect(keys(region(['en', 'zh']))).toEqual(keys(fact.shared));
        for (const lang of LANGUAGES)
          expect(keys(region([lang])), `${fact.id} ${lang}-only`).toEqual(
            keys(fact.units.filter((u) => u.role === `${lang}-only`)),
          );
      }
      // hot-opposite has no language-independent neuron at all.
      expect(languageOverlap(knOf('hot-opposite')).shared).toEqual([]);
    });

    it("suppressing a fact's knowledge neurons hurts it far more than an unrelated fact", async () => {
      const all = [];
      for (const fact of truth.facts) {
        const union = [...knOf(fact.id).en, ...knOf(fact.id).zh];
        const interventions: Intervention[] = [
          { name: 'kn', kind: 'suppress', neurons: union },
          { name: 'kn', kind: 'enhance', neurons: union },
        ];
        const { effects, warnings } = await interventionEffects(
          model,
          facts,
          fact.id,
          interventions,
        );
        expect(warnings).toEqual([]);
        for (const lang of effects[0].languages) {
          expect(lang.unrelatedFactId).not.toBe(fact.id);
          // Degenerate copies removed together lose the answer as needed units do.
          expect(lang.meanRelated, `${fact.id} ${lang.language}`).toBeLessThan(-0.9);
          expect(Math.abs(lang.meanUnrelated)).toBeLessThan(1e-3);
        }
        // The planted model is already sure of its answers: enhancing cannot add much, but
        // never takes anything away.
        for (const lang of effects[1].languages) expect(lang.meanRelated).toBeGreaterThan(-1e-4);
        all.push(...effects);
      }
      for (const mode of ['plain', 'reference'] as const)
        for (const row of aggregateEffects(all, { mode, byRelation: false }))
          if (row.kind === 'suppress') {
            expect(row.facts).toBe(truth.facts.length);
            expect(Math.abs(row.related)).toBeGreaterThan(1000 * Math.abs(row.unrelated));
          }
    });

    it('cross-lingual: language-only units act on their language, LIKN on both', async () => {
      const fact = truth.facts.find((f) => f.id === 'france-capital')!;
      const overlap = languageOverlap(knOf(fact.id));
      const only = (lang: string) =>
        overlap.intersections.find((x) => x.languages.join() === lang)!.neurons;
      const { effects } = await crossLingualEffects(
        model,
        facts,
        fact.id,
        { en: only('en'), zh: only('zh') },
        { kinds: ['suppress'] },
      );
      const drop = (source: string, target: string) =>
        effects
          .find((e) => e.intervention.name === source)!
          .languages.find((l) => l.language === target)!.meanRelated;
      // The intersection of the two exclusive sets is empty: 'LIKN' here suppresses nothing.
      expect(drop('LIKN', 'en')).toBe(0);
      expect(drop('en', 'en')).toBeLessThan(-0.9);
      expect(Math.abs(drop('en', 'zh'))).toBeLessThan(1e-3);
      expect(drop('zh', 'zh')).toBeLessThan(-0.9);
      expect(Math.abs(drop('zh', 'en'))).toBeLessThan(1e-3);
      const shared = await crossLingualEffects(model, facts, fact.id, knOf(fact.id), {
        kinds: ['suppress'],
      });
      const likn = shared.effects.find((e) => e.intervention.name === 'LIKN')!;
      expect(keys(likn.intervention.neurons)).toEqual(keys(fact.shared));
      for (const l of likn.languages) expect(l.meanRelated).toBeLessThan(-0.9);
    });

    it("erasing a fact's LIKN value vectors removes it in both languages, and revert restores it", async () => {
      const fact = facts.find((f) => f.id === 'france-capital')!;
      const likn = languageOverlap(knOf(fact.id)).shared;
      const { handle, report } = await editFact(model, fact, likn, { kind: 'erase' });
      expect(report.prompts.map((p) => p.language)).toEqual(['en', 'zh']);
      for (const p of report.prompts) {
        expect(p.before.probability).toBeGreaterThan(0.98);
        expect(p.after.probability).toBeLessThan(0.1 * p.before.probability);
        expect(p.after.slots[0].top[0].id).not.toBe(p.after.slots[0].tokenId);
      }
      // Another fact, stored elsewhere, is untouched by the erase.
      const other = facts.find((f) => f.id === 'snow-color')!;
      const { effects } = await interventionEffects(model, facts, other.id, [
        { name: 'none', kind: 'suppress', neurons: [] },
      ]);
      for (const l of effects[0].languages)
        for (const e of l.related) expect(e.before.probability).toBeGreaterThan(0.98);
      await handle.revert();
      const again = await editFact(model, fact, [], { kind: 'erase' });
      await again.handle.revert();
      again.report.prompts.forEach((p, i) =>
        expect(p.before.probability).toBe(report.prompts[i].before.probability),
      );
    });

    it("update moves a fact's knowledge neurons from the old object to the new one", async () => {
      const fact = facts.find((f) => f.id === 'france-capital')!;
      const neurons = truth.facts.find((f) => f.id === fact.id)!.units;
      const { handle, report } = await editFact(model, fact, neurons, {
        kind: 'update',
        newObjects: { en: 'white', zh: '白' },
      });
      expect([report.language, report.lambda]).toEqual(['en', 2]);
      const en = report.prompts.find((p) => p.language === 'en')!;
      expect(en.newBefore!.probability).toBeLessThan(1e-3);
      expect(en.newAfter!.probability).toBeGreaterThan(0.9);
      expect(en.after.slots[0].top[0].id).toBe(en.newAfter!.slots[0].tokenId);
      // The direction came from English embeddings: the Chinese prompt loses 巴黎 too.
      for (const p of report.prompts) expect(p.after.probability).toBeLessThan(1e-3);
      await handle.revert();
      const clean = await editFact(model, fact, [], { kind: 'erase' });
      await clean.handle.revert();
      clean.report.prompts.forEach((p, i) =>
        expect(p.after.probability).toBe(report.prompts[i].before.probability),
      );
    });
  });
}
