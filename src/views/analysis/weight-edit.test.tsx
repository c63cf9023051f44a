/**
 * The weight-edit view: what it lists for an erase and an update, its figure as a standalone
 * SVG, its CSV, and user text (prompts, objects) that stays text.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { Prediction } from '../../attribution/predict';
import type { EditReport } from '../../analysis/edits';
import { svgDocument } from '../export';
import { WeightEditFigure, WeightEditView, editSummary, weightEditCsv } from './WeightEdit';

const HOSTILE = '<img src=x onerror=alert(1)>';

const prediction = (object: string, p: number, top: string): Prediction => ({
  probability: p,
  slots: [
    {
      position: 5,
      tokenId: 7,
      token: object,
      probability: p,
      top: [
        { id: 8, token: top, probability: 0.6 },
        { id: 7, token: object, probability: p },
      ],
    },
  ],
});

const update: EditReport = {
  factId: 'france-capital',
  kind: 'update',
  neurons: [
    { layer: 1, unit: 3 },
    { layer: 2, unit: 5 },
  ],
  lambda: 2,
  language: 'en',
  fromTokens: ['Paris'],
  toTokens: ['Lyon'],
  prompts: [
    {
      language: 'en',
      text: `The capital of ${HOSTILE} is [MASK] .`,
      object: 'Paris',
      before: prediction('Paris', 0.9, 'Paris'),
      after: prediction('Paris', 0.1, 'Lyon'),
      newObject: 'Lyon',
      newBefore: prediction('Lyon', 0.01, 'Paris'),
      newAfter: prediction('Lyon', 0.7, 'Lyon'),
    },
    {
      language: 'zh',
      text: '法国的首都是[MASK]。',
      object: '巴黎',
      before: prediction('巴黎', 0.8, '巴黎'),
      after: prediction('巴黎', 0.5, '巴黎'),
    },
  ],
  warnings: [],
};

const context = { model: 'demo-bert', subject: `The capital of ${HOSTILE} → Paris` };

describe('WeightEditView', () => {
  it('says what the edit did and shows every prompt before and after', () => {
    expect(editSummary({ ...update, kind: 'erase' })).toBe(
      'Erased the value vectors of 2 neurons (set to zero).',
    );
    expect(editSummary(update)).toMatch(/λ = 2 × \(embedding of Lyon − embedding of Paris\)/);
    const html = renderToStaticMarkup(<WeightEditView report={update} context={context} />);
    expect(html).toContain('data-testid="edit-view"');
    // The object and the new object in English, the object in Chinese.
    expect(html.match(/class="kn-lab-prompt"/g)).toHaveLength(3);
    expect(html).toContain('P(<strong>Lyon</strong>)');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
  });

  it('exports a standalone SVG and a CSV row per object and new object', async () => {
    const doc = await svgDocument(<WeightEditFigure report={update} context={context} />);
    expect(doc.width).toBeGreaterThan(100);
    expect(doc.height).toBeGreaterThan(100);
    expect(doc.markup).not.toContain('<img');
    expect(doc.markup).toContain('P(new object) after');
    const lines = weightEditCsv(update).trimEnd().split('\n');
    expect(lines[0]).toBe(
      'fact,edit,neurons,language,prompt,target,token,p_before,p_after,top_before,top_after',
    );
    expect(
      lines.slice(1).map((l) => l.split(',').slice(3, 4).concat(l.split(',').slice(-6, -4))),
    ).toEqual([
      ['en', 'object', 'Paris'],
      ['en', 'new object', 'Lyon'],
      ['zh', 'object', '巴黎'],
    ]);
  });
});
