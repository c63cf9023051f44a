import { describe, expect, it } from 'vitest';
import { binUnits } from '../grid';
import { mapLayout } from '../layout';
import { cellAt, cellBox, ringAt, ringMarks, spreadPixels } from './heatmap';

describe('pointer geometry of a heatmap', () => {
  // 512 units on a 648 px plot: a neuron is 1.27 px wide, as on the 720 px map.
  const layout = mapLayout(720, 4);
  const scores = new Float32Array(4 * 512);
  const binned = binUnits(scores, 4, 512, { start: 0, end: 512 }, Math.floor(layout.plot.w));

  it('finds the neuron under the centre of its cell, for every unit', () => {
    expect(binned.columns).toBe(512);
    for (let u = 0; u < 512; u++) {
      const box = cellBox(layout, binned, 2, u);
      expect(cellAt(layout, binned, box.x + box.w / 2, box.y + box.h / 2)).toEqual({
        layer: 2,
        column: u,
      });
    }
  });

  it('paints each column on the device pixels nearest its place, at any pixel ratio', () => {
    for (const dpr of [1, 1.25, 2]) {
      const width = Math.round(layout.plot.w * dpr);
      // One cell row, each column's colour its index: read back which column each pixel shows.
      const cells = new Uint8ClampedArray(512 * 4);
      for (let c = 0; c < 512; c++) cells.set([c & 255, c >> 8, 0, 255], c * 4);
      const pixels = spreadPixels(cells, 512, 1, width, 1);
      for (let x = 0; x < width; x++) {
        const shown = pixels[x * 4] + 256 * pixels[x * 4 + 1];
        // The pointer over the middle of device pixel x, in CSS pixels of the figure.
        const cell = cellAt(layout, binned, layout.plot.x + (x + 0.5) / dpr, layout.plot.y + 1);
        expect(Math.abs(cell!.column - shown), `dpr ${dpr}, pixel ${x}`).toBeLessThanOrEqual(
          // A pixel straddling two columns shows one of them; its middle may lie in the other.
          1,
        );
      }
      // Every column is painted: no cell vanishes.
      const seen = new Set<number>();
      for (let x = 0; x < width; x++) seen.add(pixels[x * 4] + 256 * pixels[x * 4 + 1]);
      expect(seen.size).toBe(512);
    }
  });

  it('makes knowledge-neuron rings click targets larger than their cells', () => {
    const rings = ringMarks(layout, binned, [
      { layer: 3, unit: 95 },
      { layer: 3, unit: 97 },
      { layer: 0, unit: 400 },
    ]);
    expect(rings).toHaveLength(3);
    const [a, b] = rings;
    // The centre of a ring selects its neuron; so does a point on its stroke.
    expect(ringAt(rings, a.cx, a.cy)?.neuron).toEqual({ layer: 3, unit: 95 });
    expect(ringAt(rings, a.cx, a.cy - a.r)?.neuron).toEqual({ layer: 3, unit: 95 });
    // Between two overlapping rings, the nearer centre wins.
    expect(ringAt(rings, b.cx - 0.2, b.cy)?.neuron).toEqual({ layer: 3, unit: 97 });
    expect(ringAt(rings, a.cx, a.cy + 3 * a.r)).toBeNull();
  });
});
