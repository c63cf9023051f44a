/**
 * The two-model figures on planted maps whose knowledge neurons are known: rows at the same depth
 * line up across models of different depths, the rings are the knowledge neurons, the captions
 * and exports name both models, and user text stays text.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { svgDocument } from '../export';
import {
  type ComparedLanguage,
  type ComparedModel,
  DepthAlignedMapsFigure,
  KnDepthFigure,
  ModelComparisonView,
  alignedLayout,
  binLabel,
  comparisonOf,
  depthAlignedCsv,
  knDepthCsv,
} from './ModelComparison';

const HOSTILE = '<img src=x onerror=alert(1)>';

/** A layers x units map of 0.01 everywhere but the planted cells. */
const map = (layers: number, units: number, cells: Record<number, number>) => ({
  layers,
  units,
  scores: Float32Array.from({ length: layers * units }, (_, i) => cells[i] ?? 0.01),
});

const models: [ComparedModel, ComparedModel] = [
  { label: 'shallow-bert', layers: 2, units: 8 },
  { label: 'deep-gpt2', layers: 4, units: 6 },
];
// en: one KN in the shallow model's top layer (L1 u3), two in the deep model's top half (L2 u1,
// L3 u5): the same depths. zh: the shallow model's KN in its bottom layer; no deep map yet.
const languages: ComparedLanguage[] = [
  {
    language: 'en',
    tau: 0.3,
    prompt: 'The capital of Germany is [MASK]. → Berlin',
    maps: [map(2, 8, { 11: 1 }), map(4, 6, { 13: 1, 23: 0.9 })],
  },
  { language: 'zh', tau: 0.2, prompt: HOSTILE, maps: [map(2, 8, { 2: 1 }), undefined] },
];
const context = { model: 'shallow-bert vs deep-gpt2', subject: 'capital of Germany' };
const props = { models, languages, context, width: 720 };
const comparison = comparisonOf(props);

describe('maps aligned by depth', () => {
  it('puts layer 1 of 2 where layers 2 and 3 of 4 are', () => {
    const markup = renderToStaticMarkup(
      <DepthAlignedMapsFigure {...props} comparison={comparison} />,
    );
    const g = alignedLayout(720, models, 2);
    // The en block's cells: rect y and height per panel (x tells the panel).
    const en = /data-language="en">(.*?)<\/g><g data-language="zh"/s.exec(markup)![1];
    const rows = [
      ...en.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="[\d.]+" height="([\d.]+)" fill="#/g),
    ].map(([, x, y, h]) => ({ panel: Number(x) < g.plotX[1] ? 0 : 1, y: Number(y), h: Number(h) }));
    const spans = (panel: number) =>
      [...new Set(rows.filter((r) => r.panel === panel).map((r) => `${r.y}+${r.h}`))].map((s) =>
        s.split('+').map(Number),
      );
    const shallow = spans(0).sort((a, b) => a[0] - b[0]);
    const deep = spans(1).sort((a, b) => a[0] - b[0]);
    expect(shallow).toHaveLength(2);
    expect(deep).toHaveLength(4);
    // Top layer of the shallow model = the deep model's top two layers, to the pixel.
    expect(shallow[0][0]).toBeCloseTo(deep[0][0], 9);
    expect(shallow[0][0] + shallow[0][1]).toBeCloseTo(deep[1][0] + deep[1][1], 9);
    expect(shallow[1][0] + shallow[1][1]).toBeCloseTo(deep[3][0] + deep[3][1], 9);
    // One ring per knowledge neuron: en 1 + 2, zh 1 (its deep map is not run).
    expect(markup.match(/<circle /g)).toHaveLength(4);
    expect(markup).toContain('not run on this model yet');
  });

  it('is a standalone SVG whose caption names both models; user text stays text', async () => {
    const doc = await svgDocument(<DepthAlignedMapsFigure {...props} comparison={comparison} />);
    expect(doc.width).toBe(720);
    expect(doc.markup).toContain('shallow-bert (2 layers) and deep-gpt2 (4 layers)');
    expect(doc.markup).not.toContain('<img');
    expect(doc.markup).toContain('&lt;img');
  });

  it('exports the knowledge neurons with their depths', () => {
    expect(
      depthAlignedCsv({ ...props, comparison })
        .trimEnd()
        .split('\n'),
    ).toEqual([
      'model,language,tau,layer,depth,unit,score',
      'shallow-bert,en,0.3,1,0.75,3,1',
      'deep-gpt2,en,0.3,2,0.625,1,1',
      'deep-gpt2,en,0.3,3,0.875,5,0.8999999761581421',
      'shallow-bert,zh,0.2,0,0.25,2,1',
    ]);
  });
});

describe('knowledge neurons by depth', () => {
  it('compares in two bins, with full overlap for en and the bins both use', () => {
    expect(comparison.bins).toBe(2);
    expect(binLabel(1, 2)).toBe('0.5–1');
    const markup = renderToStaticMarkup(<KnDepthFigure {...props} comparison={comparison} />);
    expect(markup).toContain('en: share of knowledge-neuron mass by depth · overlap 100%');
    expect(markup).toContain('needs the maps of both models');
    expect(markup).toContain('Depth bins both models use: en 0.5–1.');
    // The summary is over the languages both models have maps of: en alone.
    expect(markup).toContain('All languages (mean of their shares) · overlap 100%');
  });

  it('exports the shares per bin', () => {
    expect(
      knDepthCsv({ ...props, comparison })
        .trimEnd()
        .split('\n'),
    ).toEqual([
      'language,depth_from,depth_to,share_shallow-bert,share_deep-gpt2,share_both',
      'en,0,0.5,0,0,0',
      'en,0.5,1,1,1,1',
      '*,0,0.5,0,0,0',
      '*,0.5,1,1,1,1',
    ]);
  });

  it('renders both figures with their exports', () => {
    const markup = renderToStaticMarkup(<ModelComparisonView {...props} />);
    expect(markup.match(/<svg /g)).toHaveLength(2);
    expect(markup).toContain('Export the maps aligned by depth');
    expect(markup).toContain('Export the knowledge neurons by depth');
  });
});
