/**
 * SVG pieces of a neuron map, shared by the interactive view (drawn over its canvas) and the
 * export. Presentation is in attributes, never in CSS classes, so a serialised SVG carries its
 * own look; fonts are generic families, so it renders the same without web fonts. All text goes
 * through React text nodes: whatever a user typed is escaped, never parsed.
 */
import { format } from 'd3';
import { colorAt, legendTicks, scorePosition } from './color';
import { fitText, formatCount, formatScore, textWidth } from './format';
import { layerTicks, unitTicks } from './grid';
import { FONT, INK, type MapLayout, MUTED, rowY } from './layout';
import type { ColorTransform, UnitRange } from './types';

const LEGEND_STEPS = 64;
/** Room for the "▼ τ × max" key at the right of the legend's title. */
const KEY_WIDTH = 54;
/** Legend labels are short: two significant digits. */
const formatTick = format('.2~g');

export function ColorLegend({
  x,
  y,
  w,
  domain,
  transform,
  threshold,
  label,
}: {
  x: number;
  y: number;
  w: number;
  domain: number;
  transform: ColorTransform;
  /** tau x max: marked on the bar with a triangle. */
  threshold: number | undefined;
  label: string;
}) {
  const barY = y + 17;
  const barH = 11;
  const step = w / LEGEND_STEPS;
  const tx =
    threshold === undefined ? undefined : x + scorePosition(threshold, domain, transform) * w;
  return (
    <g aria-hidden="true">
      <text x={x} y={y + 8} fontFamily={FONT} fontSize={11} fill={INK}>
        {label}
      </text>
      {tx !== undefined && (
        <g>
          <path d={`M${x + w - KEY_WIDTH + 8},${y + 2}h8l-4,6z`} fill={INK} />
          <text x={x + w} y={y + 8} fontFamily={FONT} fontSize={10} fill={MUTED} textAnchor="end">
            τ × max
          </text>
        </g>
      )}
      {Array.from({ length: LEGEND_STEPS }, (_, k) => (
        <rect
          key={k}
          x={x + k * step}
          y={barY}
          width={step + 0.5}
          height={barH}
          fill={colorAt((k + 0.5) / LEGEND_STEPS)}
        />
      ))}
      <rect x={x} y={barY} width={w} height={barH} fill="none" stroke={MUTED} strokeWidth={0.5} />
      {legendTicks(domain, transform, w).map(({ t, value }) => (
        <g key={t}>
          <line
            x1={x + t * w}
            x2={x + t * w}
            y1={barY + barH}
            y2={barY + barH + 3}
            stroke={MUTED}
          />
          <text
            x={x + t * w}
            y={barY + barH + 12}
            fontFamily={FONT}
            fontSize={10}
            fill={MUTED}
            textAnchor={t === 0 ? 'start' : t === 1 ? 'end' : 'middle'}
          >
            {formatTick(value)}
          </text>
        </g>
      ))}
      {tx !== undefined && (
        <>
          <path d={`M${tx - 4},${barY - 6}h8l-4,6z`} fill={INK} />
          <line x1={tx} x2={tx} y1={barY} y2={barY + barH} stroke={INK} strokeWidth={1.5} />
        </>
      )}
    </g>
  );
}

/** The knowledge-neuron marker: a dark ring on a white halo, visible on any colour of the scale. */
export function Ring({ cx, cy, r }: { cx: number; cy: number; r: number }) {
  return (
    <g>
      <circle cx={cx} cy={cy} r={r} fill="none" stroke="#ffffff" strokeWidth={3} />
      <circle cx={cx} cy={cy} r={r} fill="none" stroke="#111111" strokeWidth={1.4} />
    </g>
  );
}

/** The longest legend title that leaves room for the "▼ τ × max" key on its right. */
function legendLabel(method: string, transform: ColorTransform, width: number): string {
  const scale = transform === 'sqrt' ? ', √ scale' : '';
  const candidates = [`Attribution score (${method}${scale})`, `Score (${method}${scale})`];
  return candidates.find((c) => textWidth(c, 11) <= width - KEY_WIDTH) ?? `Score${scale}`;
}

/** The header: title, fact line, marker key; the colour legend on the right. */
export function MapHeader({
  layout,
  title,
  subtitle,
  knCount,
  tau,
  threshold,
  domain,
  transform,
  method,
}: {
  layout: MapLayout;
  title: string;
  subtitle: string;
  knCount: number;
  tau: number;
  /** tau x max, undefined when the map has no positive score. */
  threshold: number | undefined;
  domain: number;
  transform: ColorTransform;
  /** The method's short name, for the legend. */
  method: string;
}) {
  const textWidth = layout.legend.x - 16;
  const key =
    threshold === undefined
      ? `no positive score: no knowledge neurons at τ = ${tau}`
      : `knowledge neurons, score > τ × max = ${formatScore(threshold)} (τ = ${tau}): ${formatCount(knCount)}`;
  return (
    <g>
      <text x={8} y={17} fontFamily={FONT} fontSize={13} fontWeight={700} fill={INK}>
        {fitText(title, textWidth, 13)}
      </text>
      <text x={8} y={34} fontFamily={FONT} fontSize={11} fill={MUTED}>
        {fitText(subtitle, textWidth, 11)}
      </text>
      <Ring cx={14} cy={51} r={4.5} />
      <text x={24} y={55} fontFamily={FONT} fontSize={11} fill={INK}>
        {fitText(key, layout.width - 32, 11)}
      </text>
      <ColorLegend
        {...layout.legend}
        domain={domain}
        transform={transform}
        threshold={threshold}
        label={legendLabel(method, transform, layout.legend.w)}
      />
    </g>
  );
}

export function LayerAxis({ layout, layers }: { layout: MapLayout; layers: number }) {
  const { plot, rowHeight } = layout;
  return (
    <g aria-hidden="true">
      {layerTicks(layers).map((l) => {
        const y = rowY(layout, layers, l) + rowHeight / 2;
        return (
          <g key={l}>
            <line x1={plot.x - 4} x2={plot.x} y1={y} y2={y} stroke={MUTED} />
            <text
              x={plot.x - 7}
              y={y + 3.5}
              fontFamily={FONT}
              fontSize={10}
              fill={MUTED}
              textAnchor="end"
            >
              {l}
            </text>
          </g>
        );
      })}
      <text
        transform={`translate(${14},${plot.y + plot.h / 2}) rotate(-90)`}
        fontFamily={FONT}
        fontSize={11}
        fill={INK}
        textAnchor="middle"
      >
        Layer
      </text>
    </g>
  );
}

export function UnitAxis({
  layout,
  range,
  units,
}: {
  layout: MapLayout;
  range: UnitRange;
  units: number;
}) {
  const { plot } = layout;
  const n = range.end - range.start;
  const xOf = (u: number) => plot.x + ((u - range.start) / n) * plot.w;
  const y = plot.y + plot.h;
  const zoomed = range.start > 0 || range.end < units;
  return (
    <g aria-hidden="true">
      <line x1={plot.x} x2={plot.x + plot.w} y1={y} y2={y} stroke={MUTED} />
      {unitTicks(range, Math.max(2, Math.floor(plot.w / 80))).map((u) => (
        <g key={u}>
          <line x1={xOf(u)} x2={xOf(u)} y1={y} y2={y + 4} stroke={MUTED} />
          <text
            x={xOf(u)}
            y={y + 15}
            fontFamily={FONT}
            fontSize={10}
            fill={MUTED}
            textAnchor={u === range.start ? 'start' : u === range.end ? 'end' : 'middle'}
          >
            {formatCount(u)}
          </text>
        </g>
      ))}
      <text
        x={plot.x + plot.w / 2}
        y={y + 31}
        fontFamily={FONT}
        fontSize={11}
        fill={INK}
        textAnchor="middle"
      >
        {zoomed
          ? `FFN unit (units ${formatCount(range.start)}–${formatCount(range.end - 1)} of ${formatCount(units)})`
          : `FFN unit (${formatCount(units)} per layer)`}
      </text>
    </g>
  );
}

/** Caption lines under the plot (exports only). */
export function Caption({ layout, lines }: { layout: MapLayout; lines: string[] }) {
  return (
    <g>
      {lines.map((line, i) => (
        <text
          key={i}
          x={8}
          y={layout.captionY + i * 15}
          fontFamily={FONT}
          fontSize={11}
          fill={i === 0 ? INK : MUTED}
        >
          {fitText(line, layout.width - 16, 11)}
        </text>
      ))}
    </g>
  );
}
