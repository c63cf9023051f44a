import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../util/random';
import { colorAt } from '../color';
import { figureBasename, wrapText } from '../kit/figure';
import { placeSwatches } from '../kit/legend';
import { groupedBars, MAX_BAR } from './bars';
import { csvCell, toCsv } from './csv';
import { degenerateCsv, degenerateGraph } from './Degenerate';
import {
  columnHeight,
  curveBounds,
  curvePath,
  edgeControl,
  fitsAsGraph,
  layeredLayout,
  nodeRadius,
} from './degenerateLayout';
import { effectRows } from './EffectBars';
import { factCheckCsv, scopedMetrics } from './FactCheck';
import { labCsv } from './InterventionLab';
import { overlapCsv, regionLabel } from './LanguageOverlap';
import { layerDistributionCsv, scopedAggregate } from './LayerDistribution';
import { allRegions, regionOf, upsetLayout, vennLayout } from './overlapLayout';
import { formatChange, formatMetric, formatShare, seriesColor, shareColor, textOn } from './scales';
import { countTicks, frequencyCsv, mostFrequent, niceCount, ringed } from './SelectionFrequency';
import {
  aggregates,
  degenerate,
  factCheckReport,
  lab,
  ns,
  overlap2,
  overlap3,
  overlap5,
} from './testData';

describe('csv', () => {
  it('quotes what needs quoting and defuses formulas in text, not in numbers', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('+1')).toBe("'+1");
    expect(csvCell('@cmd')).toBe("'@cmd");
    expect(csvCell('-2')).toBe("'-2");
    expect(csvCell(-2)).toBe('-2');
    expect(csvCell(0.25)).toBe('0.25');
    expect(csvCell(NaN)).toBe('');
    expect(csvCell(Infinity)).toBe('');
    expect(csvCell(null)).toBe('');
    expect(csvCell(undefined)).toBe('');
    expect(csvCell(true)).toBe('true');
    expect(csvCell('<script>x</script>')).toBe('<script>x</script>');
  });

  it('joins rows with newlines and ends with one', () => {
    expect(toCsv(['a', 'b'], [[1, 'x,y']])).toBe('a,b\n1,"x,y"\n');
  });
});

describe('scales and formats', () => {
  it('series colours cycle through the palette', () => {
    expect(seriesColor(0)).toBe('#0072B2');
    expect(seriesColor(7)).toBe(seriesColor(0));
  });

  it('shares sit on the maps’ diverging scale: 0 white-ish, 1 red, -1 blue, clamped', () => {
    expect(shareColor(0)).toBe(colorAt(0.5));
    expect(shareColor(1)).toBe(colorAt(1));
    expect(shareColor(-1)).toBe(colorAt(0));
    expect(shareColor(5)).toBe(colorAt(1));
    expect(shareColor(NaN)).toBe(colorAt(0.5));
  });

  it('text on a fill is white on dark fills and ink on light ones', () => {
    expect(textOn('#ffffff')).toBe('#1d2330');
    expect(textOn(colorAt(0.55))).toBe('#1d2330');
    expect(textOn('#000000')).toBe('#ffffff');
    expect(textOn(colorAt(1))).toBe('#ffffff');
  });

  it('formats changes, shares and metrics', () => {
    expect(formatChange(-0.993)).toBe('−99%');
    expect(formatChange(0.25)).toBe('+25%');
    expect(formatChange(0.004)).toBe('+0.4%');
    expect(formatChange(-0.004)).toBe('−0.4%');
    expect(formatChange(0)).toBe('+0%');
    expect(formatChange(NaN)).toBe('–');
    expect(formatShare(0.92)).toBe('92%');
    expect(formatShare(null)).toBe('–');
    expect(formatMetric(2 / 3)).toBe('0.67');
    expect(formatMetric(null)).toBe('–');
  });
});

describe('chart text', () => {
  it('wraps at spaces within the width, clipping a word that cannot fit', () => {
    expect(wrapText('aaaa bbbb cccc', 60, 10)).toEqual(['aaaa bbbb', 'cccc']);
    expect(wrapText('', 60)).toEqual([]);
    const [line] = wrapText('x'.repeat(100), 56, 10);
    expect(line.endsWith('…')).toBe(true);
    // CJK characters are a full em wide.
    expect(wrapText('法国 的首都 是巴黎', 40, 10)).toEqual(['法国', '的首都', '是巴黎']);
  });

  it('lays swatches out left to right, wrapping before the width', () => {
    const items = ['one', 'two', 'three'].map((label) => ({ label, color: '#000' }));
    const placed = placeSwatches(items, 120);
    expect(placed.map((p) => p.row)).toEqual([0, 0, 1]);
    expect(placed[2].dx).toBe(0);
    expect(placed[1].dx).toBeGreaterThan(0);
  });

  it('names files after the model, the subject and the view', () => {
    expect(
      figureBasename({ model: 'ai-forever/mGPT', subject: 'The capital of France' }, 'overlap'),
    ).toBe('kne_ai-forever-mgpt_the-capital-of-france_overlap');
  });
});

describe('overlap layout', () => {
  const inside = (c: { cx: number; cy: number; r: number }, p: { x: number; y: number }) =>
    Math.hypot(p.x - c.cx, p.y - c.cy) < c.r;

  it('lists every region of 2^n - 1, with zeros, singles first', () => {
    const regions = allRegions(overlap3);
    expect(regions.map((r) => r.languages.join('+'))).toEqual([
      'en',
      'zh',
      'fr',
      'en+zh',
      'en+fr',
      'zh+fr',
      'en+zh+fr',
    ]);
    expect(regions.map((r) => r.count)).toEqual([0, 1, 1, 1, 1, 0, 1]);
    expect(regionOf(overlap3, ['zh', 'fr'])).toEqual({
      languages: ['zh', 'fr'],
      count: 0,
      neurons: [],
    });
    expect(regionOf(overlap3, ['en', 'zh', 'fr']).neurons).toEqual(ns([1, 3]));
  });

  for (const overlap of [overlap2, overlap3])
    it(`puts each count inside exactly its circles (${overlap.languages.length} languages)`, () => {
      const v = vennLayout(overlap, 560, 310);
      expect(v.regions.length).toBe(2 ** overlap.languages.length - 1);
      for (const region of v.regions)
        for (const c of v.circles)
          expect(inside(c, region), `${region.languages} in ${c.language}`).toBe(
            region.languages.includes(c.language),
          );
      // Labels outside their circles, and everything inside the box.
      for (const c of v.circles) {
        expect(inside(c, c.label)).toBe(false);
        expect(c.cx - c.r).toBeGreaterThan(0);
        expect(c.cx + c.r).toBeLessThan(560);
        expect(c.cy + c.r).toBeLessThan(310);
        expect(c.label.maxWidth).toBeGreaterThan(60);
      }
    });

  it('has no Venn diagram for more than three languages', () => {
    expect(() => vennLayout(overlap5, 560, 310)).toThrow(RangeError);
  });

  it('gives UpSet one column per non-empty region, largest first, up to a cap', () => {
    const up = upsetLayout(overlap5, 0, 0);
    expect(up.columns.map((c) => c.count)).toEqual(overlap5.intersections.map((x) => x.count));
    expect(up.rows.map((r) => [r.language, r.size])).toEqual([
      ['en', 2],
      ['zh', 2],
      ['fr', 2],
      ['de', 1],
      ['ja', 2],
    ]);
    const xs = up.columns.map((c) => c.x);
    expect(xs).toEqual([...xs].sort((a, b) => a - b));
    const capped = upsetLayout(overlap5, 0, 0, 2);
    expect(capped.columns.length).toBe(2);
    expect(capped.hidden).toBe(overlap5.intersections.length - 2);
  });

  it('names regions as the lists and exports show them', () => {
    expect(regionLabel(['en', 'zh'], ['en', 'zh'])).toBe('en ∩ zh (LIKN)');
    expect(regionLabel(['en'], ['en', 'zh'])).toBe('en only');
    expect(regionLabel(overlap5.languages, overlap5.languages)).toBe('all 5 languages (LIKN)');
    expect(overlapCsv(overlap2)).toBe(
      'region,languages,layer,unit\nen ∩ zh (LIKN),en zh,1,3\nen only,en,2,5\nzh only,zh,0,7\n',
    );
  });
});

describe('grouped bars', () => {
  const box = { x: 0, y: 0, w: 400, h: 100 };

  it('always includes zero and draws negative bars down from it', () => {
    const g = groupedBars([{ label: 'a', color: '#000', values: [-0.5, 0.25] }], 2, box);
    expect(g.y(0)).toBe(g.zero);
    const [neg, pos] = g.bars;
    expect(neg.y).toBe(g.zero);
    expect(neg.y + neg.h).toBeCloseTo(g.y(-0.5));
    expect(pos.y + pos.h).toBeCloseTo(g.zero);
    expect(g.ticks).toContain(0);
  });

  it('keeps null values as gaps, caps bar width, clamps to a given domain', () => {
    const g = groupedBars(
      [
        { label: 'a', color: '#000', values: [null, 2] },
        { label: 'b', color: '#111', values: [0.5, 0.5] },
      ],
      2,
      box,
      [0, 1],
    );
    expect(g.bars[0]).toMatchObject({ value: null, h: 0 });
    // 2 clamps to the top of [0, 1].
    expect(g.bars[2].y).toBeCloseTo(0);
    for (const b of g.bars) expect(b.w).toBeLessThanOrEqual(MAX_BAR);
    // Bars of a group stay inside its band.
    expect(g.bars[0].x).toBeGreaterThan(0);
    expect(g.bars[1].x + g.bars[1].w).toBeLessThan(200);
  });
});

describe('degenerate layout and graph', () => {
  it('places neurons in layer columns, by unit, the same on every call', () => {
    const neurons = ns([3, 11], [1, 2], [3, 4]);
    const box = { x: 0, y: 0, w: 300, h: 200 };
    const a = layeredLayout(neurons, box);
    expect(a).toEqual(layeredLayout(neurons, box));
    expect(a.columns.map((c) => c.layer)).toEqual([1, 3]);
    const [n311, n12, n34] = a.nodes;
    expect(n12.x).toBeLessThan(n34.x);
    expect(n34.x).toBe(n311.x);
    expect(n34.y).toBeLessThan(n311.y);
    expect(a.nodes.map((n) => n.index)).toEqual([0, 1, 2]);
  });

  it('bows edges off the chord; within a column, to the right', () => {
    const big = { x: -1000, y: -1000, w: 3000, h: 3000 };
    const a = { x: 10, y: 0 };
    const b = { x: 10, y: 100 };
    expect(curvePath(a, edgeControl(a, b, 0.18, big, 40), b)).toBe('M10,0Q70,50 10,100');
    const c = { x: 0, y: 0 };
    const d = { x: 100, y: 0 };
    expect(curvePath(c, edgeControl(c, d, 0.2, big), d)).toBe('M0,0Q50,20 100,0');
  });

  it('keeps every curve inside its bounds, whatever the points and bow', () => {
    const bounds = { x: 20, y: 30, w: 500, h: 200 };
    const random = mulberry32(7);
    const inside = () => ({
      x: bounds.x + random() * bounds.w,
      y: bounds.y + random() * bounds.h,
    });
    for (let k = 0; k < 500; k++) {
      const a = inside();
      const b = k % 5 === 0 ? { x: a.x, y: inside().y } : inside();
      const c = edgeControl(a, b, random() - 0.5, bounds, 30);
      const box = curveBounds(a, c, b);
      expect(box.x).toBeGreaterThanOrEqual(bounds.x - 1e-9);
      expect(box.y).toBeGreaterThanOrEqual(bounds.y - 1e-9);
      expect(box.x + box.w).toBeLessThanOrEqual(bounds.x + bounds.w + 1e-9);
      expect(box.y + box.h).toBeLessThanOrEqual(bounds.y + bounds.h + 1e-9);
    }
  });

  it('finds the extreme points of a curve', () => {
    const box = curveBounds({ x: 0, y: 0 }, { x: 50, y: 100 }, { x: 100, y: 0 });
    expect(box).toEqual({ x: 0, y: 0, w: 100, h: 50 });
  });

  it('places circles of a column a circle apart, and says when they do not fit', () => {
    const r = nodeRadius(511);
    const column = Array.from({ length: 12 }, (_, i) => ({ layer: 0, unit: i * 3 }));
    const others = ns([1, 5], [2, 7], [2, 9]);
    const neurons = [...column, ...others];
    const box = { x: 24, y: 0, w: 500, h: columnHeight(12, r) };
    expect(fitsAsGraph(neurons, box.w)).toBe(true);
    const { nodes } = layeredLayout(neurons, box, r);
    for (const p of nodes) {
      expect(p.y - r).toBeGreaterThanOrEqual(box.y);
      expect(p.y + r).toBeLessThanOrEqual(box.y + box.h);
      expect(p.x - r).toBeGreaterThanOrEqual(box.x);
      expect(p.x + r).toBeLessThanOrEqual(box.x + box.w);
      for (const q of nodes)
        if (q !== p) expect(Math.hypot(p.x - q.x, p.y - q.y)).toBeGreaterThanOrEqual(2 * r);
    }
    // 37 neurons of layer 0 (GPT-2, tau 0.1) do not fit as circles; nor 30 layers in 500 px.
    const many = Array.from({ length: 37 }, (_, i) => ({ layer: 0, unit: i }));
    expect(fitsAsGraph(many, 500)).toBe(false);
    const deep = Array.from({ length: 30 }, (_, i) => ({ layer: i, unit: 1 }));
    expect(fitsAsGraph(deep, 500)).toBe(false);
    expect(fitsAsGraph(deep, 3000)).toBe(true);
  });

  it('builds nodes with single suppressions and edges of pairs and cluster links', () => {
    const g = degenerateGraph(degenerate());
    expect(g.nodes.map((n) => [n.neuron.layer, n.neuron.unit, n.single])).toEqual([
      [3, 4, 0.85],
      [3, 11, 0.84],
      [1, 2, 0.02],
    ]);
    expect(g.edges).toEqual([
      { a: 0, b: 1, kind: 'pair', value: 0.05 },
      { a: 0, b: 1, kind: 'link', value: expect.closeTo(0.98, 5) },
    ]);
  });

  it('exports the upper triangle of the matrix', () => {
    expect(degenerateCsv(degenerate()).split('\n').slice(0, 4)).toEqual([
      'layer_a,unit_a,layer_b,unit_b,p_suppressed,p0,degenerate_pair',
      '3,4,,,0.85,0.9,false',
      '3,4,3,11,0.05,0.9,true',
      '3,4,1,2,0.01,0.9,false',
    ]);
  });
});

describe('dataset views', () => {
  it('picks the scope’s aggregate, the overall one for an unknown relation', () => {
    expect(scopedAggregate(aggregates, null)).toBe(aggregates.overall);
    expect(scopedAggregate(aggregates, { relation: 'capital' })).toBe(aggregates.relations[0]);
    expect(scopedAggregate(aggregates, { relation: 'gone' })).toBe(aggregates.overall);
  });

  it('exports every scope, series, language and layer', () => {
    const lines = layerDistributionCsv(aggregates, ['en', 'zh']).trimEnd().split('\n');
    expect(lines[0]).toBe('relation,series,language,layer,neurons');
    // (4 KN en + 4 KN zh + 4 LIKN + 4 DKN en + 4 DKN zh) per scope, two scopes.
    expect(lines.length).toBe(1 + 2 * 20);
    expect(lines).toContain('*,LIKN,en zh,3,2');
    expect(lines).toContain('capital,KN,zh,3,1');
  });

  it('ranks neurons by how often they are selected and rings only clear leaders', () => {
    const map = { layers: 2, units: 4, facts: 10, counts: [0, 5, 1, 1, 1, 1, 1, 9] };
    expect(mostFrequent(map, 3)).toEqual([
      { layer: 1, unit: 3, count: 9 },
      { layer: 0, unit: 1, count: 5 },
      { layer: 0, unit: 2, count: 1 },
    ]);
    // Five 1s tie for third place: only the two above them are ringed.
    expect(ringed(map).map((n) => n.count)).toEqual([9, 5]);
    expect(frequencyCsv(map, 'en').split('\n')[1]).toBe('en,1,3,9,10');
  });

  it('puts whole-number legend ticks at their place on a linear or √ bar', () => {
    expect(countTicks(1, 'linear')).toEqual([
      { t: 0, label: '0' },
      { t: 1, label: '1' },
    ]);
    const sqrt = countTicks(100, 'sqrt');
    expect(sqrt.at(-1)).toEqual({ t: 1, label: '100' });
    expect(sqrt.map((x) => x.label)).toEqual(['0', '20', '40', '60', '80', '100']);
    expect(sqrt.find((x) => x.label === '20')?.t).toBeCloseTo(Math.sqrt(0.2));
    expect(countTicks(0, 'linear')).toEqual([{ t: 0, label: '0' }]);
  });

  it('rounds the count scale up to a whole step, so its ticks are evenly spaced', () => {
    expect(niceCount(11)).toBe(12);
    expect(countTicks(niceCount(11), 'linear').map((x) => x.label)).toEqual([
      '0',
      '2',
      '4',
      '6',
      '8',
      '10',
      '12',
    ]);
    expect(niceCount(1)).toBe(1);
    expect(niceCount(3)).toBe(3);
    expect(niceCount(0)).toBe(0);
    for (const max of [1, 2, 5, 7, 11, 13, 99, 101, 1234]) {
      const ticks = countTicks(niceCount(max), 'linear');
      const steps = ticks
        .slice(1)
        .map(
          (x, i) => Number(x.label.replace(/,/g, '')) - Number(ticks[i].label.replace(/,/g, '')),
        );
      expect(new Set(steps).size, `max ${max}: ${ticks.map((x) => x.label)}`).toBe(1);
      expect(niceCount(max)).toBeGreaterThanOrEqual(max);
    }
  });
});

describe('interventions and fact checking', () => {
  it('aggregates all facts first, then each relation', () => {
    const rows = effectRows(lab.effects, 'plain');
    expect([...new Set(rows.map((r) => r.relation))]).toEqual(['*', 'capital', 'color']);
    const capital = rows.find(
      (r) => r.relation === 'capital' && r.kind === 'suppress' && r.language === 'en',
    )!;
    expect(capital.related).toBeCloseTo((0.009 - 0.9) / 0.9);
    expect(capital.unrelated).toBe(0);
  });

  it('exports each prompt effect with the top tokens', () => {
    const lines = labCsv(lab).trimEnd().split('\n');
    // 4 effects x 2 languages x (1 related + 1 unrelated).
    expect(lines.length).toBe(1 + 16);
    expect(lines[1]).toBe(
      'fact-capital,capital,LIKN,suppress,1:3,en,related,fact-capital,The capital of X is [MASK] .,Paris,0.9,0.009,-0.99,Paris,Lyon',
    );
    expect(lines[2].split(',')[7]).toBe('snow-color');
  });

  it('picks a scope’s metrics and exports them with the positive class', () => {
    const report = factCheckReport();
    expect(scopedMetrics(report, null)).toBe(report.overall);
    expect(scopedMetrics(report, { relation: 'capital' }).withDkn).toBeNull();
    const lines = factCheckCsv(report).trimEnd().split('\n');
    expect(lines[1]).toBe('*,dkn,the statement is true,3,1,1,3,0.75,0.75,0.75,0.75');
    expect(lines).toContain('capital,dkn,the statement is true,,,,,,,,');
  });
});
