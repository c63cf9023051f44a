/**
 * Where the parts of a neuron map go, shared by the canvas view and the SVG export so that both
 * look the same: a header (title, fact, marker key; colour legend on the right), the plot (one row
 * per layer, deepest on top), the unit axis, and in exports a caption.
 */
import { CAPTION_LINE } from './kit/figure';

export const MARGIN_LEFT = 56;
export const MARGIN_RIGHT = 16;
export const HEADER_HEIGHT = 66;
export const AXIS_HEIGHT = 40;

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface MapLayout {
  width: number;
  height: number;
  plot: Box;
  rowHeight: number;
  legend: { x: number; y: number; w: number };
  /** Baseline of the first caption line. */
  captionY: number;
}

/** Rows of 8 to 20 px: twelve layers get 18 px, mGPT's 24 get 9. */
export const rowHeightFor = (layers: number): number =>
  Math.max(8, Math.min(20, Math.round(216 / layers)));

export function mapLayout(width: number, layers: number, captionLines = 0): MapLayout {
  const rowHeight = rowHeightFor(layers);
  const plot = {
    x: MARGIN_LEFT,
    y: HEADER_HEIGHT,
    w: Math.max(40, width - MARGIN_LEFT - MARGIN_RIGHT),
    h: layers * rowHeight,
  };
  const captionTop = plot.y + plot.h + AXIS_HEIGHT;
  // A third of the width, within reason: narrow maps keep room for their title.
  const legendWidth = Math.round(Math.max(150, Math.min(230, width * 0.32)));
  return {
    width,
    height: captionTop + (captionLines > 0 ? captionLines * CAPTION_LINE + 6 : 0),
    plot,
    rowHeight,
    legend: { x: width - MARGIN_RIGHT - legendWidth, y: 4, w: legendWidth },
    captionY: captionTop + CAPTION_LINE - 2,
  };
}

/** Top of a layer's row: the last layer is the top row. */
export const rowY = (layout: MapLayout, layers: number, layer: number): number =>
  layout.plot.y + (layers - 1 - layer) * layout.rowHeight;
