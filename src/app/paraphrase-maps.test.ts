import { describe, expect, it } from 'vitest';
import { neuronKey } from '../analysis/selection';
import type { Fact } from '../facts';
import type { AttributionResult } from '../worker-api';
import { languageViews, mostParaphrases } from './paraphrase-maps';
import type { Job } from './state';

const LAYERS = 2;
const UNITS = 4;

/** A map with score 1 on unit 0:0 (each map's maximum) and 0.5 on the listed neurons. */
function result(prompt: string, object: string, planted: number[], probability = 0.5) {
  const scores = new Float32Array(LAYERS * UNITS);
  scores[0] = 1;
  for (const i of planted) scores[i] = 0.5;
  return {
    model: 'tiny',
    method: 'amig',
    steps: 20,
    prompt,
    object,
    probability,
    layers: LAYERS,
    units: UNITS,
    scores,
    activations: scores.map((s) => 2 * s),
  } as unknown as AttributionResult;
}

const fact: Fact = {
  id: 'f',
  subject: 'France',
  prompts: [
    { language: 'en', text: 'The capital of France is [MASK].', object: 'Paris' },
    { language: 'zh', text: '法国的首都是[MASK]。', object: '巴黎' },
    { language: 'en', text: 'France has its capital in [MASK].', object: 'Paris' },
    { language: 'en', text: 'France’s capital city is [MASK].', object: 'Paris' },
  ],
};

// en: 1:1 (index 5) in all three paraphrases, 0:3 (index 3) in one; zh one prompt.
const maps = new Map<number, AttributionResult>([
  [0, result(fact.prompts[0].text, 'Paris', [5, 3], 0.2)],
  [1, result(fact.prompts[1].text, '巴黎', [6])],
  [2, result(fact.prompts[2].text, 'Paris', [5], 0.4)],
  [3, result(fact.prompts[3].text, 'Paris', [5], 0.9)],
]);
const resultOf = (job: Job) => maps.get(job.index);
const keys = (ns: readonly { layer: number; unit: number }[]) => ns.map(neuronKey).sort();

describe('languageViews', () => {
  it('shows the first paraphrase’s map unless refined is asked for', () => {
    const views = languageViews(fact, resultOf, {}, { refined: false, p: 0.5 });
    expect(views.map((v) => [v.language, v.jobs.length, v.results.length])).toEqual([
      ['en', 3, 3],
      ['zh', 1, 1],
    ]);
    expect(views[0].map?.map).toBe(maps.get(0));
    expect(views[0].map?.refined).toBeUndefined();
    expect(mostParaphrases(fact)).toBe(3);
  });

  it('refines a language with several maps: mean map, kept neurons, stability', () => {
    const [en, zh] = languageViews(fact, resultOf, {}, { refined: true, p: 0.5 });
    expect(en.refinement?.paraphrases).toBe(3);
    // More than half of 3: 0:0 and 1:1 (in all three); 0:3 is in one set only.
    expect(keys(en.map!.refined!.neurons)).toEqual(['0:0', '1:1']);
    expect(keys(en.refinement!.candidates)).toEqual(['0:0', '0:3', '1:1']);
    expect(en.map!.tau).toBe(0.3);
    expect(en.map!.map.scores[3]).toBeCloseTo(0.5 / 3, 6);
    expect(en.map!.map.activations[5]).toBeCloseTo(1, 6);
    expect(en.map!.map.probability).toBeCloseTo(0.5, 6);
    expect(en.map!.map.prompt).toBe(
      fact.prompts
        .filter((p) => p.language === 'en')
        .map((p) => p.text)
        .join(' | '),
    );
    // A language of one prompt keeps its own map.
    expect(zh.refinement).toBeUndefined();
    expect(zh.map?.map).toBe(maps.get(1));
    // p = 0 keeps every paraphrase's neurons; the user's tau applies to each paraphrase.
    const loose = languageViews(fact, resultOf, {}, { refined: true, p: 0 });
    expect(keys(loose[0].map!.refined!.neurons)).toEqual(['0:0', '0:3', '1:1']);
    const strict = languageViews(fact, resultOf, { en: 0.6 }, { refined: true, p: 0 });
    expect(keys(strict[0].map!.refined!.neurons)).toEqual(['0:0']);
  });

  it('refines over the maps there are, and shows nothing for a language without one', () => {
    const some = (job: Job) =>
      job.index === 3 || job.index === 2 ? maps.get(job.index) : undefined;
    const [en, zh] = languageViews(fact, some, {}, { refined: true, p: 0.5 });
    expect(en.results.length).toBe(2);
    expect(en.refinement?.paraphrases).toBe(2);
    expect(en.first.index).toBe(2);
    expect(zh.map).toBeUndefined();
  });
});
