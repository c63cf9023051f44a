// @vitest-environment jsdom
/**
 * A click on a cell of the aligned maps picks its neuron as the neuron map does (a ring first,
 * else the cell's strongest unit), marks it, and says under the maps what it is; the first
 * model's neuron opens in the neuron map on request.
 */
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type ComparedLanguage,
  type ComparedModel,
  ModelComparisonView,
  alignedLayout,
  alignedPick,
} from './ModelComparison';

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

/** A layers x units map of 0.01 everywhere but the planted cells. */
const map = (layers: number, units: number, cells: Record<number, number>) => ({
  layers,
  units,
  scores: Float32Array.from({ length: layers * units }, (_, i) => cells[i] ?? 0.01),
});

describe('alignedPick', () => {
  const small = map(2, 8, { 11: 1, 4: 0.5 });
  it('picks the cell under the point, layers from the bottom', () => {
    // 160 x 100 px: 8 columns of 20 px, rows of 50 px; layer 1 on top.
    expect(alignedPick(small, 160, 100, [], 10, 75)).toEqual({ layer: 0, unit: 0 });
    expect(alignedPick(small, 160, 100, [], 90, 80)).toEqual({ layer: 0, unit: 4 });
    expect(alignedPick(small, 160, 100, [], 70, 25)).toEqual({ layer: 1, unit: 3 });
    expect(alignedPick(small, 160, 100, [], 160, 25)).toBeNull();
    expect(alignedPick(small, 160, 100, [], -1, 25)).toBeNull();
  });

  it('picks the strongest unit of a bin, and a ring before a narrow cell beside it', () => {
    // 1000 units on 100 px: 10 units a column.
    const wide = map(2, 1000, { 1505: 1, 1532: 0.5 });
    expect(alignedPick(wide, 100, 100, [], 53.5, 25)).toEqual({ layer: 1, unit: 532 });
    const kn = [{ layer: 1, unit: 505 }];
    expect(alignedPick(wide, 100, 100, kn, 53.5, 25)).toEqual({ layer: 1, unit: 505 });
    expect(alignedPick(wide, 100, 100, kn, 53.5, 75)).toMatchObject({ layer: 0 });
  });
});

const models: [ComparedModel, ComparedModel] = [
  { label: 'shallow-bert', layers: 2, units: 8 },
  { label: 'deep-gpt2', layers: 4, units: 6 },
];
const languages: ComparedLanguage[] = [
  {
    language: 'en',
    tau: 0.3,
    prompt: 'The capital of Germany is [MASK]. → Berlin',
    maps: [map(2, 8, { 11: 1 }), map(4, 6, { 13: 1, 23: 0.9 })],
  },
  {
    language: 'zh',
    tau: 0.2,
    prompt: '德国的首都是[MASK]。 → 柏林',
    maps: [map(2, 8, { 3: 0.5 }), undefined],
  },
];

describe('picking in the two-model view', () => {
  let container: HTMLDivElement | undefined;
  let unmount: (() => void) | undefined;
  afterEach(() => {
    act(() => unmount?.());
    container?.remove();
    vi.restoreAllMocks();
  });

  it('a click on a ring shows its neuron; the first model’s opens in the neuron map', async () => {
    const width = 720;
    // The figure on screen at its own size, from the window's top left.
    vi.spyOn(Element.prototype, 'getBoundingClientRect').mockImplementation(function (
      this: Element,
    ) {
      const w = Number(this.getAttribute('width') ?? 0);
      const h = Number(this.getAttribute('height') ?? 0);
      return { left: 0, top: 0, x: 0, y: 0, width: w, height: h, right: w, bottom: h } as DOMRect;
    });
    const onOpenFirst = vi.fn();
    container = document.createElement('div');
    document.body.append(container);
    const root = createRoot(container);
    unmount = () => root.unmount();
    await act(async () =>
      root.render(
        <ModelComparisonView
          models={models}
          languages={languages}
          context={{ model: 'shallow-bert vs deep-gpt2', subject: 'capital of Germany' }}
          width={width}
          onOpenFirst={onOpenFirst}
        />,
      ),
    );
    const status = container.querySelector('[data-testid="compare-neuron"]')!;
    expect(status.textContent).toBe('Click a cell of a map to see its neuron.');
    const g = alignedLayout(width, models, languages.length);
    const plotTop = g.top + 38;
    const hits = container.querySelectorAll('[data-testid="compare-map-hit"]');
    // en: both maps; zh: the first only (the second model's zh map is not there).
    expect(hits).toHaveLength(3);
    const click = (el: Element, x: number, y: number) =>
      act(async () => {
        el.dispatchEvent(new MouseEvent('click', { bubbles: true, clientX: x, clientY: y }));
      });

    // shallow-bert's en KN, L1 u3: the top row (of 2), the 4th of 8 columns.
    await click(hits[0], g.plotX[0] + (3.5 / 8) * g.panel, plotTop + g.h / 4);
    expect(status.textContent).toContain(
      'shallow-bert · en · L1 · u3 (depth 0.5–1): score 1, 100% of the map’s largest |score|; ' +
        'a knowledge neuron at τ 0.3. In this model’s other maps: zh 0.01.',
    );
    expect(container.querySelectorAll('[data-testid="compare-selected-mark"]')).toHaveLength(1);
    const open = [...status.querySelectorAll('button')].find(
      (b) => b.textContent === 'Open in the neuron map',
    )!;
    await act(async () => open.click());
    expect(onOpenFirst).toHaveBeenCalledWith(1, 3);

    // deep-gpt2's en L3 u5 (the top row of 4, the last of 6 columns): no neuron map of its own.
    await click(hits[1], g.plotX[1] + (5.5 / 6) * g.panel, plotTop + g.h / 8);
    expect(status.textContent).toContain('deep-gpt2 · en · L3 · u5 (depth 0.75–1): score 0.9');
    expect(status.textContent).not.toContain('Open in the neuron map');

    const clear = [...status.querySelectorAll('button')].find((b) => b.textContent === 'Clear')!;
    await act(async () => clear.click());
    expect(status.textContent).toBe('Click a cell of a map to see its neuron.');
    expect(container.querySelectorAll('[data-testid="compare-selected-mark"]')).toHaveLength(0);
  });
});
