/**
 * Degenerate knowledge neurons of one prompt: a graph of the searched neurons, placed by layer,
 * with degenerate pairs and cluster links as edges; the pair search's suppression matrix as a
 * heatmap (diagonal: one neuron suppressed, elsewhere: two together); and the degenerate groups,
 * which can be highlighted and whose neurons open the neuron map.
 */
import { byPosition, neuronKey } from '../../analysis/selection';
import type { DegenerateResult } from '../../analysis/services';
import { ExportMenu } from '../ExportMenu';
import { formatCount, formatProbability, neuronLabel, textWidth } from '../format';
import { NeuronButtons, RadioGroup } from '../kit/controls';
import { type FigureContext, TITLE_HEIGHT, TitledFigure, figureBasename } from '../kit/figure';
import { ColorLegend, SwatchLegend, swatchRows } from '../kit/legend';
import { HIGHLIGHT, INK, MUTED, TEXT_SIZE } from '../kit/style';
import type { Neuron } from '../types';
import { useControllable } from '../useControllable';
import { toCsv } from './csv';
import {
  columnHeight,
  curvePath,
  edgeControl,
  fitsAsGraph,
  layeredLayout,
  nodeRadius,
} from './degenerateLayout';
import { formatShare, shareColor, textOn } from './scales';
import { DEFAULT_DEGENERATE_STATE, type DegenerateViewState } from './viewState';

export const PAIR_COLOR = '#D55E00';
export const LINK_COLOR = '#0072B2';
export const UNVERIFIED_COLOR = '#9aa3b2';

const lostLabel = 'P(object) lost when suppressed (1 − P / p0)';

/** Lost share of p0, for colours: 1 - p / p0 (0 when p0 is 0). */
const lost = (p: number, p0: number) => (p0 > 0 ? 1 - p / p0 : 0);

const lostTicks = [0, 0.25, 0.5, 0.75, 1].map((t) => ({ t, label: formatShare(t) }));

export interface GraphNode {
  neuron: Neuron;
  /** P(object) with the neuron suppressed alone, when a search measured it. */
  single: number | null;
}

export interface GraphEdge {
  a: number;
  b: number;
  kind: 'pair' | 'link' | 'unverified';
  /** Link strength (clusters), or the pair's P with both suppressed. */
  value: number;
}

/**
 * The graph's nodes (the pair search's neurons, then cluster members not among them) and edges
 * (degenerate pairs; links of strength >= minStrength inside each cluster, marked unverified in
 * clusters that suppression did not confirm).
 */
export function degenerateGraph(result: DegenerateResult): {
  nodes: GraphNode[];
  edges: GraphEdge[];
} {
  const { pairs, clusters } = result;
  const K = pairs.neurons.length;
  const index = new Map<string, number>();
  const nodes: GraphNode[] = [];
  const add = (n: Neuron, single: number | null) => {
    const key = neuronKey(n);
    if (!index.has(key)) {
      index.set(key, nodes.length);
      nodes.push({ neuron: { layer: n.layer, unit: n.unit }, single });
    } else if (nodes[index.get(key)!].single === null) nodes[index.get(key)!].single = single;
    return index.get(key)!;
  };
  pairs.neurons.forEach((n, i) => add(n, pairs.matrix[i * K + i]));
  const edges: GraphEdge[] = pairs.pairs.map((p) => ({
    a: index.get(neuronKey(pairs.neurons[p.a]))!,
    b: index.get(neuronKey(pairs.neurons[p.b]))!,
    kind: 'pair',
    value: p.probability,
  }));
  if (clusters) {
    const n = clusters.neurons.length;
    for (const c of clusters.clusters) {
      const ids = c.members.map((m, k) => add(clusters.neurons[m], c.singles[k]));
      c.members.forEach((i, x) =>
        c.members.forEach((j, y) => {
          const s = clusters.strength[i * n + j];
          if (j > i && s >= clusters.minStrength)
            edges.push({
              a: ids[x],
              b: ids[y],
              kind: c.degenerate ? 'link' : 'unverified',
              value: s,
            });
        }),
      );
    }
  }
  return { nodes, edges };
}

export interface DegenerateFigureProps {
  result: DegenerateResult;
  context: FigureContext;
  edges: DegenerateViewState['edges'];
  /** Index into result.groups of the highlighted group. */
  group: number | null;
  /** Makes nodes clickable (interactive view). */
  onNode?: (n: Neuron) => void;
  width?: number;
}

/** The kinds of edge, as the key and the matrix name them. */
const EDGE_STYLE: Record<GraphEdge['kind'], { label: string; color: string; dashed: boolean }> = {
  pair: { label: 'degenerate pair', color: PAIR_COLOR, dashed: false },
  link: { label: 'cluster link (verified)', color: LINK_COLOR, dashed: true },
  unverified: { label: 'cluster link (not degenerate)', color: UNVERIFIED_COLOR, dashed: true },
};

/** Room around the plot for a highlighted node's ring. */
const RING_PAD = 10;

/**
 * The degenerate neurons as a layered graph (circles by layer, edges as curves), or, when they do
 * not fit as circles (more than MAX_PER_LAYER in a layer, or more layers than columns fit the
 * width), as a matrix: the same neurons in rows and columns, each cell an edge.
 */
export function DegenerateGraphFigure(props: DegenerateFigureProps) {
  const { result, width = 560 } = props;
  const { nodes } = degenerateGraph(result);
  return fitsAsGraph(
    nodes.map((n) => n.neuron),
    width - 48,
  ) ? (
    <DegenerateCircles {...props} width={width} />
  ) : (
    <DegenerateMatrix {...props} width={width} />
  );
}

const graphCaption = (result: DegenerateResult, what: string): string[] => [
  `${result.language} · ${result.text} → ${result.object} · p0 = ${formatProbability(result.p0)}. ` +
    `${what}: the pair search’s top ${formatCount(result.pairs.neurons.length)} KN and the clusters’ members; fill: ${lostLabel} alone.`,
  `A pair is degenerate when each alone loses at most ${formatShare(result.pairs.singleDrop)} of p0 and both together more than ${formatShare(result.pairs.jointDrop)}. ` +
    (result.clusters
      ? `Cluster links: connection strength ≥ ${result.clusters.minStrength.toFixed(2)} (${result.clusters.links}).`
      : 'No clustering was run.'),
];

/** The edges the figure shows. */
const shownEdges = (edges: GraphEdge[], show: DegenerateViewState['edges']) =>
  edges.filter(
    (e) => show === 'both' || (show === 'pairs' ? e.kind === 'pair' : e.kind !== 'pair'),
  );

const highlightedOf = (result: DegenerateResult, group: number | null) =>
  new Set(group !== null ? (result.groups[group]?.neurons ?? []).map(neuronKey) : []);

/** The key (edge kinds, the highlighted group) and the colour bar of the fill, from `top`. */
function GraphKey({ top, width, group }: { top: number; width: number; group: number | null }) {
  const items = graphKeyItems(group);
  const rows = swatchRows(items, width - 24);
  return (
    <>
      <SwatchLegend x={24} y={top + 6} items={items} maxWidth={width - 24} />
      <ColorLegend
        x={24}
        y={top + rows * 16 + 4}
        w={Math.min(260, width - 48)}
        label={lostLabel}
        color={shareColor}
        ticks={lostTicks}
      />
    </>
  );
}

const graphKeyItems = (group: number | null) => [
  ...Object.values(EDGE_STYLE).map((e) => ({
    label: e.label,
    color: e.color,
    mark: e.dashed ? ('dashed' as const) : ('line' as const),
  })),
  ...(group !== null
    ? [{ label: `group ${group + 1}`, color: HIGHLIGHT, mark: 'ring' as const }]
    : []),
];

/** Height of the key and colour bar. */
const keyHeight = (width: number, group: number | null) =>
  swatchRows(graphKeyItems(group), width - 24) * 16 + 52;

function DegenerateCircles({
  result,
  context,
  edges: show,
  group,
  onNode,
  width = 560,
}: DegenerateFigureProps) {
  const { nodes, edges } = degenerateGraph(result);
  const r = nodeRadius(Math.max(0, ...nodes.map((n) => n.neuron.unit)));
  const perLayer = new Map<number, number>();
  for (const n of nodes) perLayer.set(n.neuron.layer, (perLayer.get(n.neuron.layer) ?? 0) + 1);
  const plotH = Math.max(110, columnHeight(Math.max(0, ...perLayer.values()), r));
  const keyY = TITLE_HEIGHT + 2;
  const plot = { x: 24, y: keyY + keyHeight(width, group), w: width - 48, h: plotH + 2 * RING_PAD };
  const inner = { x: plot.x, y: plot.y + RING_PAD, w: plot.w, h: plotH };
  const layout = layeredLayout(
    nodes.map((n) => n.neuron),
    inner,
    r,
  );
  const highlighted = highlightedOf(result, group);
  const bottom = plot.y + plot.h + 40;
  return (
    <TitledFigure
      width={width}
      bottom={bottom}
      label={`Degenerate knowledge neurons: ${result.text} → ${result.object}`}
      title="Degenerate knowledge neurons"
      context={context}
      caption={graphCaption(result, 'Nodes, by layer')}
    >
      <GraphKey top={keyY} width={width} group={group} />
      {layout.columns.map((c) => (
        <text
          key={c.layer}
          x={c.x}
          y={plot.y + plot.h + 14}
          textAnchor="middle"
          fontSize={TEXT_SIZE}
          fill={MUTED}
        >
          L{c.layer}
        </text>
      ))}
      <text
        x={plot.x + plot.w / 2}
        y={bottom - 8}
        textAnchor="middle"
        fontSize={TEXT_SIZE}
        fill={INK}
      >
        Layer (columns) · unit (in the circles)
      </text>
      <g data-role="edges">
        {shownEdges(edges, show).map((e, i) => {
          const a = layout.nodes[e.a];
          const b = layout.nodes[e.b];
          const dim =
            highlighted.size > 0 &&
            !(highlighted.has(neuronKey(a.neuron)) && highlighted.has(neuronKey(b.neuron)));
          const style = EDGE_STYLE[e.kind];
          const width = e.kind === 'pair' ? 2.5 : 1 + 2.5 * e.value;
          // The control point stays inside the plot less the stroke: so does the curve.
          const bounds = {
            x: plot.x + width / 2,
            y: plot.y + width / 2,
            w: plot.w - width,
            h: plot.h - width,
          };
          const c = edgeControl(a, b, e.kind === 'pair' ? 0.18 : -0.18, bounds, layout.arcReach);
          return (
            <path
              key={i}
              d={curvePath(a, c, b)}
              fill="none"
              stroke={style.color}
              strokeWidth={width}
              strokeDasharray={style.dashed ? '5 3' : undefined}
              strokeOpacity={dim ? 0.2 : 0.9}
            />
          );
        })}
      </g>
      {layout.nodes.map((p) => {
        const node = nodes[p.index];
        const fill = node.single === null ? '#ffffff' : shareColor(lost(node.single, result.p0));
        const isHighlighted = highlighted.has(neuronKey(p.neuron));
        return (
          <g
            key={neuronKey(p.neuron)}
            data-neuron={neuronKey(p.neuron)}
            onClick={onNode && (() => onNode(p.neuron))}
            style={onNode ? { cursor: 'pointer' } : undefined}
          >
            <title>{nodeTitle(node, result.p0)}</title>
            {isHighlighted && (
              <circle cx={p.x} cy={p.y} r={r + 5} fill="none" stroke={HIGHLIGHT} strokeWidth={6} />
            )}
            <circle cx={p.x} cy={p.y} r={r} fill={fill} stroke={INK} strokeWidth={1.2} />
            <text x={p.x} y={p.y + 4} textAnchor="middle" fontSize={TEXT_SIZE} fill={textOn(fill)}>
              {p.neuron.unit}
            </text>
          </g>
        );
      })}
    </TitledFigure>
  );
}

const nodeTitle = (node: GraphNode, p0: number) =>
  `${neuronLabel(node.neuron)}: ${
    node.single === null
      ? 'not suppressed alone'
      : `P alone ${formatProbability(node.single)} (${formatShare(lost(node.single, p0))} lost)`
  }`;

/** Matrix cells: at most this wide, and never narrower than a label's line. */
const MATRIX_CELL = { min: 13, max: 24 };

/**
 * The graph as a matrix, for neurons too many to draw as circles: rows and columns are the
 * neurons by layer and unit (a rule between layers); a cell is coloured by the edge between its
 * row and column, the diagonal by the share lost when the neuron is suppressed alone.
 */
function DegenerateMatrix({
  result,
  context,
  edges: show,
  group,
  onNode,
  width: minWidth = 560,
}: DegenerateFigureProps) {
  const { nodes, edges } = degenerateGraph(result);
  const order = nodes.map((_, i) => i).sort((a, b) => byPosition(nodes[a].neuron, nodes[b].neuron));
  const at = new Map(order.map((node, i) => [node, i]));
  const n = nodes.length;
  const labelW =
    Math.max(...nodes.map((x) => textWidth(neuronLabel(x.neuron), TEXT_SIZE)), 40) + 10;
  const cell = Math.max(
    MATRIX_CELL.min,
    Math.min(MATRIX_CELL.max, Math.floor((minWidth - 24 - labelW - 16) / Math.max(1, n))),
  );
  const width = Math.max(minWidth, 24 + labelW + n * cell + 16);
  const keyY = TITLE_HEIGHT + 2;
  const left = 24 + labelW;
  // Column labels are rotated: room for the longest above the cells.
  const top = keyY + keyHeight(width, group) + labelW * 0.8 + 8;
  const highlighted = highlightedOf(result, group);
  const cellEdges = new Map<string, GraphEdge>();
  for (const e of shownEdges(edges, show)) {
    const [i, j] = [at.get(e.a)!, at.get(e.b)!];
    // A pair outranks a cluster link between the same two neurons.
    for (const key of [`${i}:${j}`, `${j}:${i}`])
      if (!cellEdges.has(key) || e.kind === 'pair') cellEdges.set(key, e);
  }
  const layerStarts = order
    .map((node, i) => ({ i, layer: nodes[node].neuron.layer }))
    .filter((x, k, all) => k === 0 || all[k - 1].layer !== x.layer);
  const bottom = top + n * cell + 16;
  return (
    <TitledFigure
      width={width}
      bottom={bottom}
      label={`Degenerate knowledge neurons (matrix of ${n}): ${result.text} → ${result.object}`}
      title="Degenerate knowledge neurons"
      context={context}
      caption={[
        ...graphCaption(
          result,
          `Rows and columns, by layer (${n} neurons: too many to draw as circles)`,
        ),
        'A cell is coloured by the edge between its row and column; the diagonal by the share lost when the neuron is suppressed alone.',
      ]}
    >
      <GraphKey top={keyY} width={width} group={group} />
      {order.map((node, i) => {
        const neuron = nodes[node].neuron;
        const bold = highlighted.has(neuronKey(neuron));
        const select = onNode && (() => onNode(neuron));
        return (
          <g
            key={neuronKey(neuron)}
            data-neuron={neuronKey(neuron)}
            onClick={select}
            style={select ? { cursor: 'pointer' } : undefined}
          >
            <title>{nodeTitle(nodes[node], result.p0)}</title>
            <text
              x={left - 6}
              y={top + (i + 0.5) * cell + 4}
              textAnchor="end"
              fontSize={TEXT_SIZE}
              fontWeight={bold ? 700 : 400}
              fill={INK}
            >
              {neuronLabel(neuron)}
            </text>
            <text
              transform={`translate(${left + (i + 0.5) * cell + 4},${top - 6}) rotate(-50)`}
              fontSize={TEXT_SIZE}
              fontWeight={bold ? 700 : 400}
              fill={INK}
            >
              {neuronLabel(neuron)}
            </text>
          </g>
        );
      })}
      <g data-role="cells">
        {order.map((ni, i) =>
          order.map((_, j) => {
            const e = i === j ? undefined : cellEdges.get(`${i}:${j}`);
            const single = nodes[ni].single;
            const fill =
              i === j
                ? single === null
                  ? '#ffffff'
                  : shareColor(lost(single, result.p0))
                : e
                  ? EDGE_STYLE[e.kind].color
                  : '#f4f5f8';
            return (
              <rect
                key={`${i}:${j}`}
                x={left + j * cell}
                y={top + i * cell}
                width={cell - 1}
                height={cell - 1}
                fill={fill}
                stroke={i === j ? INK : 'none'}
                strokeWidth={i === j ? 0.8 : 0}
              >
                {e && (
                  <title>{`${neuronLabel(nodes[ni].neuron)} – ${neuronLabel(nodes[order[j]].neuron)}: ${EDGE_STYLE[e.kind].label}`}</title>
                )}
              </rect>
            );
          }),
        )}
      </g>
      {layerStarts.slice(1).map(({ i }) => (
        <g key={i} stroke={MUTED} strokeWidth={1}>
          <line
            x1={left}
            x2={left + n * cell}
            y1={top + i * cell - 0.5}
            y2={top + i * cell - 0.5}
          />
          <line
            x1={left + i * cell - 0.5}
            x2={left + i * cell - 0.5}
            y1={top}
            y2={top + n * cell}
          />
        </g>
      ))}
    </TitledFigure>
  );
}

/** The suppression matrix's width unless its neurons need more. */
const MATRIX_WIDTH = 560;

export function SuppressionMatrixFigure({
  result,
  context,
  group,
  width: minWidth = MATRIX_WIDTH,
}: Pick<DegenerateFigureProps, 'result' | 'context' | 'group' | 'width'>) {
  const { pairs, p0 } = result;
  const K = pairs.neurons.length;
  const cell = Math.max(16, Math.min(40, Math.floor(380 / Math.max(1, K))));
  const labelW =
    Math.max(40, ...pairs.neurons.map((n) => textWidth(neuronLabel(n), TEXT_SIZE))) + 10;
  // Column labels are rotated by 50°: room for the longest above the cells.
  const top = TITLE_HEIGHT + 58 + Math.max(56, labelW * 0.8 + 8);
  const left = 16 + labelW;
  const width = Math.max(minWidth, left + K * cell + 24);
  const degenerate = new Set(pairs.pairs.flatMap((p) => [`${p.a}:${p.b}`, `${p.b}:${p.a}`]));
  const candidates = new Set(pairs.candidates);
  const highlighted = new Set(
    group !== null ? (result.groups[group]?.neurons ?? []).map(neuronKey) : [],
  );
  const caption = [
    `Share of P(object) lost (p0 = ${formatProbability(p0)}) when neurons are suppressed: one alone on the diagonal, two together elsewhere.`,
    `Outlined: degenerate pairs (each alone ≤ ${formatShare(pairs.singleDrop)} lost, together > ${formatShare(pairs.jointDrop)}). ` +
      'Grey labels: neurons that lose too much alone to be candidates.',
  ];
  const bottom = top + K * cell + 12;
  const showText = cell >= 30;
  return (
    <TitledFigure
      width={width}
      bottom={bottom}
      label={`Suppression matrix of ${K} neurons: ${result.text} → ${result.object}`}
      title="Single and joint suppression"
      context={context}
      caption={caption}
    >
      <ColorLegend
        x={16}
        y={TITLE_HEIGHT + 6}
        w={260}
        label={lostLabel}
        color={shareColor}
        ticks={lostTicks}
        marks={[pairs.singleDrop, pairs.jointDrop]}
        note={`▼ thresholds: ${formatShare(pairs.singleDrop)} alone, ${formatShare(pairs.jointDrop)} together`}
      />
      {K === 0 && (
        <text x={left} y={top + 20} fontSize={12} fill={MUTED}>
          No knowledge neurons to search.
        </text>
      )}
      {pairs.neurons.map((n, i) => {
        const muted = !candidates.has(i);
        const bold = highlighted.has(neuronKey(n));
        return (
          <g key={neuronKey(n)}>
            <text
              x={left - 6}
              y={top + (i + 0.5) * cell + 3.5}
              textAnchor="end"
              fontSize={TEXT_SIZE}
              fontWeight={bold ? 700 : 400}
              fill={muted ? MUTED : INK}
            >
              {neuronLabel(n)}
            </text>
            <text
              transform={`translate(${left + (i + 0.5) * cell + 3},${top - 6}) rotate(-50)`}
              fontSize={TEXT_SIZE}
              fontWeight={bold ? 700 : 400}
              fill={muted ? MUTED : INK}
            >
              {neuronLabel(n)}
            </text>
          </g>
        );
      })}
      {pairs.neurons.map((_, i) =>
        pairs.neurons.map((__, j) => {
          const p = pairs.matrix[i * K + j];
          const share = lost(p, p0);
          const fill = shareColor(share);
          return (
            <g key={`${i}:${j}`}>
              <title>
                {`${i === j ? neuronLabel(pairs.neurons[i]) : `${neuronLabel(pairs.neurons[i])} + ${neuronLabel(pairs.neurons[j])}`}: P ${formatProbability(p)}, ${formatShare(share)} of p0 lost`}
              </title>
              <rect
                x={left + j * cell}
                y={top + i * cell}
                width={cell - 1}
                height={cell - 1}
                fill={fill}
              />
              {showText && (
                <text
                  x={left + (j + 0.5) * cell}
                  y={top + (i + 0.5) * cell + 3.5}
                  textAnchor="middle"
                  fontSize={TEXT_SIZE}
                  fill={textOn(fill)}
                >
                  {formatShare(share)}
                </text>
              )}
            </g>
          );
        }),
      )}
      {pairs.neurons.map((_, i) =>
        pairs.neurons.map((__, j) =>
          degenerate.has(`${i}:${j}`) ? (
            <rect
              key={`o${i}:${j}`}
              x={left + j * cell + 0.5}
              y={top + i * cell + 0.5}
              width={cell - 2}
              height={cell - 2}
              fill="none"
              stroke={INK}
              strokeWidth={2}
            />
          ) : null,
        ),
      )}
    </TitledFigure>
  );
}

/** The suppression matrix as rows: the CSV export. */
export function degenerateCsv(result: DegenerateResult): string {
  const { pairs } = result;
  const K = pairs.neurons.length;
  const degenerate = new Set(pairs.pairs.map((p) => `${p.a}:${p.b}`));
  const rows = [];
  for (let i = 0; i < K; i++)
    for (let j = i; j < K; j++)
      rows.push([
        pairs.neurons[i].layer,
        pairs.neurons[i].unit,
        i === j ? '' : pairs.neurons[j].layer,
        i === j ? '' : pairs.neurons[j].unit,
        pairs.matrix[i * K + j],
        result.p0,
        i !== j && degenerate.has(`${i}:${j}`),
      ]);
  return toCsv(
    ['layer_a', 'unit_a', 'layer_b', 'unit_b', 'p_suppressed', 'p0', 'degenerate_pair'],
    rows,
  );
}

export interface DegenerateViewProps {
  result: DegenerateResult;
  context: FigureContext;
  selected?: Neuron | null;
  onSelectNeuron?: (layer: number, unit: number) => void;
  state?: DegenerateViewState;
  onStateChange?: (state: DegenerateViewState) => void;
  width?: number;
}

export function DegenerateView({
  result,
  context,
  selected,
  onSelectNeuron,
  state: controlled,
  onStateChange,
  width = 560,
}: DegenerateViewProps) {
  const [state, setState] = useControllable(controlled, onStateChange, DEFAULT_DEGENERATE_STATE);
  const group = state.group !== null && state.group < result.groups.length ? state.group : null;
  const graph = (interactive: boolean) => (
    <DegenerateGraphFigure
      result={result}
      context={context}
      edges={state.edges}
      group={group}
      onNode={interactive && onSelectNeuron ? (n) => onSelectNeuron(n.layer, n.unit) : undefined}
      width={width}
    />
  );
  // A square heatmap gains nothing from a wide area: its own size, no wider than the graph's.
  const matrix = () => (
    <SuppressionMatrixFigure
      result={result}
      context={context}
      group={group}
      width={Math.min(width, MATRIX_WIDTH)}
    />
  );
  const basename = figureBasename(context, 'degenerate');
  return (
    <section className="kn-analysis" aria-label="Degenerate neurons" data-testid="degenerate-view">
      <div className="kn-analysis-toolbar">
        <RadioGroup
          legend="Edges"
          value={state.edges}
          options={[
            ['both', 'pairs and clusters'],
            ['pairs', 'pairs'],
            ['clusters', 'clusters'],
          ]}
          onChange={(edges) => setState({ ...state, edges })}
        />
      </div>
      <div className="kn-analysis-columns">
        <div className="kn-analysis">
          <div className="kn-analysis-figure" data-testid="degenerate-graph">
            {graph(true)}
          </div>
          <ExportMenu
            label="Export the degenerate graph"
            basename={`${basename}-graph`}
            figure={() => graph(false)}
          />
        </div>
        <div className="kn-analysis">
          <div className="kn-analysis-figure" data-testid="suppression-matrix">
            {matrix()}
          </div>
          <ExportMenu
            label="Export the suppression matrix"
            basename={`${basename}-matrix`}
            figure={matrix}
            csv={() => degenerateCsv(result)}
          />
        </div>
      </div>
      <table className="kn-table" data-testid="degenerate-groups">
        <caption>
          Degenerate groups: {formatCount(result.groups.length)}
          {result.groups.length === 0 && ' (no pair or cluster passed the test)'}
        </caption>
        {result.groups.length > 0 && (
          <thead>
            <tr>
              <th scope="col">group</th>
              <th scope="col">neurons</th>
              <th scope="col">found by</th>
              <th scope="col" className="kn-num">
                worst alone
              </th>
              <th scope="col" className="kn-num">
                together
              </th>
            </tr>
          </thead>
        )}
        <tbody>
          {result.groups.map((g, i) => (
            <tr key={i} className={group === i ? 'kn-row-selected' : undefined}>
              <td>
                <button
                  type="button"
                  className="kn-link"
                  aria-pressed={group === i}
                  onClick={() => setState({ ...state, group: group === i ? null : i })}
                >
                  group {i + 1}
                </button>
              </td>
              <td>
                <NeuronButtons
                  neurons={g.neurons}
                  selected={selected}
                  onSelectNeuron={onSelectNeuron}
                />
              </td>
              <td>
                {g.source === 'both'
                  ? 'pair search and clustering'
                  : g.source === 'pair'
                    ? 'pair search'
                    : 'clustering'}
              </td>
              <td className="kn-num">
                {formatShare(lost(Math.min(...g.singles), result.p0))} lost
              </td>
              <td className="kn-num">{formatShare(lost(g.joint, result.p0))} lost</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
