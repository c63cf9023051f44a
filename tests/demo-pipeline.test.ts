/**
 * The analysis pipeline end to end on the three bundled demo models (public/models), through the
 * worker's own Engine and AnalysisEngine on onnxruntime-node, with a few facts of the bundled
 * fact set in English and Chinese: attribution, language overlap, the intervention lab,
 * degenerate pairs and clusters, a weight edit and its revert, fact checking on one relation,
 * and a dataset run that resumes; then every analysis view rendered from the results. The demo
 * models are retrained from time to time, so the checks are on structure and invariants, not
 * on which neurons come out.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createElement, type ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AttributionResult } from '../src/attribution/attribute';
import { MemoryResultStore } from '../src/analysis/dataset';
import { type Neuron, neuronKey } from '../src/analysis/selection';
import { type Fact, loadFactSet } from '../src/facts';
import { createNodeRuntime } from '../src/runtime/node';
import {
  DegenerateView,
  FactCheckView,
  InterventionLabView,
  LanguageOverlapView,
  LayerDistributionView,
  SelectionFrequencyView,
  WeightEditView,
} from '../src/views/analysis';
import { NodeFolderSource } from '../src/weights/node-source';
import type {
  DatasetAnswer,
  DegenerateAnswer,
  EditAnswer,
  FactCheckAnswer,
  LabResult,
  ModelInfo,
  OverlapAnswer,
} from '../src/worker-api/api';
import { AnalysisEngine } from '../src/worker-api/analysis-engine';
import type { AttributionSettings } from '../src/attribution/settings';
import { Engine } from '../src/worker-api/engine';
import { factSources } from '../src/analysis/neuron-sets';

const runtime = createNodeRuntime({ threads: 1 });
/** Few path steps: the pipeline's structure does not depend on them, and the CPU is shared. */
const settings: AttributionSettings = {
  method: 'amig',
  steps: 4,
  score: 'activation',
  tapMode: 'post-activation',
  multiToken: 'per-token',
};
const tau = {};
const keys = (ns: readonly Neuron[]) => ns.map(neuronKey).sort();
const signal = new AbortController().signal;

let capitals: Fact[];
let continents: Fact[];
beforeAll(async () => {
  const set = await loadFactSet(async (path) => readFileSync(join('data/factset', path), 'utf8'));
  capitals = set.facts.filter((f) => f.relation === 'P36').slice(0, 3);
  continents = set.facts.filter((f) => f.relation === 'P30').slice(0, 5);
});

for (const name of ['demo-bert', 'demo-gpt2']) {
  describe(`the analysis pipeline on ${name}`, { timeout: 600_000 }, () => {
    const store = new MemoryResultStore();
    const engine = new Engine(
      runtime,
      async () => new NodeFolderSource(join('public/models', name)),
    );
    const analyses = new AnalysisEngine(engine, async () => store);
    let info: ModelInfo;
    let map: AttributionResult;
    let overlap: OverlapAnswer;
    let degenerate: DegenerateAnswer;
    let lab: LabResult;
    let edit: EditAnswer;
    let check: FactCheckAnswer;
    let dataset: DatasetAnswer;

    beforeAll(async () => {
      info = await engine.load({ kind: 'bundled', name }, signal);
    });
    afterAll(() => engine.unloadModel());

    it('attributes, then finds each language’s KN and the shared ones, reusing the held map', async () => {
      const fact = capitals[0];
      const en = fact.prompts.find((p) => p.language === 'en')!;
      map = await engine.attribute(
        { runId: 'a', prompt: en.text, object: en.object, settings },
        signal,
      );
      expect(map.scores.length).toBe(info.config.numLayers * info.config.intermediateSize);

      const seen: number[] = [];
      overlap = await analyses.factOverlap(
        { runId: 'o', fact, settings, tau, known: [map] },
        signal,
        (p) => seen.push(p.done / p.total),
      );
      const o = overlap.overlap;
      expect(o.prompts.map((p) => [p.language, p.reused])).toEqual([
        ['en', true],
        ['zh', false],
      ]);
      expect(overlap.computed.map((r) => r.prompt)).toEqual([
        fact.prompts.find((p) => p.language === 'zh')!.text,
      ]);
      expect(seen.at(-1)).toBe(1);
      expect(o.languages.map((l) => [l.language, l.tau])).toEqual([
        ['en', 0.3],
        ['zh', 0.2],
      ]);
      // The exclusive regions partition the union of the KN sets; LIKN is the en ∩ zh region.
      const union = new Set(o.languages.flatMap((l) => keys(l.neurons)));
      const regions = o.overlap.intersections.flatMap((x) => keys(x.neurons));
      expect(regions.sort()).toEqual([...union].sort());
      const both = o.overlap.intersections.find((x) => x.languages.length === 2);
      expect(keys(both?.neurons ?? [])).toEqual(keys(o.overlap.shared));
      for (const l of o.languages) {
        expect(l.neurons.length).toBeGreaterThan(0);
        for (const n of o.overlap.shared) expect(keys(l.neurons)).toContain(neuronKey(n));
      }
    });

    it('searches degenerate pairs and clusters from the held map, and answers again from the store', async () => {
      const en = capitals[0].prompts.find((p) => p.language === 'en')!;
      const prompt = { language: 'en', text: en.text, object: en.object };
      const phases = new Set<string>();
      degenerate = await analyses.degenerate(
        { runId: 'd', prompt, settings, tau, known: map },
        signal,
        (p) => phases.add(p.phase),
      );
      expect(degenerate.computed).toBeNull();
      expect(phases.has('attribution')).toBe(false);
      const r = degenerate.result;
      const enKn = overlap.overlap.languages.find((l) => l.language === 'en')!.neurons;
      expect(keys(r.kn)).toEqual(keys(enKn));
      const K = r.pairs.neurons.length;
      expect(K).toBe(Math.min(20, enKn.length));
      expect(r.pairs.matrix.length).toBe(K * K);
      expect(r.p0).toBeCloseTo(map.probability, 5);
      expect(r.clusters).not.toBeNull();
      for (const g of r.groups) {
        expect(g.neurons.length).toBeGreaterThanOrEqual(2);
        expect(Math.min(...g.singles)).toBeGreaterThanOrEqual(0.8 * r.p0 - 1e-9);
        expect(g.joint).toBeLessThan(0.75 * r.p0);
      }
      const estimate = await analyses.estimateAnalysis({
        kind: 'degenerate',
        prompt,
        settings,
        tau,
      });
      expect(estimate).toMatchObject({ complete: true, blocks: 0, persistent: true });
      const again = await analyses.degenerate({ runId: 'd2', prompt, settings, tau }, signal);
      expect(again.result).toEqual(r);
    });

    it('suppresses and enhances the English KN and measures every language', async () => {
      const sources = factSources(overlap.overlap, degenerate.result);
      const estimate = await analyses.estimateAnalysis({
        kind: 'lab',
        facts: capitals,
        choice: { kind: 'kn', language: 'en' },
        targets: [{ factId: capitals[0].id, sources }],
        settings,
      });
      expect(estimate.complete).toBe(false);
      expect(estimate.blocks).toBeGreaterThan(0);
      lab = await analyses.interventionLab(
        {
          runId: 'l',
          facts: capitals,
          choice: { kind: 'kn', language: 'en' },
          targets: [{ factId: capitals[0].id, sources }],
          settings,
        },
        signal,
      );
      expect(lab.name).toBe('KN en');
      expect(lab.effects.map((e) => e.intervention.kind)).toEqual(['suppress', 'enhance']);
      for (const e of lab.effects) {
        expect(keys(e.intervention.neurons)).toEqual(keys(sources.kn.en));
        expect(e.languages.map((l) => l.language)).toEqual(['en', 'zh']);
        for (const l of e.languages) {
          expect(l.related.length).toBe(1);
          expect(l.unrelated.length).toBe(1);
          expect(capitals.map((f) => f.id)).toContain(l.unrelatedFactId);
          for (const p of [...l.related, ...l.unrelated]) {
            expect(p.before.probability).toBeGreaterThan(0);
            expect(p.after.slots[0].top.length).toBe(5);
            expect(Number.isFinite(p.relativeChange)).toBe(true);
          }
        }
      }
      const en = lab.effects[0].languages[0].related[0];
      expect(en.before.probability).toBeCloseTo(map.probability, 5);
    });

    it('edits the value vectors of the KN, with before/after in every language, and reverts exactly', async () => {
      const fact = capitals[0];
      const neurons = overlap.overlap.languages.find((l) => l.language === 'en')!.neurons;
      const before = await Promise.all(
        fact.prompts.map((p) => engine.predict({ prompt: p.text, object: p.object, topK: 5 })),
      );
      edit = await analyses.applyEdit(
        { runId: 'e', fact, neurons, edit: { kind: 'erase' }, settings, label: 'KN en' },
        signal,
      );
      expect(edit.info.edits.map((e) => e.id)).toEqual([edit.edit.id]);
      expect(edit.info.key).not.toBe(info.key);
      expect(engine.info!.key).toBe(edit.info.key);
      expect(keys(edit.report.neurons)).toEqual(keys(neurons));
      expect(edit.report.prompts.map((p) => p.language)).toEqual(['en', 'zh']);
      for (const [i, p] of edit.report.prompts.entries())
        expect(p.before.probability).toBe(before[i][0].probability);
      // Erasing every English KN changes the English prediction.
      expect(edit.report.prompts[0].after.probability).not.toBe(
        edit.report.prompts[0].before.probability,
      );
      // Nothing computed on the edited model is kept, or taken from what was kept.
      const estimate = await analyses.estimateAnalysis({
        kind: 'degenerate',
        prompt: { language: 'en', text: fact.prompts[0].text, object: fact.prompts[0].object },
        settings,
        tau,
      });
      expect(estimate).toMatchObject({ complete: false, persistent: false });

      const restored = await analyses.revertEdit(edit.edit.id);
      expect(restored).toEqual({ ...info, edits: [] });
      const after = await Promise.all(
        fact.prompts.map((p) => engine.predict({ prompt: p.text, object: p.object, topK: 5 })),
      );
      expect(after).toEqual(before);
      await expect(analyses.revertEdit(edit.edit.id)).rejects.toThrow(/reverted already/);

      // An update towards another object of the relation, measured in both languages.
      const newObjects = { en: fact.wrongObjects!.en[0], zh: fact.wrongObjects!.zh[0] };
      const update = await analyses.applyEdit(
        {
          runId: 'u',
          fact,
          neurons,
          edit: { kind: 'update', newObjects },
          settings,
          label: 'KN en',
        },
        signal,
      );
      expect(update.report).toMatchObject({ kind: 'update', lambda: 2, language: 'en' });
      for (const p of update.report.prompts) {
        expect(p.newObject).toBe(newObjects[p.language as 'en' | 'zh']);
        expect(p.newBefore!.probability).toBeGreaterThan(0);
        expect(p.newAfter!.probability).toBeGreaterThan(0);
      }
      await analyses.revertEdit(update.edit.id);
      const reverted = await Promise.all(
        fact.prompts.map((p) => engine.predict({ prompt: p.text, object: p.object, topK: 5 })),
      );
      expect(reverted).toEqual(before);
    });

    it('checks the facts of one relation with and without DKN', async () => {
      const estimate = await analyses.estimateAnalysis({
        kind: 'factcheck',
        facts: continents,
        relations: ['P30'],
        language: 'en',
        settings,
        tau,
      });
      expect(estimate).toMatchObject({ items: 4, stored: 0, complete: false });
      const phases = new Set<string>();
      check = await analyses.factCheck(
        { runId: 'f', facts: continents, relations: ['P30'], language: 'en', settings, tau },
        signal,
        (p) => phases.add(p.phase),
      );
      expect([...phases]).toEqual(['train', 'test']);
      expect(check.persistent).toBe(true);
      expect(check.relations.map((r) => [r.relation, r.train.length, r.test.length])).toEqual([
        ['P30', 4, 1],
      ]);
      const [r] = check.relations;
      expect(r.items.length).toBe(1);
      const c = r.baseline.confusion;
      expect(c.tp + c.fp + c.fn + c.tn).toBe(2);
      if (r.withDkn) {
        const d = r.withDkn.confusion;
        expect(d.tp + d.fp + d.fn + d.tn).toBe(2);
      }
      for (const m of [r.baseline.f1, r.baseline.precision, r.baseline.recall])
        if (m !== null) expect(m).toBeGreaterThanOrEqual(0);
      expect(
        (
          await analyses.estimateAnalysis({
            kind: 'factcheck',
            facts: continents,
            relations: ['P30'],
            language: 'en',
            settings,
            tau,
          })
        ).complete,
      ).toBe(true);
    });

    it('runs the facts x languages of a data set with DKN, stops, and resumes', async () => {
      const call = { facts: capitals, settings, tau, degenerate: true };
      const stop = new AbortController();
      await expect(
        analyses.datasetRun({ runId: 'r1', ...call }, stop.signal, (p) => {
          if (p.done === 2 && !p.current) stop.abort(new DOMException('stop', 'AbortError'));
        }),
      ).rejects.toThrow('stop');
      const estimate = await analyses.estimateAnalysis({ kind: 'dataset', ...call });
      expect(estimate).toMatchObject({ items: 6, stored: 2, complete: false, persistent: true });
      const reused: number[] = [];
      dataset = await analyses.datasetRun({ runId: 'r2', ...call }, signal, (p) =>
        reused.push(p.reused),
      );
      expect(reused[0]).toBe(2);
      expect(dataset.records.map((r) => `${r.factId}/${r.language}`)).toEqual(
        capitals.flatMap((f) => [`${f.id}/en`, `${f.id}/zh`]),
      );
      expect(dataset.degenerate.length).toBe(6);
      const agg = dataset.aggregates.overall;
      expect(agg.facts).toBe(3);
      expect(dataset.aggregates.relations.map((r) => r.relation)).toEqual(['P36']);
      for (const language of ['en', 'zh']) {
        const kn = dataset.records.filter((r) => r.language === language);
        const total = kn.reduce((s, r) => s + r.neurons.length, 0);
        expect(agg.kn[language].reduce((a, b) => a + b, 0)).toBe(total);
        expect(agg.frequency[language].reduce((a, b) => a + b, 0)).toBe(total);
        expect(agg.likn.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(total);
      }
      expect(agg.liknFacts).toBe(3);
      expect((await analyses.estimateAnalysis({ kind: 'dataset', ...call })).complete).toBe(true);
    });

    it('renders every analysis view from the results', () => {
      const context = { model: info.id, subject: 'demo facts' };
      const views: [string, ReactElement][] = [
        [
          'overlap-view',
          createElement(LanguageOverlapView, { overlap: overlap.overlap.overlap, context }),
        ],
        ['degenerate-view', createElement(DegenerateView, { result: degenerate.result, context })],
        [
          'lab-view',
          createElement(InterventionLabView, {
            sources: factSources(overlap.overlap, degenerate.result),
            layers: info.config.numLayers,
            units: info.config.intermediateSize,
            context,
            result: lab,
            onRun: () => {},
          }),
        ],
        ['edit-view', createElement(WeightEditView, { report: edit.report, context })],
        ['factcheck-view', createElement(FactCheckView, { report: check, context })],
        [
          'layer-distribution-view',
          createElement(LayerDistributionView, {
            aggregates: dataset.aggregates,
            languages: dataset.languages,
            context,
            degenerateSearched: true,
          }),
        ],
        [
          'frequency-view',
          createElement(SelectionFrequencyView, {
            aggregates: dataset.aggregates,
            layers: info.config.numLayers,
            units: info.config.intermediateSize,
            context,
          }),
        ],
      ];
      for (const [testId, view] of views) {
        const html = renderToStaticMarkup(view);
        expect(html, testId).toContain(`data-testid="${testId}"`);
        expect(html, testId).toContain('<svg');
        expect(html, testId).not.toContain('NaN');
      }
    });
  });
}
