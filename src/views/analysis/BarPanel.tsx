/**
 * One panel of grouped bars: a value axis with grid lines, the bars, optional value labels, the
 * group labels underneath and a title with its series key. The bar figures of the analysis
 * views stack these.
 */
import { fitText } from '../format';
import { ValueAxis } from '../kit/axes';
import { SwatchLegend, swatchRows } from '../kit/legend';
import { INK, MUTED, TEXT_SIZE } from '../kit/style';
import {
  type BarRect,
  type BarSeries,
  TURN_LABELS_BELOW,
  groupLabelHeight,
  groupedBars,
} from './bars';
import { textOn } from './scales';

export interface BarPanelProps {
  x: number;
  y: number;
  width: number;
  /** Height of the plot area (title, key and group labels come on top of it). */
  plotHeight: number;
  title: string;
  groups: readonly string[];
  series: readonly BarSeries[];
  format: (value: number) => string;
  /** Value labels above (or below) the bars, where they fit. */
  valueLabels?: boolean;
  axisLabel?: string;
  domain?: [number, number];
  /** Shown across the plot instead of bars (e.g. "none found"). */
  note?: string;
  /** Text under the group labels (e.g. "Layer"). */
  groupAxisLabel?: string;
  /** Whole-number values (counts): no ticks between integers. */
  integer?: boolean;
}

export const PANEL_LEFT = 56;
const TITLE = 22;

/** Total height of a panel: title and key, plot, group labels and their axis label. */
export function barPanelHeight(
  p: Pick<BarPanelProps, 'width' | 'plotHeight' | 'groups' | 'series' | 'groupAxisLabel' | 'title'>,
): number {
  const band = (p.width - PANEL_LEFT - 8) / Math.max(1, p.groups.length);
  return (
    TITLE + keyRows(p) * 16 + p.plotHeight + groupLabelHeight(band) + (p.groupAxisLabel ? 16 : 0)
  );
}

/** Lines of the series key: none for a single series. */
const keyRows = (p: Pick<BarPanelProps, 'width' | 'series'>): number =>
  p.series.length > 1 ? swatchRows(p.series, p.width - PANEL_LEFT) : 0;

export function BarPanel(p: BarPanelProps) {
  const rows = keyRows(p);
  const plot = {
    x: p.x + PANEL_LEFT,
    y: p.y + TITLE + rows * 16,
    w: p.width - PANEL_LEFT - 8,
    h: p.plotHeight,
  };
  // Value labels above the tallest bar need room under the panel's key.
  const room = p.valueLabels ? 12 : 0;
  const geo = groupedBars(
    p.series,
    p.groups.length,
    { ...plot, y: plot.y + room, h: plot.h - room },
    p.domain,
  );
  const band = plot.w / Math.max(1, p.groups.length);
  const turn = band < TURN_LABELS_BELOW;
  const labelY = plot.y + plot.h + 14;
  return (
    <g>
      <text x={p.x + 8} y={p.y + 14} fontSize={12} fontWeight={700} fill={INK}>
        {fitText(p.title, p.width - 16, 12)}
      </text>
      {rows > 0 && (
        <SwatchLegend
          x={plot.x}
          y={p.y + TITLE + 4}
          items={p.series}
          maxWidth={p.width - PANEL_LEFT}
        />
      )}
      <ValueAxis
        x={plot.x}
        width={plot.w}
        y={geo.y}
        ticks={p.integer ? geo.ticks.filter(Number.isInteger) : geo.ticks}
        format={p.format}
        label={p.axisLabel}
      />
      {p.note ? (
        <text
          x={plot.x + plot.w / 2}
          y={plot.y + plot.h / 2}
          textAnchor="middle"
          fontSize={12}
          fill={MUTED}
        >
          {p.note}
        </text>
      ) : (
        geo.bars.map((b) => {
          const s = p.series[b.series];
          const missing = b.value === null || !Number.isFinite(b.value);
          const labelFits = b.w >= 16;
          return (
            <g key={`${b.group}:${b.series}`}>
              <title>{`${p.groups[b.group]} · ${s.label}: ${missing ? 'no value' : p.format(b.value as number)}`}</title>
              {missing ? (
                <text
                  x={b.x + b.w / 2}
                  y={geo.zero - 3}
                  textAnchor="middle"
                  fontSize={TEXT_SIZE}
                  fill={MUTED}
                >
                  –
                </text>
              ) : (
                <rect
                  x={b.x}
                  y={b.y}
                  width={b.w}
                  height={Math.max(b.h, b.value ? 0.5 : 0)}
                  fill={s.color}
                />
              )}
              {p.valueLabels && labelFits && !missing && (
                <ValueLabel bar={b} color={s.color} text={p.format(b.value as number)} />
              )}
            </g>
          );
        })
      )}
      {geo.groups.map((g, i) =>
        turn ? (
          <text
            key={i}
            transform={`translate(${g.cx + 3},${labelY - 4}) rotate(-40)`}
            textAnchor="end"
            fontSize={TEXT_SIZE}
            fill={INK}
          >
            {fitText(p.groups[i], 80, 10)}
          </text>
        ) : (
          <text key={i} x={g.cx} y={labelY} textAnchor="middle" fontSize={TEXT_SIZE} fill={INK}>
            {fitText(p.groups[i], g.w - 4, 10)}
          </text>
        ),
      )}
      {p.groupAxisLabel && (
        <text
          x={plot.x + plot.w / 2}
          y={plot.y + plot.h + groupLabelHeight(band) + 10}
          textAnchor="middle"
          fontSize={11}
          fill={INK}
        >
          {p.groupAxisLabel}
        </text>
      )}
    </g>
  );
}

/**
 * A bar's value: above a positive bar, below a short negative one, and inside the end of a long
 * negative one (whose end is near the group labels underneath).
 */
function ValueLabel({ bar, color, text }: { bar: BarRect; color: string; text: string }) {
  const negative = (bar.value as number) < 0;
  const inside = negative && bar.h >= 16;
  const y = !negative ? bar.y - 3 : inside ? bar.y + bar.h - 4 : bar.y + bar.h + 10;
  return (
    <text
      x={bar.x + bar.w / 2}
      y={y}
      textAnchor="middle"
      fontSize={TEXT_SIZE}
      fill={inside ? textOn(color) : INK}
    >
      {text}
    </text>
  );
}
