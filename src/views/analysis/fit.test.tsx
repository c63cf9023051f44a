/**
 * The figures drawn at the main area's width fit it, whatever the width: every circle, rect,
 * line, curve and (by its estimated extent) text lies inside the SVG's box, and the degenerate
 * graph's circles never overlap. Read from the static markup, as the export writes it.
 */
import type { ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import type { EditReport } from '../../analysis/edits';
import type { Prediction } from '../../attribution/predict';
import type { Neuron } from '../../analysis/selection';
import { type DegenerateResult, degenerateGroups } from '../../analysis/services';
import { mulberry32 } from '../../util/random';
import { textWidth } from '../format';
import { DegenerateGraphFigure, DegenerateView } from './Degenerate';
import { curveBounds } from './degenerateLayout';
import { ConfusionFigure, F1BarsFigure } from './FactCheck';
import { degenerate, factCheckReport, manyDegenerate } from './testData';
import { WeightEditFigure } from './WeightEdit';

const context = { model: 'planted-bert', subject: 'The capital of Germany is [MASK] . → Berlin' };

interface Mark {
  tag: string;
  attrs: Record<string, string>;
  text: string;
}

/** The SVG's size and its marks, those under a transform left out (their frame is another). */
function marksOf(markup: string): { width: number; height: number; marks: Mark[] } {
  const marks: Mark[] = [];
  const open: { tag: string; transformed: boolean; mark?: Mark }[] = [];
  let size = { width: NaN, height: NaN };
  for (const m of markup.matchAll(/<(\/?)([a-zA-Z][\w:-]*)([^>]*?)(\/?)>|([^<]+)/g)) {
    const [, close, tag, rawAttrs, selfClose, text] = m;
    if (text !== undefined) {
      const mark = open.at(-1)?.mark;
      if (mark) mark.text += text;
      continue;
    }
    if (close) {
      open.pop();
      continue;
    }
    const attrs = Object.fromEntries(
      [...rawAttrs.matchAll(/([\w:-]+)="([^"]*)"/g)].map(([, k, v]) => [k, v]),
    );
    const transformed = 'transform' in attrs || open.some((o) => o.transformed);
    let mark: Mark | undefined;
    if (tag === 'svg' && Number.isNaN(size.width))
      size = { width: Number(attrs.width), height: Number(attrs.height) };
    else if (!transformed && /^(circle|rect|line|path|text)$/.test(tag)) {
      mark = { tag, attrs, text: '' };
      marks.push(mark);
    }
    if (!selfClose) open.push({ tag, transformed, mark });
  }
  return { ...size, marks };
}

interface Extent {
  left: number;
  top: number;
  right: number;
  bottom: number;
}

const num = (attrs: Record<string, string>, key: string, fallback = 0) =>
  attrs[key] === undefined ? fallback : Number(attrs[key]);

/** Where a mark reaches, its stroke included; text by its estimated width and font size. */
function extentOf({ tag, attrs, text }: Mark): Extent | null {
  const half = attrs.stroke && attrs.stroke !== 'none' ? num(attrs, 'stroke-width', 1) / 2 : 0;
  const grow = (e: Extent): Extent => ({
    left: e.left - half,
    top: e.top - half,
    right: e.right + half,
    bottom: e.bottom + half,
  });
  if (tag === 'circle') {
    const [x, y, r] = [num(attrs, 'cx'), num(attrs, 'cy'), num(attrs, 'r')];
    return grow({ left: x - r, top: y - r, right: x + r, bottom: y + r });
  }
  if (tag === 'rect') {
    const [x, y] = [num(attrs, 'x'), num(attrs, 'y')];
    return grow({
      left: x,
      top: y,
      right: x + num(attrs, 'width'),
      bottom: y + num(attrs, 'height'),
    });
  }
  if (tag === 'line') {
    const xs = [num(attrs, 'x1'), num(attrs, 'x2')];
    const ys = [num(attrs, 'y1'), num(attrs, 'y2')];
    return grow({
      left: Math.min(...xs),
      top: Math.min(...ys),
      right: Math.max(...xs),
      bottom: Math.max(...ys),
    });
  }
  if (tag === 'path') {
    const quadratic = /^M([-\d.e]+),([-\d.e]+)Q([-\d.e]+),([-\d.e]+) ([-\d.e]+),([-\d.e]+)$/.exec(
      attrs.d ?? '',
    );
    if (quadratic) {
      const [ax, ay, cx, cy, bx, by] = quadratic.slice(1).map(Number);
      const box = curveBounds({ x: ax, y: ay }, { x: cx, y: cy }, { x: bx, y: by });
      return grow({ left: box.x, top: box.y, right: box.x + box.w, bottom: box.y + box.h });
    }
    // Straight segments (M, L, H, V, Z with absolute numbers): their points.
    const points = [...(attrs.d ?? '').matchAll(/([-\d.e]+)[ ,]([-\d.e]+)/g)].map((p) => ({
      x: Number(p[1]),
      y: Number(p[2]),
    }));
    if (points.length === 0) return null;
    return grow({
      left: Math.min(...points.map((p) => p.x)),
      top: Math.min(...points.map((p) => p.y)),
      right: Math.max(...points.map((p) => p.x)),
      bottom: Math.max(...points.map((p) => p.y)),
    });
  }
  // text
  const content = text.replace(/&[a-z]+;|&#\d+;/g, '·').trim();
  if (!content) return null;
  const size = num(attrs, 'font-size', 11);
  const w = textWidth(content, size);
  const x = num(attrs, 'x');
  const left =
    attrs['text-anchor'] === 'middle' ? x - w / 2 : attrs['text-anchor'] === 'end' ? x - w : x;
  const y = num(attrs, 'y');
  return { left, top: y - size, right: left + w, bottom: y + 0.25 * size };
}

/** The marks that leave the figure's box, as lines a failure reads well. */
function outside(markup: string): string[] {
  const { width, height, marks } = marksOf(markup);
  expect(width).toBeGreaterThan(0);
  expect(height).toBeGreaterThan(0);
  const problems: string[] = [];
  for (const mark of marks) {
    const e = extentOf(mark);
    if (!e) continue;
    if (e.left < -0.5 || e.top < -0.5 || e.right > width + 0.5 || e.bottom > height + 0.5)
      problems.push(
        `${mark.tag} ${mark.text.trim()} [${e.left.toFixed(1)}, ${e.top.toFixed(1)}, ` +
          `${e.right.toFixed(1)}, ${e.bottom.toFixed(1)}] outside ${width} x ${height}`,
      );
  }
  return problems;
}

const render = (element: ReactElement) => renderToStaticMarkup(element);

const prediction = (token: string, probability: number): Prediction => ({
  probability,
  slots: [{ position: 5, tokenId: 7, token, probability, top: [{ id: 7, token, probability }] }],
});

/** An edit of the capital of Germany in three languages; an update moves it to Hamburg. */
function editReport(kind: EditReport['kind']): EditReport {
  const prompts = [
    ['en', 'The capital of Germany is [MASK] .', 'Berlin', 'Hamburg'],
    ['zh', '德国的首都是[MASK]。', '柏林', '汉堡'],
    ['fr', 'La capitale de l’Allemagne est [MASK] .', 'Berlin', 'Hambourg'],
  ].map(([language, text, object, newObject], i) => ({
    language,
    text,
    object,
    before: prediction(object, 0.9 - 0.2 * i),
    after: prediction(object, 0.1 + 0.1 * i),
    ...(kind === 'update'
      ? {
          newObject,
          newBefore: prediction(newObject, 0.01),
          newAfter: prediction(newObject, 0.6 - 0.1 * i),
        }
      : {}),
  }));
  return {
    factId: 'germany-capital',
    kind,
    neurons: [
      { layer: 1, unit: 3 },
      { layer: 2, unit: 5 },
    ],
    lambda: 2,
    language: 'en',
    fromTokens: ['Berlin'],
    toTokens: ['Hamburg'],
    prompts,
    warnings: [],
  };
}

/** The widths the main area takes, from a phone to the widest chart. */
const WIDTHS = [320, 400, 480, 560, 640, 720, 900, 1100];

/**
 * A search over `neurons` whose degenerate pairs are the given index pairs, with one verified
 * cluster linking `cluster` (all its links at full strength): edges between layers, within a
 * column and of every kind.
 */
function search(neurons: Neuron[], pairs: [number, number][], cluster: number[]): DegenerateResult {
  const K = neurons.length;
  const matrix = new Float64Array(K * K).fill(0.5);
  for (let i = 0; i < K; i++) matrix[i * K + i] = 0.85;
  const scored = neurons.map((n, i) => ({ ...n, score: 1 - i / (2 * K) }));
  const pairSearch = {
    p0: 0.9,
    neurons: scored,
    matrix,
    candidates: scored.map((_, i) => i),
    pairs: pairs.map(([a, b]) => ({ a, b, probability: 0.05 })),
    singleDrop: 0.2,
    jointDrop: 0.25,
  };
  const strength = new Float32Array(K * K);
  for (const i of cluster) for (const j of cluster) if (i !== j) strength[i * K + j] = 1;
  const clusters = {
    p0: 0.9,
    neurons: scored,
    connections: { feed: new Float32Array(K * K), redundancy: strength },
    links: 'feed+redundancy' as const,
    strength,
    minStrength: 0.5,
    clusters: [
      {
        members: cluster,
        singles: cluster.map(() => 0.85),
        joint: 0.05,
        degenerate: true,
      },
    ],
    singleDrop: 0.2,
    jointDrop: 0.25,
  };
  return {
    language: 'en',
    text: 'The capital of Germany is [MASK] .',
    object: 'Berlin',
    model: 'demo-bert',
    p0: 0.9,
    kn: scored,
    pairs: pairSearch,
    clusters,
    groups: degenerateGroups(pairSearch, clusters),
  };
}

/** Random searches: up to 12 layers, up to 12 neurons in a layer, units up to 5 digits. */
function randomSearches(count: number): DegenerateResult[] {
  const random = mulberry32(13);
  const pick = (n: number) => Math.floor(random() * n);
  return Array.from({ length: count }, () => {
    const layers = 1 + pick(12);
    const seen = new Set<string>();
    const neurons: Neuron[] = [];
    const size = 2 + pick(20);
    const maxUnit = random() < 0.3 ? 30_000 : 3072;
    while (neurons.length < size) {
      const n = { layer: pick(layers), unit: pick(maxUnit) };
      if (!seen.has(`${n.layer}:${n.unit}`)) {
        seen.add(`${n.layer}:${n.unit}`);
        neurons.push(n);
      }
    }
    const pairs: [number, number][] = [];
    for (let k = 0; k < size; k++) {
      const [a, b] = [pick(size), pick(size)];
      if (a !== b) pairs.push([Math.min(a, b), Math.max(a, b)]);
    }
    const cluster = [...new Set(Array.from({ length: 2 + pick(4) }, () => pick(size)))];
    return search(neurons, pairs, cluster.length > 1 ? cluster : [0, 1]);
  });
}

describe('figures fit the main area at any width', () => {
  const cases = [degenerate(), manyDegenerate(8), manyDegenerate(37), ...randomSearches(24)];

  it('the degenerate graph: every mark inside its box, at the width given when drawn as circles', () => {
    for (const width of WIDTHS)
      for (const [i, result] of cases.entries())
        for (const group of [null, 0]) {
          const markup = render(
            <DegenerateGraphFigure
              result={result}
              context={context}
              edges="both"
              group={result.groups.length > 0 ? group : null}
              width={width}
            />,
          );
          expect(outside(markup), `case ${i} at ${width} px`).toEqual([]);
          if (markup.includes('<circle'))
            expect(marksOf(markup).width, `case ${i} at ${width} px`).toBe(width);
        }
  });

  it('the degenerate graph: circles never overlap, and the edges are drawn', () => {
    const asCircles = new Map<number, number>();
    for (const width of WIDTHS)
      for (const [i, result] of cases.entries()) {
        const markup = render(
          <DegenerateGraphFigure
            result={result}
            context={context}
            edges="both"
            group={null}
            width={width}
          />,
        );
        const circles = marksOf(markup)
          .marks.filter((m) => m.tag === 'circle')
          .map((m) => ({ x: num(m.attrs, 'cx'), y: num(m.attrs, 'cy'), r: num(m.attrs, 'r') }));
        for (const [k, a] of circles.entries())
          for (const b of circles.slice(k + 1))
            expect(
              Math.hypot(a.x - b.x, a.y - b.y),
              `case ${i} at ${width} px`,
            ).toBeGreaterThanOrEqual(a.r + b.r);
        if (circles.length === 0) continue;
        asCircles.set(width, (asCircles.get(width) ?? 0) + 1);
        expect(markup.match(/<path d="M[^"]*Q/g)?.length ?? 0).toBeGreaterThan(0);
      }
    // Most searches are drawn as circles at a chart's usual width; fewer in a narrow one.
    expect(asCircles.get(560)).toBeGreaterThan(cases.length / 2);
    expect(asCircles.get(1100)!).toBeGreaterThanOrEqual(asCircles.get(320) ?? 0);
  });

  it('wider areas give the graph more room, the suppression matrix keeps its own size', () => {
    const result = search(
      [
        { layer: 0, unit: 5 },
        { layer: 3, unit: 7 },
        { layer: 3, unit: 9 },
        { layer: 11, unit: 2 },
      ],
      [[0, 1]],
      [1, 2, 3],
    );
    const columnXs = (width: number) => {
      const { marks } = marksOf(
        render(
          <DegenerateGraphFigure
            result={result}
            context={context}
            edges="both"
            group={null}
            width={width}
          />,
        ),
      );
      const xs = marks.filter((m) => m.tag === 'circle').map((m) => num(m.attrs, 'cx'));
      return Math.max(...xs) - Math.min(...xs);
    };
    expect(columnXs(1100)).toBeGreaterThan(columnXs(560) + 400);
    const view = render(<DegenerateView result={result} context={context} width={1100} />);
    const widths = [...view.matchAll(/<svg[^>]*? width="(\d+)"/g)].map((m) => Number(m[1]));
    expect(widths).toContain(1100);
    expect(Math.min(...widths)).toBe(560);
  });

  it('the fact check’s and the weight edit’s figures', () => {
    for (const width of WIDTHS) {
      for (const scope of [null, { relation: 'color' }]) {
        const confusion = render(
          <ConfusionFigure
            report={factCheckReport()}
            context={context}
            scope={scope}
            width={width}
          />,
        );
        expect(outside(confusion), `confusion at ${width} px`).toEqual([]);
        expect(marksOf(confusion).width).toBe(width);
      }
      const f1 = render(
        <F1BarsFigure report={factCheckReport()} context={context} width={width} />,
      );
      expect(outside(f1), `F1 at ${width} px`).toEqual([]);
      expect(marksOf(f1).width).toBe(width);
      for (const kind of ['erase', 'update'] as const) {
        const edit = render(
          <WeightEditFigure report={editReport(kind)} context={context} width={width} />,
        );
        expect(outside(edit), `${kind} at ${width} px`).toEqual([]);
        expect(marksOf(edit).width).toBe(width);
      }
    }
  });
});
