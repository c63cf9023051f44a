/**
 * Language overlap of a fact's knowledge neurons: a Venn diagram for two or three languages, an
 * UpSet plot for more (or on request), and the neurons of each exclusive region, each a button
 * into the neuron map. Clicking a region (or its row) lists its neurons; by default the region
 * of all languages, the language-independent neurons (LIKN).
 */
import { useId } from 'react';
import type { LanguageOverlap } from '../../analysis/overlap';
import { ExportMenu } from '../ExportMenu';
import { fitText, formatCount } from '../format';
import { NeuronButtons, RadioGroup } from '../kit/controls';
import { type FigureContext, TITLE_HEIGHT, TitledFigure, figureBasename } from '../kit/figure';
import { HIGHLIGHT, INK, MUTED, TEXT_SIZE } from '../kit/style';
import type { Neuron } from '../types';
import { useControllable } from '../useControllable';
import { toCsv } from './csv';
import {
  type Region,
  allRegions,
  regionKey,
  regionOf,
  upsetLayout,
  vennLayout,
} from './overlapLayout';
import { seriesColor } from './scales';
import { DEFAULT_OVERLAP_STATE, type OverlapViewState } from './viewState';

export interface OverlapFigureProps {
  overlap: LanguageOverlap;
  context: FigureContext;
  /** Each language's tau, for the caption. */
  taus?: Record<string, number>;
  /** 'venn' needs two or three languages. */
  layout: 'venn' | 'upset';
  /** The highlighted region's languages; null: all languages. */
  region: string[] | null;
  /** Makes regions clickable (interactive view; the export leaves it out). */
  onRegion?: (languages: string[]) => void;
  width?: number;
}

/** How a region reads: "en only", "en ∩ zh only", "en ∩ zh (LIKN)", "all 5 languages (LIKN)". */
export function regionLabel(languages: readonly string[], all: readonly string[]): string {
  if (languages.length === all.length && all.length > 1)
    return all.length <= 3 ? `${all.join(' ∩ ')} (LIKN)` : `all ${all.length} languages (LIKN)`;
  return `${languages.join(' ∩ ')} only`;
}

/** The figure's caption: what is counted, the thresholds, the LIKN count. */
export function overlapCaption(
  overlap: LanguageOverlap,
  layout: 'venn' | 'upset',
  taus: Record<string, number> | undefined,
  hidden = 0,
): string[] {
  const lines = [
    `Knowledge neurons in exactly the languages marked; in every language (LIKN): ` +
      `${formatCount(overlap.shared.length)}.`,
  ];
  if (taus)
    lines.push(
      `KN per language: score > τ × max (τ ${overlap.languages
        .map((l) => `${l} ${taus[l] ?? '–'}`)
        .join(', ')}).`,
    );
  lines.push(
    layout === 'venn'
      ? 'Areas are not proportional to the counts.'
      : `Bars: neurons per exclusive intersection${hidden ? ` (the ${hidden} smallest left out)` : ''}; left, each language’s KN count.`,
  );
  return lines;
}

const VENN_HEIGHT = 310;

/** The overlap as a standalone SVG: a pure function of its props. */
export function OverlapFigure(props: OverlapFigureProps) {
  const { overlap, context, layout, width = 560 } = props;
  const title = 'Language overlap of knowledge neurons';
  const label = `${title}: ${overlap.languages.join(', ')}`;
  const frame = { label, title, context };
  if (layout === 'venn')
    return (
      <TitledFigure
        {...frame}
        width={width}
        bottom={TITLE_HEIGHT + VENN_HEIGHT}
        caption={overlapCaption(overlap, 'venn', props.taus)}
      >
        <g transform={`translate(0,${TITLE_HEIGHT})`}>
          <Venn {...props} width={width} />
        </g>
      </TitledFigure>
    );
  const up = upsetLayout(overlap, 16, TITLE_HEIGHT + 10);
  return (
    <TitledFigure
      {...frame}
      width={Math.max(width, up.width + 40)}
      bottom={TITLE_HEIGHT + 10 + up.height + 26}
      caption={overlapCaption(overlap, 'upset', props.taus, up.hidden)}
    >
      <Upset {...props} />
    </TitledFigure>
  );
}

function Venn({ overlap, region, onRegion, width = 560 }: OverlapFigureProps) {
  const id = `venn${useId().replace(/[^\w-]/g, '')}`;
  const v = vennLayout(overlap, width, VENN_HEIGHT);
  const selected = region ?? overlap.languages;
  const inside = v.circles.filter((c) => selected.includes(c.language));
  const outside = v.circles.filter((c) => !selected.includes(c.language));
  // The selected region: a rect clipped to every circle it is in (nested clips intersect) and
  // masked by every circle it is not in.
  const highlight = inside.reduceRight(
    (child, c, i) => (
      <g clipPath={`url(#${id}-c${v.circles.indexOf(c)})`} key={i}>
        {child}
      </g>
    ),
    <rect
      width={width}
      height={VENN_HEIGHT}
      fill={HIGHLIGHT}
      fillOpacity={0.55}
      mask={`url(#${id}-m)`}
    />,
  );
  return (
    <g>
      <defs>
        {v.circles.map((c, i) => (
          <clipPath id={`${id}-c${i}`} key={c.language}>
            <circle cx={c.cx} cy={c.cy} r={c.r} />
          </clipPath>
        ))}
        <mask id={`${id}-m`}>
          <rect width={width} height={VENN_HEIGHT} fill="#ffffff" />
          {outside.map((c) => (
            <circle key={c.language} cx={c.cx} cy={c.cy} r={c.r} fill="#000000" />
          ))}
        </mask>
      </defs>
      {v.circles.map((c, i) => (
        <circle
          key={c.language}
          cx={c.cx}
          cy={c.cy}
          r={c.r}
          fill={seriesColor(i)}
          fillOpacity={0.1}
        />
      ))}
      {highlight}
      {v.circles.map((c, i) => (
        <g key={c.language}>
          <circle cx={c.cx} cy={c.cy} r={c.r} fill="none" stroke={seriesColor(i)} strokeWidth={2} />
          <text
            x={c.label.x}
            y={c.label.y}
            textAnchor={c.label.anchor}
            fontSize={12}
            fontWeight={700}
            fill={INK}
          >
            {fitText(c.language, c.label.maxWidth - 60, 12)}
            <tspan fontWeight={400} fill={MUTED}>
              {` · ${formatCount(overlap.sizes[c.language])} KN`}
            </tspan>
          </text>
        </g>
      ))}
      {v.regions.map((g) => (
        <RegionCount
          key={regionKey(g.languages)}
          x={g.x}
          y={g.y}
          region={g}
          label={regionLabel(g.languages, overlap.languages)}
          onClick={onRegion && (() => onRegion(g.languages))}
        />
      ))}
    </g>
  );
}

function RegionCount({
  x,
  y,
  region,
  label,
  onClick,
}: {
  x: number;
  y: number;
  region: Region;
  label: string;
  onClick?: () => void;
}) {
  return (
    <g
      data-region={regionKey(region.languages)}
      onClick={onClick}
      style={onClick ? { cursor: 'pointer' } : undefined}
    >
      <title>{`${label}: ${region.count}`}</title>
      {onClick && <circle cx={x} cy={y} r={20} fill="#ffffff" fillOpacity={0} />}
      <text
        x={x}
        y={y + 7}
        textAnchor="middle"
        fontSize={20}
        fontWeight={700}
        fill={region.count ? INK : MUTED}
      >
        {formatCount(region.count)}
      </text>
    </g>
  );
}

function Upset({ overlap, region, onRegion }: OverlapFigureProps) {
  const up = upsetLayout(overlap, 16, TITLE_HEIGHT + 10);
  const selected = regionKey(region ?? overlap.languages);
  const maxCount = Math.max(1, ...up.columns.map((c) => c.count));
  const maxSize = Math.max(1, ...up.rows.map((r) => r.size));
  const barW = up.column - 8;
  return (
    <g>
      {up.rows.map((r, i) =>
        i % 2 ? null : (
          <rect
            key={r.language}
            x={up.sizes.x}
            y={r.y - up.row / 2}
            width={up.matrix.x + up.matrix.w - up.sizes.x}
            height={up.row}
            fill="#f3f4f7"
          />
        ),
      )}
      <text
        transform={`translate(${up.bars.x - 10},${up.bars.y + up.bars.h / 2}) rotate(-90)`}
        fontSize={11}
        fill={INK}
        textAnchor="middle"
      >
        Neurons
      </text>
      {up.columns.map((c) => {
        const h = (c.count / maxCount) * (up.bars.h - 16);
        const isSelected = regionKey(c.languages) === selected;
        const filled = new Set(c.languages);
        const ys = up.rows.filter((r) => filled.has(r.language)).map((r) => r.y);
        // The column from its bar to the matrix: highlighted when selected, clickable.
        const column = {
          x: c.x - up.column / 2,
          y: up.bars.y,
          width: up.column,
          height: up.matrix.y + up.matrix.h - up.bars.y,
        };
        return (
          <g
            key={regionKey(c.languages)}
            data-region={regionKey(c.languages)}
            onClick={onRegion && (() => onRegion(c.languages))}
            style={onRegion ? { cursor: 'pointer' } : undefined}
          >
            <title>{`${regionLabel(c.languages, overlap.languages)}: ${c.count}`}</title>
            {isSelected && <rect {...column} fill={HIGHLIGHT} fillOpacity={0.55} />}
            {onRegion && <rect {...column} fill="#ffffff" fillOpacity={0} />}
            <rect
              x={c.x - barW / 2}
              y={up.bars.y + up.bars.h - h}
              width={barW}
              height={h}
              fill={INK}
            />
            <text
              x={c.x}
              y={up.bars.y + up.bars.h - h - 4}
              textAnchor="middle"
              fontSize={TEXT_SIZE}
              fill={INK}
            >
              {formatCount(c.count)}
            </text>
            {ys.length > 1 && (
              <line
                x1={c.x}
                x2={c.x}
                y1={Math.min(...ys)}
                y2={Math.max(...ys)}
                stroke={INK}
                strokeWidth={2}
              />
            )}
            {up.rows.map((r) => (
              <circle
                key={r.language}
                cx={c.x}
                cy={r.y}
                r={6}
                fill={filled.has(r.language) ? INK : '#d3d7de'}
              />
            ))}
          </g>
        );
      })}
      <line
        x1={up.bars.x}
        x2={up.bars.x + up.bars.w}
        y1={up.bars.y + up.bars.h}
        y2={up.bars.y + up.bars.h}
        stroke={MUTED}
      />
      {up.rows.map((r, i) => {
        const w = (r.size / maxSize) * up.sizes.w;
        const right = up.sizes.x + up.sizes.w;
        return (
          <g key={r.language}>
            <rect x={right - w} y={r.y - 6} width={w} height={12} fill={seriesColor(i)} />
            <text
              x={right - w - 4}
              y={r.y + 3.5}
              textAnchor="end"
              fontSize={TEXT_SIZE}
              fill={MUTED}
            >
              {formatCount(r.size)}
            </text>
            <text
              x={up.matrix.x - 10}
              y={r.y + 4}
              textAnchor="end"
              fontSize={12}
              fontWeight={700}
              fill={INK}
            >
              {fitText(r.language, 60, 12)}
            </text>
          </g>
        );
      })}
      <text
        x={up.sizes.x + up.sizes.w}
        y={up.matrix.y + up.matrix.h + 16}
        textAnchor="end"
        fontSize={11}
        fill={INK}
      >
        KN per language
      </text>
    </g>
  );
}

/** One row per exclusive region with its neurons: the CSV export. */
export function overlapCsv(overlap: LanguageOverlap): string {
  return toCsv(
    ['region', 'languages', 'layer', 'unit'],
    overlap.intersections.flatMap((x) =>
      x.neurons.map((n) => [
        regionLabel(x.languages, overlap.languages),
        x.languages.join(' '),
        n.layer,
        n.unit,
      ]),
    ),
  );
}

export interface LanguageOverlapViewProps {
  overlap: LanguageOverlap;
  context: FigureContext;
  taus?: Record<string, number>;
  selected?: Neuron | null;
  onSelectNeuron?: (layer: number, unit: number) => void;
  /** Controlled when given (restored from a link); the view's own otherwise. */
  state?: OverlapViewState;
  onStateChange?: (state: OverlapViewState) => void;
  width?: number;
}

export function LanguageOverlapView({
  overlap,
  context,
  taus,
  selected,
  onSelectNeuron,
  state: controlled,
  onStateChange,
  width = 560,
}: LanguageOverlapViewProps) {
  const [state, setState] = useControllable(controlled, onStateChange, DEFAULT_OVERLAP_STATE);
  const n = overlap.languages.length;
  if (n < 2)
    return (
      <p className="kn-muted" data-testid="overlap-view">
        The overlap needs knowledge neurons in at least two languages; this fact has{' '}
        {n === 1 ? `only ${overlap.languages[0]}` : 'none'}.
      </p>
    );
  const layout = n <= 3 && state.layout === 'auto' ? 'venn' : 'upset';
  // A region from a link may name languages this fact lacks: fall back to all languages.
  const valid =
    state.region &&
    allRegions(overlap).some((g) => regionKey(g.languages) === regionKey(state.region!));
  const region = valid ? state.region! : overlap.languages;
  const current = regionOf(overlap, region);
  const choose = (languages: string[]) => setState({ ...state, region: languages });
  const figure = (interactive: boolean) => (
    <OverlapFigure
      overlap={overlap}
      context={context}
      taus={taus}
      layout={layout}
      region={region}
      onRegion={interactive ? choose : undefined}
      width={width}
    />
  );
  return (
    <section className="kn-analysis" aria-label="Language overlap" data-testid="overlap-view">
      <div className="kn-analysis-toolbar">
        {n <= 3 && (
          <RadioGroup
            legend="Diagram"
            value={state.layout}
            options={[
              ['auto', 'Venn'],
              ['upset', 'UpSet'],
            ]}
            onChange={(layout) => setState({ ...state, layout })}
          />
        )}
      </div>
      <div className="kn-analysis-figure">{figure(true)}</div>
      <ExportMenu
        label="Export the overlap"
        basename={figureBasename(context, 'overlap')}
        figure={() => figure(false)}
        csv={() => overlapCsv(overlap)}
      />
      <NeuronButtons
        title={regionLabel(region, overlap.languages)}
        neurons={current.neurons}
        selected={selected}
        onSelectNeuron={onSelectNeuron}
        testId="region-neurons"
      />
      <table className="kn-table" data-testid="overlap-regions">
        <caption>Regions with neurons</caption>
        <thead>
          <tr>
            <th scope="col">region</th>
            <th scope="col" className="kn-num">
              neurons
            </th>
          </tr>
        </thead>
        <tbody>
          {overlap.intersections.map((g) => {
            const key = regionKey(g.languages);
            const isCurrent = key === regionKey(region);
            return (
              <tr key={key} className={isCurrent ? 'kn-row-selected' : undefined}>
                <td>
                  <button
                    type="button"
                    className="kn-link"
                    aria-pressed={isCurrent}
                    onClick={() => choose(g.languages)}
                  >
                    {regionLabel(g.languages, overlap.languages)}
                  </button>
                </td>
                <td className="kn-num">{formatCount(g.count)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
