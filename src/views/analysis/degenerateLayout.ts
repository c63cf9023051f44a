/**
 * A deterministic layered layout of a degenerate search's neurons (no force simulation, so an
 * export is the same on every run): one column per layer that has neurons, in layer order; in a
 * column, neurons by unit, evenly spaced and centred. Edges are curves that bow out of the
 * straight line, so an edge between two layers does not run through the nodes of a layer in
 * between, and an edge within a column shows as an arc beside it.
 */
import { byPosition } from '../../analysis/selection';
import type { Neuron } from '../types';

export interface PlacedNode {
  /** Index into the neurons given. */
  index: number;
  neuron: Neuron;
  x: number;
  y: number;
}

export interface LayeredLayout {
  nodes: PlacedNode[];
  /** The columns: their layer and x. */
  columns: { layer: number; x: number }[];
}

export function layeredLayout(
  neurons: readonly Neuron[],
  box: { x: number; y: number; w: number; h: number },
  maxSpacing = 56,
): LayeredLayout {
  const layers = [...new Set(neurons.map((n) => n.layer))].sort((a, b) => a - b);
  const colW = box.w / Math.max(1, layers.length);
  const columns = layers.map((layer, i) => ({ layer, x: box.x + (i + 0.5) * colW }));
  const nodes: PlacedNode[] = [];
  for (const { layer, x } of columns) {
    const members = neurons
      .map((neuron, index) => ({ neuron, index }))
      .filter((m) => m.neuron.layer === layer)
      .sort((a, b) => byPosition(a.neuron, b.neuron));
    const spacing = Math.min(maxSpacing, box.h / members.length);
    const top = box.y + (box.h - spacing * (members.length - 1)) / 2;
    members.forEach((m, i) => nodes.push({ ...m, x, y: top + i * spacing }));
  }
  return { nodes: nodes.sort((a, b) => a.index - b.index), columns };
}

/**
 * The path of an edge: a quadratic curve whose control point sits off the chord's middle by
 * `bow` of its length (to the chord's left, walking from a to b), so edges between the same two
 * columns separate; within one column, an arc to the right.
 */
export function edgePath(a: { x: number; y: number }, b: { x: number; y: number }, bow = 0.18) {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  if (Math.abs(dx) < 1e-6) {
    const cx = a.x + Math.max(24, 0.6 * Math.abs(dy));
    return `M${a.x},${a.y}Q${cx},${(a.y + b.y) / 2} ${b.x},${b.y}`;
  }
  const mx = (a.x + b.x) / 2 - dy * bow;
  const my = (a.y + b.y) / 2 + dx * bow;
  return `M${a.x},${a.y}Q${mx},${my} ${b.x},${b.y}`;
}
