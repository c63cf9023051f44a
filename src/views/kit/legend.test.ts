import { describe, expect, it } from 'vitest';
import { legendTicks } from '../color';
import { textWidth } from '../format';
import { placeTickLabels } from './legend';
import { TEXT_SIZE } from './style';

/** The horizontal extent of each placed label, as placeTickLabels estimates it. */
const extents = (ticks: ReturnType<typeof placeTickLabels>) =>
  ticks.map((t) => {
    const w = textWidth(t.label, TEXT_SIZE);
    const left = t.anchor === 'start' ? t.x : t.anchor === 'end' ? t.x - w : t.x - w / 2;
    return [left, left + w] as const;
  });

describe('placeTickLabels', () => {
  it('drops middle labels that would touch, keeping the ends and zero', () => {
    const ticks = [-0.00099, -0.00049, 0, 0.00049, 0.00099].map((v, i) => ({
      t: i / 4,
      label: String(v),
    }));
    const placed = placeTickLabels(ticks, 0, 150);
    expect(placed.map((t) => t.label)).toEqual(['-0.00099', '0', '0.00099']);
    const e = extents(placed);
    for (let i = 1; i < e.length; i++) expect(e[i][0]).toBeGreaterThanOrEqual(e[i - 1][1] + 6);
  });

  it('keeps every label where there is room, the ends anchored inside the bar', () => {
    const placed = placeTickLabels(
      legendTicks(2, 'linear', 230).map(({ t, value }) => ({ t, label: String(value) })),
      10,
      230,
    );
    expect(placed.map((t) => t.label)).toEqual(['-2', '-1', '0', '1', '2']);
    expect(placed[0]).toMatchObject({ x: 10, anchor: 'start' });
    expect(placed[4]).toMatchObject({ x: 240, anchor: 'end' });
    const e = extents(placed);
    expect(e[0][0]).toBeGreaterThanOrEqual(10);
    expect(e[4][1]).toBeLessThanOrEqual(240);
  });

  it('never lets two labels overlap, whatever the labels and width', () => {
    for (const w of [60, 100, 150, 230, 400])
      for (const label of ['0', '1.5e-7', '−0.000123', '12,345,678']) {
        const ticks = [0, 0.1, 0.25, 0.5, 0.6, 0.75, 1].map((t) => ({ t, label }));
        const e = extents(placeTickLabels(ticks, 0, w));
        for (let i = 1; i < e.length; i++) expect(e[i][0]).toBeGreaterThan(e[i - 1][1]);
      }
  });
});
