import { tinyModel } from '../../tests/reference/tiny-model';
import { describe, expect, it } from 'vitest';
import type { Model } from '../model';
import { enhance, predict, suppress } from '../attribution/predict';
import { encodePrompt } from '../attribution/prompt';
import type { Fact } from '../facts/types';
import {
  type InterventionEffect,
  type PromptEffect,
  LIKN,
  aggregateEffects,
  crossLingualEffects,
  interventionEffects,
  pickUnrelated,
} from './interventions';
import type { Neuron } from './selection';

function tinyBert(): Model {
  return tinyModel('bert', { seed: 5 }).model;
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
      { language: 'zh', text: '巴黎是[MASK]的首都', object: '法国' },
    ],
  },
  {
    id: 'france',
    relation: 'P1376',
    prompts: [{ language: 'en', text: 'Paris is the capital of [MASK] .', object: 'France' }],
  },
];

const kn: Neuron[] = [
  { layer: 1, unit: 3 },
  { layer: 0, unit: 7 },
];

/** The effect recomputed from direct predictions of the same prompt. */
async function direct(model: Model, e: PromptEffect, edits: ReturnType<typeof suppress>) {
  const enc = encodePrompt(model.config, model.tokenizer, e.text, e.object);
  const [before, after] = await predict(model, enc, [[], edits], { topK: 4 });
  return { before, after };
}

describe('interventionEffects', () => {
  it('measures related and unrelated prompts per language, as direct predictions do', async () => {
    const model = tinyBert();
    const { effects, warnings } = await interventionEffects(
      model,
      facts,
      'paris',
      [
        { name: 'kn', kind: 'suppress', neurons: kn },
        { name: 'kn', kind: 'enhance', neurons: kn },
      ],
      { topK: 4 },
    );
    expect(warnings).toEqual([]);
    expect(effects.map((e) => [e.factId, e.relation, e.intervention.kind])).toEqual([
      ['paris', 'P36', 'suppress'],
      ['paris', 'P36', 'enhance'],
    ]);
    for (const effect of effects) {
      expect(effect.languages.map((l) => l.language)).toEqual(['en', 'zh']);
      const [en, zh] = effect.languages;
      expect(en.related.map((e) => e.text)).toEqual([
        facts[0].prompts[0].text,
        facts[0].prompts[1].text,
      ]);
      expect(zh.related.map((e) => e.object)).toEqual(['巴黎']);
      // Only 'berlin' has Chinese prompts besides the fact itself.
      expect(zh.unrelatedFactId).toBe('berlin');
      expect(['berlin', 'france']).toContain(en.unrelatedFactId);
      const edits = effect.intervention.kind === 'suppress' ? suppress(kn) : enhance(kn);
      for (const l of effect.languages) {
        for (const e of [...l.related, ...l.unrelated]) {
          const d = await direct(model, e, edits);
          expect(e.before).toEqual(d.before);
          expect(e.after).toEqual(d.after);
          expect(e.relativeChange).toBeCloseTo(
            (d.after.probability - d.before.probability) / d.before.probability,
            12,
          );
          expect(e.before.slots[0].top).toHaveLength(4);
        }
        const mean = (xs: PromptEffect[]) =>
          xs.reduce((s, e) => s + e.relativeChange, 0) / xs.length;
        expect(l.meanRelated).toBeCloseTo(mean(l.related), 12);
        expect(l.meanUnrelated).toBeCloseTo(mean(l.unrelated), 12);
      }
    }
  });

  it('an empty neuron set changes nothing; unknown facts and unencodable prompts are reported', async () => {
    const model = tinyBert();
    const withRussian: Fact[] = [
      {
        ...facts[0],
        prompts: [
          ...facts[0].prompts,
          { language: 'en', text: 'Capital: [MASK]', object: 'Москва' },
        ],
      },
      ...facts.slice(1),
    ];
    const progress: string[] = [];
    const { effects, warnings } = await interventionEffects(
      model,
      withRussian,
      'paris',
      [{ name: 'none', kind: 'suppress', neurons: [] }],
      { languages: ['en'], onProgress: (p) => progress.push(`${p.done}/${p.total}`) },
    );
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/Capital: \[MASK\].*vocabulary/);
    expect(effects[0].languages.map((l) => l.language)).toEqual(['en']);
    const en = effects[0].languages[0];
    expect(en.related).toHaveLength(2);
    for (const e of [...en.related, ...en.unrelated]) expect(e.relativeChange).toBe(0);
    expect(progress.at(-1)).toBe(`${progress.length}/${progress.length}`);
    await expect(interventionEffects(model, facts, 'rome', [])).rejects.toThrow(/no fact/);
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('cancelled'));
    await expect(
      interventionEffects(tinyBert(), facts, 'paris', [], { signal: controller.signal }),
    ).rejects.toThrow('cancelled');
  });
});

describe('crossLingualEffects', () => {
  it("measures each language's KN and their intersection on every language", async () => {
    const model = tinyBert();
    const byLanguage = {
      en: [{ layer: 0, unit: 1 }, ...kn],
      zh: [...kn, { layer: 1, unit: 9 }],
    };
    const { effects } = await crossLingualEffects(model, facts, 'paris', byLanguage, {
      kinds: ['suppress'],
    });
    expect(effects.map((e) => e.intervention.name)).toEqual(['en', 'zh', LIKN]);
    expect(effects[2].intervention.neurons).toEqual([
      { layer: 0, unit: 7 },
      { layer: 1, unit: 3 },
    ]);
    // English neurons measured on the Chinese prompt: the same as suppressing them directly.
    const enOnZh = effects[0].languages.find((l) => l.language === 'zh')!.related[0];
    const d = await direct(model, enOnZh, suppress(byLanguage.en));
    expect(enOnZh.after.probability).toBe(d.after.probability);
    for (const e of effects) expect(e.languages.map((l) => l.language)).toEqual(['en', 'zh']);
  });
});

describe('pickUnrelated', () => {
  it('is seeded, never the fact itself, and shares one fact across languages when it can', () => {
    const many: Fact[] = Array.from({ length: 12 }, (_, i) => ({
      id: `f${i}`,
      prompts: [
        { language: 'en', text: 't [MASK]', object: 'o' },
        ...(i % 3 === 0 ? [{ language: 'zh', text: 't [MASK]', object: 'o' }] : []),
      ],
    }));
    const seen = new Set<string>();
    for (let seed = 0; seed < 40; seed++) {
      const pick = pickUnrelated(many, many[0], ['en', 'zh', 'fr'], seed);
      expect(pick).toEqual(pickUnrelated(many, many[0], ['en', 'zh', 'fr'], seed));
      expect(pick.en!.id).not.toBe('f0');
      expect(Number(pick.zh!.id.slice(1)) % 3).toBe(0);
      expect(pick.zh!.id).not.toBe('f0');
      expect(pick.fr).toBeNull();
      // When the English pick also has Chinese prompts, it serves both languages.
      if (Number(pick.en!.id.slice(1)) % 3 === 0) expect(pick.zh).toBe(pick.en);
      seen.add(pick.en!.id);
    }
    expect(seen.size).toBeGreaterThan(5); // the seed matters
  });
});

describe('aggregateEffects', () => {
  const effect = (
    factId: string,
    relation: string,
    kind: 'suppress' | 'enhance',
    related: number[],
    unrelated: number[],
  ): InterventionEffect => {
    const prompt = (relativeChange: number) => ({ relativeChange }) as PromptEffect;
    return {
      factId,
      relation,
      intervention: { name: 'en', kind, neurons: [] },
      languages: [
        {
          language: 'en',
          related: related.map(prompt),
          unrelated: unrelated.map(prompt),
          unrelatedFactId: 'x',
          meanRelated: NaN,
          meanUnrelated: NaN,
        },
      ],
    };
  };
  const effects = [
    effect('a', 'P1', 'suppress', [-0.5, 25], [0.1]),
    effect('b', 'P1', 'suppress', [-0.3, 20], [30]),
    effect('c', 'P1', 'enhance', [1, 250, 249], [0.5]),
    effect('d', 'P2', 'suppress', [NaN, -0.2], [-0.1]),
    effect('e', 'P2', 'suppress', [21], [0.2]),
  ];

  it("reference mode drops suppression > 20 and enhancement >= 250, and counts a fact's dropped unrelated as 0", () => {
    const rows = aggregateEffects(effects, { mode: 'reference' });
    const row = (relation: string, kind: string) =>
      rows.find((r) => r.relation === relation && r.kind === kind)!;
    // a: related mean(-0.5) , unrelated 0.1; b: related mean(-0.3, 20) = 9.85, unrelated 0.
    const p1 = row('P1', 'suppress');
    expect(p1.related).toBeCloseTo((-0.5 + 9.85) / 2, 12);
    expect(p1.unrelated).toBeCloseTo(0.05, 12);
    expect(p1.ratio).toBeCloseTo(p1.related / p1.unrelated, 12);
    expect([p1.facts, p1.dropped]).toEqual([2, 2]);
    const enh = row('P1', 'enhance');
    expect(enh.related).toBeCloseTo(125, 12);
    expect(enh.dropped).toBe(1);
    // e has no related effect left: skipped, its unrelated too.
    const p2 = row('P2', 'suppress');
    expect([p2.related, p2.unrelated, p2.facts, p2.dropped]).toEqual([-0.2, -0.1, 1, 2]);
    expect(p2.ratio).toBeCloseTo(2, 12);
  });

  it('plain mode keeps every finite effect; pooled mode groups all relations', () => {
    const rows = aggregateEffects(effects);
    const p1 = rows.find((r) => r.relation === 'P1' && r.kind === 'suppress')!;
    expect(p1.related).toBeCloseTo((12.25 + 9.85) / 2, 12);
    expect(p1.unrelated).toBeCloseTo((0.1 + 30) / 2, 12);
    expect(p1.dropped).toBe(0);
    const p2 = rows.find((r) => r.relation === 'P2')!;
    expect([p2.facts, p2.dropped]).toEqual([2, 1]); // the NaN
    const pooled = aggregateEffects(effects, { byRelation: false });
    expect(pooled.map((r) => [r.relation, r.kind, r.facts])).toEqual([
      ['*', 'suppress', 4],
      ['*', 'enhance', 1],
    ]);
  });
});
