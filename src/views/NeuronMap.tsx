/**
 * The interactive neuron map of one language: cells on a canvas (a map can have 24 x 8192
 * neurons), everything else (header, legend, axes, markers, cursor) in an SVG drawn over it from
 * the same parts as the export. Knowledge neurons are re-marked whenever tau changes; the scores
 * are never recomputed. Mouse: hover for details, click to select, brush the strip below to zoom.
 * Keyboard: the map is one focus stop; arrows move a cursor cell, Enter selects, + and - zoom
 * around the cursor, 0 shows all units.
 */
import {
  type KeyboardEvent,
  type MouseEvent,
  type ReactNode,
  useId,
  useMemo,
  useState,
} from 'react';
import { maxAbs, maxScore } from './color';
import { formatCount, formatScore, neuronLabel, neuronSpoken } from './format';
import {
  type BinnedMap,
  binUnits,
  clampRange,
  columnOf,
  columnUnits,
  fullRange,
  isFullRange,
  knowledgeNeurons,
  scoreRanker,
} from './grid';
import { CellCanvas, cellAt, cellBox, ringAt, ringMarks } from './kit/heatmap';
import { FONT, INK } from './kit/style';
import { mapLayout } from './layout';
import { MAX_MARKERS, type MapModel } from './mapModel';
import { MapOverlay } from './MapOverlay';
import { useControllable } from './useControllable';
import { Overview } from './Overview';
import type { ColorTransform, Neuron, NeuronMapData, RefinedSelection, UnitRange } from './types';

export interface NeuronMapProps {
  map: NeuronMapData;
  /** Shown in the title, e.g. 'en'. */
  language: string;
  tau: number;
  /** Colour domain (max |score|): the map's own when left out; small multiples may share one. */
  domain?: number;
  transform?: ColorTransform;
  /** Visible units. Controlled when given (small multiples zoom together), else the map's own. */
  range?: UnitRange;
  onRangeChange?: (range: UnitRange) => void;
  selected?: Neuron | null;
  onSelectNeuron?: (layer: number, unit: number) => void;
  /** Width in CSS pixels (720). */
  width?: number;
  /** Knowledge neurons every language of the fact shares (small multiples), marked apart. */
  shared?: readonly Neuron[];
  /** Controls of the map's own (its exports), at the end of the row under the zoom strip. */
  actions?: ReactNode;
  /**
   * Show the mouse and keyboard hint (true); small multiples show it in their toolbar's notes,
   * the maps keep it for screen readers.
   */
  hint?: boolean;
  /** A paraphrase-refined map's neurons: they replace the map's own at tau. */
  refined?: RefinedSelection;
}

/**
 * Layout that the map needs to work is inline (views.css only styles it): the SVG lies over the
 * canvas and lets the pointer through to the stage, which maps it to a cell.
 */
const OVERLAY = { position: 'absolute', left: 0, top: 0, pointerEvents: 'none' } as const;

/** How to zoom and move on a map with the mouse and the keys. */
export const MAP_KEYS_HINT =
  'Drag on the strip to zoom. Keys: arrows move, Shift+arrows by 10, Enter selects, + / − zoom, 0 shows all.';

/** Keyboard zoom stops at this many units (cells are wide enough by then). */
const MIN_ZOOM_UNITS = 8;

interface Probe extends Neuron {
  column: number;
}

export function NeuronMap({
  map,
  language,
  tau,
  domain,
  transform = 'linear',
  range: controlledRange,
  onRangeChange,
  selected,
  onSelectNeuron,
  width = 720,
  shared,
  actions,
  hint = true,
  refined,
}: NeuronMapProps) {
  const [rawRange, setRawRange] = useControllable(controlledRange, onRangeChange, () =>
    fullRange(map.units),
  );
  const range = clampRange(rawRange, map.units);
  const setRange = (r: UnitRange) => setRawRange(clampRange(r, map.units));

  const layout = mapLayout(width, map.layers);
  const { plot } = layout;
  const colorDomain = domain ?? maxAbs(map.scores);
  const columns = Math.max(1, Math.floor(plot.w));
  const { start, end } = range;
  const binned = useMemo(
    () => binUnits(map.scores, map.layers, map.units, { start, end }, columns),
    [map, start, end, columns],
  );
  const neurons = useMemo(
    () => refined?.neurons ?? knowledgeNeurons(map.scores, map.layers, map.units, tau),
    [map, tau, refined],
  );
  const knKeys = useMemo(
    () => new Set(neurons.map((n) => n.layer * map.units + n.unit)),
    [neurons, map.units],
  );
  const rank = useMemo(() => scoreRanker(map.scores), [map.scores]);
  const max = useMemo(() => maxScore(map.scores), [map.scores]);
  const model: MapModel = {
    range,
    binned,
    neurons,
    threshold: !refined && max > 0 ? tau * max : undefined,
    domain: colorDomain,
    refined,
  };

  const [hover, setHover] = useState<Probe | null>(null);
  const [cursor, setCursor] = useState<Neuron | null>(null);
  // The cursor's tooltip shows while the keyboard drives the map, not after a mouse click.
  const [keyboard, setKeyboard] = useState(false);
  const [announcement, setAnnouncement] = useState('');

  /** The neuron a column shows in a layer: the unit itself, or the strongest of its bin. */
  const probeAt = (layer: number, column: number): Probe => ({
    layer,
    unit: binned.argmax[layer * binned.columns + column],
    column,
  });
  const cursorProbe: Probe | null =
    cursor && cursor.layer < map.layers && cursor.unit >= start && cursor.unit < end
      ? { ...cursor, column: columnOf(binned, cursor.unit) }
      : null;
  const probe = hover ?? (keyboard ? cursorProbe : null);
  const probeBox = probe && cellBox(layout, binned, probe.layer, probe.column);

  const describe = (n: Neuron) => {
    const i = n.layer * map.units + n.unit;
    const r = rank(map.scores[i]);
    return (
      `${neuronSpoken(n)}: score ${formatScore(map.scores[i])}` +
      (r === undefined ? '' : `, rank ${formatCount(r)} of ${formatCount(map.scores.length)}`) +
      `, activation ${formatScore(map.activations[i])}` +
      (knKeys.has(i) ? ', knowledge neuron' : '')
    );
  };

  const moveCursor = (n: Probe) => {
    setCursor({ layer: n.layer, unit: n.unit });
    setAnnouncement(describe(n));
  };

  // A knowledge neuron's ring is a target of its own: it is larger than a narrow cell.
  const rings = ringMarks(layout, binned, neurons.slice(0, MAX_MARKERS));
  const pointerCell = (e: MouseEvent<HTMLDivElement>): Probe | null => {
    const box = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - box.left;
    const y = e.clientY - box.top;
    const ring = ringAt(rings, x, y);
    if (ring) return { ...ring.neuron, column: columnOf(binned, ring.neuron.unit) };
    const cell = cellAt(layout, binned, x, y);
    return cell && probeAt(cell.layer, cell.column);
  };

  /** Zooms by a factor, keeping the unit `around` at the same place in the view. */
  const zoom = (factor: number, around: number) => {
    const n = end - start;
    const span = Math.min(map.units, Math.max(MIN_ZOOM_UNITS, Math.round(n * factor)));
    const s = Math.round(around - ((around - start) / n) * span);
    const first = Math.max(0, Math.min(s, map.units - span));
    setRange({ start: first, end: first + span });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const here = cursorProbe ?? startProbe();
    const last = binned.columns - 1;
    const step = e.shiftKey ? 10 : 1;
    const moves: Record<string, () => Probe> = {
      ArrowLeft: () => probeAt(here.layer, Math.max(0, here.column - step)),
      ArrowRight: () => probeAt(here.layer, Math.min(last, here.column + step)),
      ArrowUp: () => probeAt(Math.min(map.layers - 1, here.layer + 1), here.column),
      ArrowDown: () => probeAt(Math.max(0, here.layer - 1), here.column),
      Home: () => probeAt(here.layer, 0),
      End: () => probeAt(here.layer, last),
    };
    const actions: Record<string, () => void> = {
      Enter: () => {
        onSelectNeuron?.(here.layer, here.unit);
        setAnnouncement(`Selected ${neuronSpoken(here)}`);
      },
      '+': () => zoom(0.5, here.unit),
      '-': () => zoom(2, here.unit),
      '0': () => setRange(fullRange(map.units)),
      Escape: () => setKeyboard(false),
    };
    actions[' '] = actions.Enter;
    actions['='] = actions['+'];
    if (e.key in moves) {
      moveCursor(moves[e.key]());
      setKeyboard(true);
    } else if (e.key in actions) actions[e.key]();
    else return;
    e.preventDefault();
    setHover(null);
  };

  /** Where the keyboard cursor starts: the strongest visible knowledge neuron, else top left. */
  const startProbe = (): Probe => {
    const kn = neurons.find((n) => n.unit >= start && n.unit < end);
    return kn ? { ...kn, column: columnOf(binned, kn.unit) } : probeAt(map.layers - 1, 0);
  };

  const zoomed = !isFullRange(range, map.units);
  const helpId = useId();

  return (
    <figure className="kn-map" style={{ width }} data-testid={`neuron-map-${language}`}>
      <div
        className="kn-map-stage"
        style={{ position: 'relative', width, height: layout.height }}
        tabIndex={0}
        role="application"
        aria-roledescription="neuron map"
        aria-label={
          `Neuron map, ${language}: ${map.layers} layers × ${formatCount(map.units)} units, ` +
          `${formatCount(neurons.length)} knowledge neurons at τ = ${tau}` +
          (refined ? `, paraphrase-refined at p = ${refined.p}` : '')
        }
        aria-describedby={helpId}
        data-testid="map-stage"
        onMouseMove={(e) => {
          const p = pointerCell(e);
          // Re-render only when the pointer moves to another neuron.
          if (p?.layer !== hover?.layer || p?.unit !== hover?.unit) setHover(p);
        }}
        onMouseLeave={() => setHover(null)}
        onClick={(e) => {
          const p = pointerCell(e);
          setKeyboard(false);
          if (!p) return;
          setCursor({ layer: p.layer, unit: p.unit });
          onSelectNeuron?.(p.layer, p.unit);
        }}
        onFocus={(e) => {
          if (!e.currentTarget.matches(':focus-visible')) return; // focused by a click
          setKeyboard(true);
          if (!cursorProbe) moveCursor(startProbe());
        }}
        onBlur={() => setKeyboard(false)}
        onKeyDown={onKeyDown}
      >
        <CellCanvas binned={binned} domain={colorDomain} transform={transform} box={plot} />
        <svg
          className="kn-map-overlay"
          width={width}
          height={layout.height}
          style={OVERLAY}
          aria-hidden="true"
          fontFamily={FONT}
        >
          <MapOverlay
            map={map}
            language={language}
            tau={tau}
            transform={transform}
            model={model}
            layout={layout}
            selected={selected}
            shared={shared}
          />
          {probeBox && (
            <rect
              data-role="cursor"
              x={probeBox.x - 1.5}
              y={probeBox.y - 1.5}
              width={Math.max(probeBox.w, 3) + 3}
              height={probeBox.h + 3}
              fill="none"
              stroke={INK}
              strokeWidth={1.5}
              strokeDasharray={hover ? undefined : '3 2'}
            />
          )}
        </svg>
        {probe && probeBox && (
          <Tooltip
            map={map}
            probe={probe}
            binned={binned}
            rank={rank}
            isKnowledge={knKeys.has(probe.layer * map.units + probe.unit)}
            x={probeBox.x + probeBox.w / 2}
            y={probeBox.y + probeBox.h}
            width={width}
          />
        )}
      </div>
      <div className="kn-map-zoom">
        <Overview
          map={map}
          domain={colorDomain}
          transform={transform}
          range={range}
          onRangeChange={setRange}
          neurons={neurons}
          x={plot.x}
          width={plot.w}
        />
        <div className="kn-map-zoom-row" style={{ marginLeft: plot.x }}>
          <span id={helpId} className={hint ? 'kn-hint' : 'kn-sr-only'}>
            {MAP_KEYS_HINT}
          </span>
          <button type="button" onClick={() => setRange(fullRange(map.units))} disabled={!zoomed}>
            Reset zoom
          </button>
          {actions}
        </div>
      </div>
      <p className="kn-sr-only" aria-live="polite">
        {announcement}
      </p>
    </figure>
  );
}

function Tooltip({
  map,
  probe,
  binned,
  rank,
  isKnowledge,
  x,
  y,
  width,
}: {
  map: NeuronMapData;
  probe: Probe;
  binned: BinnedMap;
  rank: (score: number) => number | undefined;
  isKnowledge: boolean;
  x: number;
  y: number;
  width: number;
}) {
  const i = probe.layer * map.units + probe.unit;
  const r = rank(map.scores[i]);
  const bin = columnUnits(binned, probe.column);
  // Open to the left of the cell in the right half, so the tooltip stays inside the map.
  const left = x > width / 2;
  return (
    <div
      className="kn-tooltip"
      data-testid="map-tooltip"
      style={{
        position: 'absolute',
        pointerEvents: 'none',
        top: y + 4,
        ...(left ? { right: width - x + 8 } : { left: x + 8 }),
      }}
    >
      <div className="kn-tooltip-title">
        {neuronLabel(probe)}
        {isKnowledge && <span className="kn-badge">knowledge neuron</span>}
      </div>
      <dl>
        <dt>score</dt>
        <dd>{formatScore(map.scores[i])}</dd>
        <dt>rank</dt>
        <dd>{r === undefined ? '–' : `${formatCount(r)} of ${formatCount(map.scores.length)}`}</dd>
        <dt>activation</dt>
        <dd>{formatScore(map.activations[i])}</dd>
      </dl>
      {bin.end - bin.start > 1 && (
        <div className="kn-tooltip-note">
          strongest of units {formatCount(bin.start)}–{formatCount(bin.end - 1)}
        </div>
      )}
    </div>
  );
}
