/**
 * A fact check with few facts: a relation whose facts were all held out, or whose training facts
 * gave no degenerate pair, has no D_r; the totals, over the relations with D_r, are then empty.
 * The view says so with the fix and draws no matrix of zeros as if it were a result.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { type FactCheckReport, checkMetrics } from '../../analysis/factcheck';
import { FactCheckView, factCheckGaps, fewestFacts } from './FactCheck';
import { factCheckReport } from './testData';

const context = { model: 'demo-bert', subject: 'P36' };
const zero = checkMetrics({ tp: 0, fp: 0, fn: 0, tn: 0 });

/** One relation of `facts` facts, `train` of them for training, no D_r; its test fact checked. */
function withoutDkn(train: number, facts: number): FactCheckReport {
  const ids = Array.from({ length: facts }, (_, i) => `f${i}`);
  return {
    ...factCheckReport(),
    relations: [
      {
        relation: 'P36',
        train: ids.slice(0, train),
        test: ids.slice(train),
        dkn: { neurons: [], counts: [], threshold: 0 },
        items: [],
        withDkn: null,
        baseline: checkMetrics({ tp: 1, fp: 0, fn: 0, tn: 1 }),
      },
    ],
    overall: { withDkn: zero, baseline: zero },
  };
}

describe('fact check with few facts', () => {
  it('needs a training fact left after the held-out share, which rounds up', () => {
    expect(fewestFacts(0.2)).toBe(2);
    expect(fewestFacts(0.5)).toBe(2);
    expect(fewestFacts(0.6)).toBe(3);
    expect(fewestFacts(0.8)).toBe(5);
  });

  it('says that a relation whose facts were all held out has no D_r, and the fix', () => {
    const gaps = factCheckGaps(withoutDkn(0, 1), null);
    expect(gaps.empty).toBe(true);
    expect(gaps.notes[0]).toMatch(/^No relation has degenerate neurons D_r/);
    expect(gaps.notes[1]).toBe(
      'P36: 1 fact with 20% held out (rounded up) leave no training fact, so there are no ' +
        'degenerate neurons D_r to judge with: add facts to the relation (it needs at least 2).',
    );
    // The relation's own scope has its baseline: a result, drawn, with the reason beside it.
    const own = factCheckGaps(withoutDkn(0, 1), { relation: 'P36' });
    expect(own.empty).toBe(false);
    expect(own.notes).toEqual([gaps.notes[1]]);
  });

  it('says that training facts without a degenerate pair leave D_r empty', () => {
    const gaps = factCheckGaps(withoutDkn(2, 3), null);
    expect(gaps.empty).toBe(true);
    expect(gaps.notes[1]).toBe(
      'P36: the degenerate-pair search over its 2 training facts found no pair, so D_r is ' +
        'empty and nothing is judged with DKN: add facts to the relation.',
    );
  });

  it('draws no empty confusion matrix and no empty totals, but the baseline per relation', () => {
    const markup = renderToStaticMarkup(
      <FactCheckView report={withoutDkn(2, 3)} context={context} />,
    );
    expect(markup).toContain('data-testid="factcheck-gaps"');
    expect(markup).not.toContain('Fact-check confusion matrices');
    expect(markup).not.toContain('Export the confusion matrices');
    expect(markup).toContain('F1 per relation');
    // The table has the relation's rows, not the empty totals.
    expect(markup).not.toMatch(/<td>all<\/td>/);
    expect(markup).toMatch(/<td>P36<\/td><td>baseline<\/td>/);
    const relation = renderToStaticMarkup(
      <FactCheckView
        report={withoutDkn(2, 3)}
        context={context}
        state={{ scope: { relation: 'P36' } }}
      />,
    );
    expect(relation).toContain('Fact-check confusion matrices');
    expect(relation).toContain('no D_r: not judged');
  });

  it('names a full result’s gaps only where a relation lacks D_r', () => {
    const report = factCheckReport();
    const gaps = factCheckGaps(report, null);
    expect(gaps.empty).toBe(false);
    expect(gaps.notes).toEqual([
      'capital: the degenerate-pair search over its 3 training facts found no pair, so D_r is ' +
        'empty and nothing is judged with DKN: add facts to the relation.',
    ]);
    expect(factCheckGaps(report, { relation: 'color' })).toEqual({ empty: false, notes: [] });
  });
});
