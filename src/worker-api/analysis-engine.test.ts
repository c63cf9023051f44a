/**
 * The analysis calls as the worker makes them (AnalysisEngine on the Engine), on the planted
 * GPT-2 model whose shared and duplicated units are known: the overlap and the degenerate groups
 * are exactly the planted ones through the call path too; results are stored per model key and
 * answered again from the store; weight edits mark the model, keep nothing while applied, undo
 * in order, and are all reverted (their tensors freed) before the model is unloaded.
 */
import { countingRuntime } from '../../tests/util/counting-runtime';
import { describe, expect, it } from 'vitest';
import { type NeuronRef, plantedFacts, plantedModel } from '../../tests/planted/planted';
import { MemoryResultStore } from '../analysis/dataset';
import type { Runtime } from '../runtime/runtime';
import { createNodeRuntime } from '../runtime/node';
import { MemorySource } from '../weights/memory-source';
import { AnalysisEngine, scopedStore } from './analysis-engine';
import type { AttributionSettings } from '../attribution/settings';
import { Engine } from './engine';

const planted = plantedModel({ family: 'gpt2' });
const { truth } = planted;
const facts = plantedFacts(truth);
const settings: AttributionSettings = {
  method: 'amig',
  steps: 20,
  score: 'activation',
  tapMode: 'post-activation',
  multiToken: 'per-token',
};
const keys = (ns: readonly NeuronRef[]) => ns.map((n) => `${n.layer}:${n.unit}`).sort();
const signal = new AbortController().signal;

async function setup(runtime: Runtime = createNodeRuntime({ threads: 1 })) {
  const store = new MemoryResultStore();
  const engine = new Engine(runtime, async () => new MemorySource('planted', planted.files));
  const analyses = new AnalysisEngine(engine, async () => store);
  const info = await engine.load({ kind: 'bundled', name: 'planted' }, signal);
  return { store, engine, analyses, info };
}

describe('scopedStore', () => {
  it('keeps each scope’s keys apart and lists them without the scope', async () => {
    const base = new MemoryResultStore();
    const a = scopedStore(base, 'model#1');
    const b = scopedStore(base, 'model#2');
    await a.put('kn/v1/x', 1);
    await b.put('kn/v1/x', 2);
    expect(await a.get('kn/v1/x')).toBe(1);
    expect(await b.get('kn/v1/x')).toBe(2);
    expect(await a.keys('kn/')).toEqual(['kn/v1/x']);
    expect(await base.keys('')).toHaveLength(2);
  });
});

describe('AnalysisEngine on the planted model', () => {
  it('finds the planted shared units and degenerate groups, and answers again from the store', async () => {
    const { store, analyses, info } = await setup();
    const france = facts.find((f) => f.id === 'france-capital')!;
    const fact = truth.facts.find((f) => f.id === 'france-capital')!;
    const { overlap } = await analyses.factOverlap(
      { runId: 'o', fact: france, settings, tau: {} },
      signal,
    );
    expect(keys(overlap.overlap.shared)).toEqual(keys(fact.shared));

    const snow = truth.facts.find((f) => f.degenerateGroups.length)!;
    const p = snow.prompts.en;
    const prompt = { language: 'en', text: p.prompt, object: p.object };
    const call = { prompt, settings, tau: {} };
    expect(await analyses.estimateAnalysis({ kind: 'degenerate', ...call })).toMatchObject({
      complete: false,
      persistent: true,
    });
    const first = await analyses.degenerate({ runId: 'd', ...call }, signal);
    expect(first.computed?.prompt).toBe(p.prompt);
    expect(first.result.groups.map((g) => keys(g.neurons).join(' ')).sort()).toEqual(
      snow.degenerateGroups.map((g) => keys(g).join(' ')).sort(),
    );
    // Stored under the model's key: complete now, and answered without attributing.
    expect((await store.keys(encodeURIComponent(info.key))).length).toBeGreaterThan(0);
    expect(await analyses.estimateAnalysis({ kind: 'degenerate', ...call })).toMatchObject({
      complete: true,
    });
    const phases: string[] = [];
    const again = await analyses.degenerate({ runId: 'd2', ...call }, signal, (e) =>
      phases.push(e.phase),
    );
    expect(phases).toEqual([]);
    expect(again.computed).toBeNull();
    expect(again.result).toEqual(first.result);
  });

  it('marks an edited model, keeps nothing while edited, and undoes edits last-first', async () => {
    const { store, engine, analyses, info } = await setup();
    const france = facts.find((f) => f.id === 'france-capital')!;
    const shared = truth.facts.find((f) => f.id === 'france-capital')!.shared;
    const a = await analyses.applyEdit(
      {
        runId: 'e1',
        fact: france,
        neurons: shared,
        edit: { kind: 'erase' },
        settings,
        label: 'LIKN',
      },
      signal,
    );
    // The shared unit carries the fact in both languages: erasing it loses both.
    for (const p of a.report.prompts)
      expect(p.after.probability).toBeLessThan(0.1 * p.before.probability);
    const b = await analyses.applyEdit(
      {
        runId: 'e2',
        fact: france,
        neurons: shared,
        edit: { kind: 'erase' },
        settings,
        label: 'again',
      },
      signal,
    );
    expect(b.info.edits.map((e) => e.label)).toEqual(['LIKN', 'again']);
    expect(b.info.key).not.toBe(a.info.key);

    const stored = (await store.keys('')).length;
    const run = await analyses.datasetRun(
      { runId: 'r', facts: facts.slice(0, 1), settings, tau: {}, degenerate: false },
      signal,
    );
    expect(run.persistent).toBe(false);
    expect((await store.keys('')).length).toBe(stored);

    await expect(analyses.revertEdit(a.edit.id)).rejects.toThrow(/revert that edit first/);
    expect((await analyses.revertEdit(b.edit.id)).edits.map((e) => e.label)).toEqual(['LIKN']);
    expect(await analyses.revertEdit(a.edit.id)).toEqual(info);
    expect(engine.info).toEqual(info);
  });

  it('reverts every edit before unloading, so no edited tensor outlives the model', async () => {
    const { runtime, live } = countingRuntime();
    const { engine, analyses } = await setup(runtime);
    const france = facts.find((f) => f.id === 'france-capital')!;
    for (const runId of ['e1', 'e2'])
      await analyses.applyEdit(
        {
          runId,
          fact: france,
          neurons: [{ layer: 1, unit: 3 }],
          edit: { kind: 'erase' },
          settings,
          label: runId,
        },
        signal,
      );
    expect(engine.info!.edits).toHaveLength(2);
    await engine.unloadModel();
    expect(engine.info).toBeUndefined();
    expect(live.size).toBe(0);
  });
});
