/**
 * A deterministic layered layout of a degenerate search's neurons (no force simulation, so an
 * export is the same on every run): one column per layer that has neurons, in layer order; in a
 * column, neurons by unit, evenly spaced and centred, never closer than a circle's width. Edges
 * are quadratic curves that bow out of the straight line, so an edge between two layers does not
 * run through the nodes of a layer in between, and an edge within a column shows as an arc beside
 * it. Every curve's control point is kept inside the drawing's box: a quadratic curve lies in the
 * triangle of its three points, so no edge leaves the box. When the neurons do not fit as circles
 * (too many in a layer, too many layers for the width), `fitsAsGraph` says so and the figure
 * draws them as a matrix instead.
 */
import { byPosition } from '../../analysis/selection';
import type { Neuron } from '../types';

export interface Point {
  x: number;
  y: number;
}

export interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface PlacedNode extends Point {
  /** Index into the neurons given. */
  index: number;
  neuron: Neuron;
}

export interface LayeredLayout {
  nodes: PlacedNode[];
  /** The columns: their layer and x. */
  columns: { layer: number; x: number }[];
  /** Where the curves' control points may go: the plot, less the stroke's half width. */
  bounds: Box;
  /** How far an arc within a column may reach to the right of it. */
  arcReach: number;
}

/** Circle radius of a node: room for a unit number of 4 digits at 11 px, 5 digits wider. */
export const nodeRadius = (maxUnit: number): number => (maxUnit >= 10_000 ? 19 : 16);
/** Space between two circles of a column (px). */
export const NODE_GAP = 8;
/** Room beside a column for its arcs: an arc's middle clears the circles it passes. */
export const arcRoomFor = (r: number): number => r + NODE_GAP + 6;
/** Most neurons of one layer drawn as circles. */
export const MAX_PER_LAYER = 12;

/** Pitch of the nodes in a column. */
export const nodePitch = (r: number): number => 2 * r + NODE_GAP;

/** Layers that have neurons, in order. */
const layersOf = (neurons: readonly Neuron[]) =>
  [...new Set(neurons.map((n) => n.layer))].sort((a, b) => a - b);

/** The width one layer column needs: its circles and the arcs to their right. */
const columnWidth = (r: number) => 2 * r + arcRoomFor(r) + NODE_GAP;

/**
 * Whether the neurons fit as a graph in `width`: at most MAX_PER_LAYER in any layer, and a
 * column wide enough for circles and arcs for each layer.
 */
export function fitsAsGraph(neurons: readonly Neuron[], width: number): boolean {
  if (neurons.length === 0) return true;
  const perLayer = new Map<number, number>();
  for (const n of neurons) perLayer.set(n.layer, (perLayer.get(n.layer) ?? 0) + 1);
  const r = nodeRadius(Math.max(...neurons.map((n) => n.unit)));
  return (
    Math.max(...perLayer.values()) <= MAX_PER_LAYER &&
    layersOf(neurons).length * columnWidth(r) <= width
  );
}

/** The height a column of `count` circles needs. */
export const columnHeight = (count: number, r: number): number => Math.max(1, count) * nodePitch(r);

/**
 * Places the neurons in `box`: columns spread over its width, each with room for its arcs on the
 * right; in a column, circles `nodePitch` apart (closer never), centred vertically. The box must
 * be tall enough for the fullest column (columnHeight) and wide enough (fitsAsGraph).
 */
export function layeredLayout(neurons: readonly Neuron[], box: Box, r = 16): LayeredLayout {
  const layers = layersOf(neurons);
  const arcReach = arcRoomFor(r);
  // Columns' centres: the last keeps room for its arcs before the box's right edge.
  const inner = { x: box.x + r, w: Math.max(0, box.w - 2 * r - arcReach) };
  const step = layers.length > 1 ? inner.w / (layers.length - 1) : 0;
  const columns = layers.map((layer, i) => ({
    layer,
    x: layers.length > 1 ? inner.x + i * step : inner.x + inner.w / 2,
  }));
  const nodes: PlacedNode[] = [];
  for (const { layer, x } of columns) {
    const members = neurons
      .map((neuron, index) => ({ neuron, index }))
      .filter((m) => m.neuron.layer === layer)
      .sort((a, b) => byPosition(a.neuron, b.neuron));
    const pitch = nodePitch(r);
    const top = box.y + (box.h - pitch * (members.length - 1)) / 2;
    members.forEach((m, i) => nodes.push({ ...m, x, y: top + i * pitch }));
  }
  return {
    nodes: nodes.sort((a, b) => a.index - b.index),
    columns,
    bounds: box,
    arcReach,
  };
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

/** A point moved into a box. */
export const clampToBox = (p: Point, b: Box): Point => ({
  x: clamp(p.x, b.x, b.x + b.w),
  y: clamp(p.y, b.y, b.y + b.h),
});

/**
 * The control point of an edge: off the chord's middle by `bow` of its length (to the chord's
 * left, walking from a to b), so edges between the same two columns separate; within one column,
 * to the right, as far as `reach` allows. Always inside `bounds`.
 */
export function edgeControl(
  a: Point,
  b: Point,
  bow: number,
  bounds: Box,
  reach = Number.POSITIVE_INFINITY,
): Point {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  if (Math.abs(dx) < 1e-6) {
    // The curve's middle lies halfway to the control point: 2 x reach puts it `reach` out.
    const out = Math.min(2 * reach, Math.max(48, 0.6 * Math.abs(dy)));
    return clampToBox({ x: a.x + out, y: (a.y + b.y) / 2 }, bounds);
  }
  return clampToBox({ x: (a.x + b.x) / 2 - dy * bow, y: (a.y + b.y) / 2 + dx * bow }, bounds);
}

/** The SVG path of a quadratic curve from a to b through control point c. */
export const curvePath = (a: Point, c: Point, b: Point): string =>
  `M${a.x},${a.y}Q${c.x},${c.y} ${b.x},${b.y}`;

/** The extent of a quadratic curve: its ends and, where it turns, its extreme points. */
export function curveBounds(a: Point, c: Point, b: Point): Box {
  const extreme = (p0: number, p1: number, p2: number) => {
    const values = [p0, p2];
    const d = p0 - 2 * p1 + p2;
    if (Math.abs(d) > 1e-12) {
      const t = (p0 - p1) / d;
      if (t > 0 && t < 1) values.push((1 - t) * (1 - t) * p0 + 2 * (1 - t) * t * p1 + t * t * p2);
    }
    return [Math.min(...values), Math.max(...values)];
  };
  const [x0, x1] = extreme(a.x, c.x, b.x);
  const [y0, y1] = extreme(a.y, c.y, b.y);
  return { x: x0, y: y0, w: x1 - x0, h: y1 - y0 };
}
