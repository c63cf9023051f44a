/**
 * What a neuron map shows, computed from data and options alone: the knowledge neurons at tau,
 * the visible columns, and the texts. Both the canvas view and the SVG export
 * derive everything from here, so changing tau re-marks without touching the scores.
 */
import { maxAbs, maxScore } from './color';
import { formatCount, formatProbability, formatScore, methodLabel } from './format';
import { type BinnedMap, binUnits, clampRange, fullRange, knowledgeNeurons } from './grid';
import type { NeuronMapData, RefinedSelection, ScoredNeuron, ScaleMode, UnitRange } from './types';

/** More markers than this stop telling anything (tau near 0): the strongest are drawn. */
export const MAX_MARKERS = 300;

export interface MapOptions {
  tau: number;
  /** Colour domain, max |score|; the map's own when left out. */
  domain?: number;
  range?: UnitRange;
  /** Columns available (plot width in pixels for the canvas, a cap for the SVG). */
  maxColumns: number;
  /** A paraphrase-refined map's neurons, which replace the map's own at tau. */
  refined?: RefinedSelection;
}

export interface MapModel {
  range: UnitRange;
  binned: BinnedMap;
  /** Knowledge neurons at tau (or the refined ones), strongest first. */
  neurons: readonly ScoredNeuron[];
  /** tau x max; undefined when no score is positive or the neurons are refined (no one cut). */
  threshold: number | undefined;
  refined?: RefinedSelection;
  domain: number;
}

export function mapModel(map: NeuronMapData, opts: MapOptions): MapModel {
  const range = clampRange(opts.range ?? fullRange(map.units), map.units);
  const max = maxScore(map.scores);
  return {
    range,
    binned: binUnits(map.scores, map.layers, map.units, range, opts.maxColumns),
    neurons: opts.refined?.neurons ?? knowledgeNeurons(map.scores, map.layers, map.units, opts.tau),
    threshold: !opts.refined && max > 0 ? opts.tau * max : undefined,
    domain: opts.domain ?? maxAbs(map.scores),
    refined: opts.refined,
  };
}

export const mapTitle = (language: string, map: NeuronMapData): string =>
  `${language} · ${map.prompt}`;

export const mapSubtitle = (map: NeuronMapData): string =>
  `object “${map.object}” · P(object) = ${formatProbability(map.probability)} · ${map.model}`;

/** The method as the legend names it (short: the caption has the full name). */
export const methodShort = (map: NeuronMapData): string =>
  ({ amig: 'AMIG', ig: 'IG', 'grad-x-act': 'grad × act' })[map.method];

const formatPercentShare = (p: number) => `${Math.round(p * 100)} %`;

/** The export's caption: model, fact, method, m, tau, and how cells and colours read. */
export function captionLines(
  map: NeuronMapData,
  language: string,
  tau: number,
  model: MapModel,
  scaleMode: ScaleMode = 'per-map',
): string[] {
  const { binned, range, neurons, domain, refined } = model;
  const lines = refined
    ? [
        `${map.model} · ${methodLabel(map.method)}, m = ${map.steps} · τ = ${tau} (${language}) · ` +
          `paraphrase-refined, p = ${refined.p}: ${formatCount(neurons.length)} knowledge neurons ` +
          `in more than ${formatPercentShare(refined.p)} of the ${refined.paraphrases} paraphrases’ sets (score > τ × max)`,
        `Fact (${language}), mean of ${refined.paraphrases} paraphrase maps: ${map.prompt} → ${map.object}`,
        `Ring opacity: the share of the paraphrases whose set holds the neuron.`,
      ]
    : [
        `${map.model} · ${methodLabel(map.method)}, m = ${map.steps} · τ = ${tau} (${language}) · ` +
          `${formatCount(neurons.length)} knowledge neurons (score > τ × max)`,
        `Fact (${language}): ${map.prompt} → ${map.object}`,
      ];
  const n = range.end - range.start;
  lines.push(
    binned.binSize > 1
      ? `Units ${formatCount(range.start)}–${formatCount(range.end - 1)} in ${formatCount(binned.columns)} ` +
          `columns: each cell is the maximum score over up to ${binned.binSize} adjacent units.`
      : `Each cell is one neuron (layer × FFN unit); ${formatCount(n)} units shown.`,
  );
  lines.push(
    `Colour: reversed RdBu, symmetric around 0, ±${formatScore(domain)}` +
      (scaleMode === 'common' ? ' (common to all maps).' : ' (this map’s max |score|).') +
      (neurons.length > MAX_MARKERS ? ` Rings mark the ${MAX_MARKERS} strongest.` : ''),
  );
  return lines;
}
