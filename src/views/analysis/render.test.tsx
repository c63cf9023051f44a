/**
 * The views and figures rendered to static markup: their structure (what is drawn and listed,
 * not where), standalone SVG documents for every figure, and user text that stays text.
 */
import type { ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { NeuronSetChoice } from '../../analysis/neuron-sets';
import { languageOverlap } from '../../analysis/overlap';
import { svgDocument } from '../export';
import { DegenerateGraphFigure, DegenerateView, SuppressionMatrixFigure } from './Degenerate';
import { EffectBarsFigure } from './EffectBars';
import { ConfusionFigure, F1BarsFigure, FactCheckView } from './FactCheck';
import { InterventionLabView } from './InterventionLab';
import { LanguageOverlapView, OverlapFigure } from './LanguageOverlap';
import { LayerDistributionFigure, LayerDistributionView } from './LayerDistribution';
import { FrequencyFigure, SelectionFrequencyView } from './SelectionFrequency';
import {
  aggregates,
  degenerate,
  manyDegenerate,
  factCheckReport,
  lab,
  ns,
  overlap2,
  overlap3,
  overlap5,
} from './testData';

const context = { model: 'planted-bert', subject: 'The capital of France is [MASK] . → Paris' };

/**
 * The markup's outline: one line per element with its tag and the attributes that carry meaning
 * (roles, accessible names, data-*, input types and states), and its own text; geometry,
 * colours and generated ids left out, so the snapshot follows structure, not pixels.
 */
function outline(markup: string): string {
  const lines: string[] = [];
  let depth = 0;
  /** Depth of an export menu being skipped (the shared ExportMenu has its own tests). */
  let skipping: number | null = null;
  const keep = /^(role|aria-[\w-]+|data-[\w-]+|type|value|class|checked|disabled)$/;
  for (const m of markup.matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*?)(\/?)>|([^<]+)/g)) {
    const [, close, tag, attrs, selfClose, text] = m;
    if (text !== undefined) {
      const t = text.trim();
      if (t && skipping === null) lines.push(`${'  '.repeat(depth)}"${t}"`);
      continue;
    }
    if (close) {
      depth--;
      if (skipping === depth) skipping = null;
      continue;
    }
    const kept = [...attrs.matchAll(/([\w:-]+)(?:="([^"]*)")?/g)]
      .filter(([, k]) => keep.test(k))
      .map(([, k, v]) => (v === undefined ? k : `${k}=${v}`));
    const isVoid = selfClose || /^(input|br|img|meta|link)$/.test(tag);
    if (skipping === null) {
      if (kept.includes('class=kn-export')) {
        const label = kept.find((a) => a.startsWith('aria-label='));
        lines.push(`${'  '.repeat(depth)}<ExportMenu ${label}>`);
        if (!isVoid) skipping = depth;
      } else lines.push(`${'  '.repeat(depth)}<${tag}${kept.length ? ' ' + kept.join(' ') : ''}>`);
    }
    if (!isVoid) depth++;
  }
  // Runs of identical childless siblings (a colour bar's 48 steps) as one line with a count.
  const runs: string[] = [];
  for (let i = 0; i < lines.length;) {
    let j = i + 1;
    while (j < lines.length && lines[j] === lines[i]) j++;
    runs.push(j - i > 1 ? `${lines[i]} ×${j - i}` : lines[i]);
    i = j;
  }
  return runs.join('\n');
}

const render = (element: ReactElement) => renderToStaticMarkup(element);

/** A figure as its export: a standalone SVG with a size. */
async function exported(element: ReactElement) {
  const doc = await svgDocument(element);
  expect(doc.markup.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg')).toBe(true);
  expect(doc.width).toBeGreaterThan(300);
  expect(doc.height).toBeGreaterThan(150);
  return doc.markup;
}

describe('figures export as standalone SVG', () => {
  it('every figure', async () => {
    const figures: ReactElement[] = [
      <OverlapFigure overlap={overlap2} context={context} layout="venn" region={null} />,
      <OverlapFigure overlap={overlap3} context={context} layout="venn" region={['en']} />,
      <OverlapFigure overlap={overlap5} context={context} layout="upset" region={null} />,
      <LayerDistributionFigure
        aggregates={aggregates}
        languages={['en', 'zh']}
        context={context}
        scope={null}
        measure="count"
        degenerateSearched
      />,
      <EffectBarsFigure effects={lab.effects} name={lab.name} mode="reference" context={context} />,
      <DegenerateGraphFigure result={degenerate()} context={context} edges="both" group={0} />,
      <DegenerateGraphFigure result={manyDegenerate()} context={context} edges="both" group={0} />,
      <SuppressionMatrixFigure result={degenerate()} context={context} group={null} />,
      <ConfusionFigure report={factCheckReport()} context={context} scope={null} />,
      <F1BarsFigure report={factCheckReport()} context={context} />,
      <FrequencyFigure
        map={{ layers: 4, units: 8, facts: 3, counts: aggregates.overall.frequency.en }}
        context={context}
        language="en"
        scope={null}
        transform="sqrt"
      />,
    ];
    for (const f of figures) await exported(f);
  });
});

describe('structure', () => {
  it('overlap: a Venn with every region counted, the LIKN listed as buttons', () => {
    expect(
      outline(
        render(
          <LanguageOverlapView overlap={overlap2} context={context} taus={{ en: 0.3, zh: 0.2 }} />,
        ),
      ),
    ).toMatchSnapshot();
  });

  it('overlap: an UpSet plot for five languages', () => {
    expect(
      outline(
        render(
          <OverlapFigure overlap={overlap5} context={context} layout="upset" region={['ja']} />,
        ),
      ),
    ).toMatchSnapshot();
  });

  it('overlap: one language has no overlap to show', () => {
    const one = languageOverlap({ en: ns([1, 1]) });
    expect(render(<LanguageOverlapView overlap={one} context={context} />)).toContain(
      'The overlap needs knowledge neurons in at least two languages; this fact has only en.',
    );
  });

  it('layer distributions: three panels, notes where a series has nothing', () => {
    const noDkn = {
      ...aggregates,
      overall: { ...aggregates.overall, dkn: { en: [0, 0, 0, 0], zh: [0, 0, 0, 0] } },
    };
    const markup = render(
      <LayerDistributionView
        aggregates={noDkn}
        languages={['en', 'zh']}
        context={context}
        degenerateSearched={false}
      />,
    );
    expect(markup).toContain('this run did not search for degenerate pairs');
    expect(outline(markup)).toMatchSnapshot();
  });

  it('intervention lab: chooser, before/after per language, effect bars', () => {
    const markup = render(
      <InterventionLabView
        sources={{
          kn: { en: ns([1, 3], [2, 5]), zh: ns([1, 3]) },
          degenerate: [ns([3, 4], [3, 11])],
        }}
        layers={4}
        units={16}
        context={context}
        result={lab}
        onRun={() => {}}
        state={{ choice: { kind: 'likn' }, kind: 'suppress', aggregation: 'plain' }}
      />,
    );
    expect(markup).toContain('LIKN · 2 facts · 1 without such neurons (not run)');
    expect(outline(markup)).toMatchSnapshot();
  });

  it('intervention lab: neurons from a link outside the model are not counted, and Run waits', () => {
    const lab = (choice: NeuronSetChoice | null) =>
      render(
        <InterventionLabView
          sources={{ kn: { en: ns([1, 3]) }, degenerate: [] }}
          layers={4}
          units={16}
          context={context}
          result={null}
          onRun={() => {}}
          state={{ choice, kind: 'suppress', aggregation: 'plain' }}
        />,
      );
    const text = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    const outside = lab({ kind: 'custom', neurons: ns([1, 3], [40, 2], [2, 99]) });
    expect(text(outside)).toContain('Selected for this fact: 1 neuron');
    expect(text(outside)).toContain(
      '2 of the hand-picked neurons are outside this model (4 layers × 16 units): 40:2, 2:99. Remove them to run.',
    );
    expect(outside).toMatch(/<button[^>]*class="primary"[^>]*disabled=""/);
    const none = lab(null);
    expect(text(none)).toContain('Choose the neurons to intervene on first');
    expect(none).toMatch(/<button[^>]*class="primary"[^>]*disabled=""/);
    const fine = lab({ kind: 'custom', neurons: ns([1, 3]) });
    expect(fine).not.toMatch(/<button[^>]*class="primary"[^>]*disabled=""/);
    expect(fine).not.toContain('lab-run-hint');
  });

  it('degenerate: neurons too many for circles are drawn as a matrix', () => {
    const markup = render(
      <DegenerateGraphFigure
        result={manyDegenerate(37)}
        context={context}
        edges="both"
        group={null}
      />,
    );
    expect(markup).toContain('matrix of 37');
    expect(markup.match(/data-neuron=/g)).toHaveLength(37);
    expect(markup).not.toContain('<circle');
    const small = render(
      <DegenerateGraphFigure result={degenerate()} context={context} edges="both" group={null} />,
    );
    expect(small).not.toContain('matrix of');
    expect(small.match(/<circle/g)).toHaveLength(3);
  });

  it('degenerate: graph, matrix and the groups', () => {
    expect(
      outline(render(<DegenerateView result={degenerate()} context={context} />)),
    ).toMatchSnapshot();
  });

  it('fact checking: both matrices, F1 bars and the table with the positive class', () => {
    const markup = render(<FactCheckView report={factCheckReport()} context={context} />);
    expect(markup).toContain('Precision, recall and F1 · positive class: the statement is true');
    expect(markup).toContain('no degenerate neurons in the train facts (D_r empty): not judged');
    expect(outline(markup)).toMatchSnapshot();
  });

  it('selection frequency: the heatmap, the most frequent neurons', () => {
    expect(
      outline(
        render(
          <SelectionFrequencyView aggregates={aggregates} layers={4} units={8} context={context} />,
        ),
      ),
    ).toMatchSnapshot();
  });
});

describe('user text stays text', () => {
  const evil = '<img src=x onerror=alert(1)>';
  const tags = /<(img|script|iframe|b)\b/;

  it('in figures, exports and lists', async () => {
    const overlap = languageOverlap({ en: ns([1, 3]), [evil]: ns([1, 3], [2, 2]) });
    const hostileContext = { model: '<script>m</script>', subject: evil };
    const report = factCheckReport();
    report.relations[0].relation = evil;
    const result = degenerate();
    result.text = `${evil} [MASK]`;
    const markups = [
      render(<LanguageOverlapView overlap={overlap} context={hostileContext} />),
      await exported(
        <OverlapFigure overlap={overlap} context={hostileContext} layout="upset" region={null} />,
      ),
      render(
        <FactCheckView
          report={report}
          context={hostileContext}
          state={{ scope: { relation: evil } }}
        />,
      ),
      render(<DegenerateView result={result} context={hostileContext} />),
      render(
        <InterventionLabView
          sources={{ kn: { [evil]: ns([1, 3]) }, degenerate: [] }}
          layers={4}
          units={16}
          context={hostileContext}
          result={{
            ...lab,
            effects: lab.effects.map((e) => ({ ...e, factId: evil, relation: evil })),
          }}
          onRun={() => {}}
        />,
      ),
    ];
    for (const markup of markups) {
      expect(markup).not.toMatch(tags);
      expect(markup).toContain('&lt;img src=x onerror=alert(1)&gt;');
    }
  });
});
