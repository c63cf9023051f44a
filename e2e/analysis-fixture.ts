/**
 * The analysis views' data, computed in the test process by the real services on planted models
 * (tests/planted) with onnxruntime-node, as the worker would compute them in the browser. The
 * planted BERT model stores the default facts plus "sea-color", four degenerate copies (one per
 * layer), so that the degenerate view has a cluster of four. Overlaps of three and five languages
 * are languageOverlap of hand-made sets: the planted models have two languages.
 */
import { languageOverlap, type LanguageOverlap } from '../src/analysis/overlap';
import type { Neuron } from '../src/analysis/selection';
import { loadModel } from '../src/model';
import type { Fact } from '../src/facts/types';
import { createNodeRuntime } from '../src/runtime/node';
import { MemorySource } from '../src/weights/memory-source';
import { type NeuronSetSources, sourcesFromDataset } from '../src/analysis/neuron-sets';
import {
  type DatasetRun,
  type DegenerateResult,
  type FactOverlap,
  type LabResult,
  degenerateForPrompt,
  factCheckRelations,
  factOverlap,
  interventionLab,
  runDatasetService,
} from '../src/analysis/services';
import type { FactCheckReport } from '../src/analysis/factcheck';
import {
  DEFAULT_FACTS,
  LANGUAGES,
  type PlantedFactSpec,
  plantedModel,
} from '../tests/planted/planted';

export const SEA: PlantedFactSpec = {
  id: 'sea-color',
  relation: 'color',
  subject: { en: 'sea', zh: '海' },
  object: { en: 'blue', zh: '蓝' },
  units: [0, 1, 2, 3].map((layer) => ({ layer, unit: 10, role: 'shared', group: 'copies' })),
};

/** Text a user could type (a language code, a relation id, a prompt), which must stay text. */
export const HOSTILE = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

export interface AnalysisFixture {
  model: string;
  layers: number;
  units: number;
  facts: Fact[];
  overlap: FactOverlap;
  overlap3: LanguageOverlap;
  overlap5: LanguageOverlap;
  dataset: DatasetRun;
  labSources: NeuronSetSources;
  lab: LabResult;
  /** The lab over every fact of the data set: the per-relation bars. */
  labAll: LabResult;
  degenerate: DegenerateResult;
  factCheck: FactCheckReport;
  /** mGPT's shape (24 x 8192): selection counts of 400 facts, seeded, for the binned heatmap. */
  largeFrequency: { layers: number; units: number; facts: number; counts: Uint32Array };
  /** The same results with user text replaced by markup. */
  hostile: {
    overlap: LanguageOverlap;
    dataset: DatasetRun;
    lab: LabResult;
    degenerate: DegenerateResult;
    factCheck: FactCheckReport;
  };
}

/** A copy of the results in which every user-typed string is markup. */
function hostile(f: Omit<AnalysisFixture, 'hostile'>): AnalysisFixture['hostile'] {
  const rename = <T extends { relation: string | null }>(x: T): T => ({ ...x, relation: HOSTILE });
  return {
    overlap: languageOverlap({
      en: ns([1, 3], [2, 5]),
      [HOSTILE]: ns([1, 3], [0, 7]),
    }),
    dataset: {
      ...f.dataset,
      aggregates: {
        ...f.dataset.aggregates,
        relations: f.dataset.aggregates.relations.map(rename),
      },
    },
    lab: {
      ...f.lab,
      effects: f.lab.effects.map((e) => ({
        ...e,
        factId: HOSTILE,
        relation: HOSTILE,
        languages: e.languages.map((l) => ({
          ...l,
          unrelatedFactId: HOSTILE,
          related: l.related.map((p) => ({ ...p, text: `${HOSTILE} [MASK]`, object: '<b>x</b>' })),
        })),
      })),
    },
    degenerate: { ...f.degenerate, text: `${HOSTILE} [MASK]`, object: '<b>x</b>' },
    factCheck: { ...f.factCheck, relations: f.factCheck.relations.map(rename) },
  };
}

const ns = (...pairs: [number, number][]): Neuron[] =>
  pairs.map(([layer, unit]) => ({ layer, unit }));

function largeFrequency() {
  const layers = 24;
  const units = 8192;
  const counts = new Uint32Array(layers * units);
  let s = 7;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  // Most neurons are picked rarely; a few hundred in the upper layers often, as in the paper.
  for (let k = 0; k < 6000; k++) {
    const layer = Math.min(layers - 1, Math.floor(layers * Math.sqrt(rnd())));
    counts[layer * units + Math.floor(rnd() * units)] += 1 + Math.floor(rnd() * 3);
  }
  for (const [layer, unit, c] of [
    [20, 5000, 180],
    [18, 123, 140],
    [22, 8191, 95],
    [21, 4100, 120],
  ])
    counts[layer * units + unit] = c;
  return { layers, units, facts: 400, counts };
}

export async function buildAnalysisFixture(): Promise<AnalysisFixture> {
  const planted = plantedModel({ family: 'bert', facts: [...DEFAULT_FACTS, SEA] });
  const { truth } = planted;
  const runtime = createNodeRuntime({ threads: 1 });
  const model = await loadModel(new MemorySource('planted-bert', planted.files), runtime);
  try {
    const facts: Fact[] = truth.facts.map((f) => {
      const others = truth.facts.filter((g) => g.relation === f.relation && g.id !== f.id);
      return {
        id: f.id,
        relation: f.relation,
        subject: f.subject.en,
        prompts: LANGUAGES.map((language) => ({
          language,
          text: f.prompts[language].prompt,
          object: f.prompts[language].object,
        })),
        wrongObjects: Object.fromEntries(LANGUAGES.map((l) => [l, others.map((g) => g.object[l])])),
      };
    });
    const france = facts.find((f) => f.id === 'france-capital')!;
    const overlap = await factOverlap(model, { fact: france });
    const dataset = await runDatasetService(model, { facts, degenerate: true });
    const labSources: NeuronSetSources = {
      kn: Object.fromEntries(overlap.languages.map((l) => [l.language, l.neurons])),
      degenerate: [],
    };
    const lab = await interventionLab(model, {
      facts,
      choice: { kind: 'likn' },
      targets: [{ factId: france.id, sources: labSources }],
    });
    const sources = sourcesFromDataset(dataset.records, dataset.degenerate);
    const labAll = await interventionLab(model, {
      facts,
      choice: { kind: 'likn' },
      targets: facts.map((f) => ({ factId: f.id, sources: sources[f.id] })),
    });
    const sea = truth.facts.find((f) => f.id === 'sea-color')!.prompts.en;
    // A low tau lets the irrelevant units (firing everywhere, scoring ~0) into the search, so
    // the matrix shows neurons that are not degenerate beside the four copies.
    const degenerate = await degenerateForPrompt(model, {
      prompt: { language: 'en', text: sea.prompt, object: sea.object },
      selection: { tau: { en: 1e-4 } },
    });
    const factCheck = await factCheckRelations(model, { facts, language: 'en' });
    const results = {
      model: model.id,
      layers: model.numLayers,
      units: model.numUnits,
      facts,
      overlap,
      overlap3: languageOverlap({
        en: ns([1, 3], [2, 5], [3, 1], [3, 7]),
        zh: ns([1, 3], [0, 7], [3, 1], [2, 2]),
        fr: ns([1, 3], [2, 5], [0, 9], [2, 2], [1, 1]),
      }),
      overlap5: languageOverlap({
        en: ns([1, 3], [2, 5], [3, 1], [3, 7], [0, 4]),
        zh: ns([1, 3], [0, 7], [3, 1], [2, 2]),
        fr: ns([1, 3], [2, 5], [0, 9], [2, 2]),
        de: ns([1, 3], [2, 5], [3, 1], [3, 8]),
        ja: ns([1, 3], [0, 7], [2, 2], [3, 9], [3, 10]),
      }),
      dataset,
      labSources,
      lab,
      labAll,
      degenerate,
      factCheck,
      largeFrequency: largeFrequency(),
    };
    return { ...results, hostile: hostile(results) };
  } finally {
    await model.release();
  }
}
