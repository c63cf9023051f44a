/**
 * The frame every analysis figure shares: a standalone SVG root (xmlns, size, white background,
 * an accessible name), a title block, caption lines, legends and a value axis. Presentation is in
 * attributes, as in the neuron maps (src/views/MapParts.tsx), so a serialised figure carries its
 * look; all text is React text, so what a user typed is escaped, never parsed.
 */
import type { ReactNode } from 'react';
import { exportBasename } from '../export';
import { fitText } from '../format';
import { FONT, INK, MUTED } from '../layout';

export { FONT, INK, MUTED };

/** What a figure is about, for its title, caption and file name. */
export interface FigureContext {
  /** The model id. */
  model: string;
  /** The fact ("The capital of France is [MASK]. → Paris") or the data set the figure shows. */
  subject: string;
}

export const TITLE_HEIGHT = 48;
export const CAPTION_LINE = 15;
export const GRID = '#e3e6eb';

/** Height of `lines` caption lines with the gap above them. */
export const captionHeight = (lines: readonly unknown[]): number =>
  lines.length ? lines.length * CAPTION_LINE + 10 : 0;

/** Estimated advance of a character, as fitText estimates it: CJK 1 em, the rest 0.56 em. */
const charWidth = (ch: string, fontSize: number) =>
  (/[\u1100-\uffff]/u.test(ch) ? 1 : 0.56) * fontSize;

/**
 * Lines of text broken at spaces to fit `maxWidth` (SVG text does not wrap). A word wider than
 * a line is clipped with an ellipsis.
 */
export function wrapText(text: string, maxWidth: number, fontSize = 11): string[] {
  const width = (t: string) => [...t].reduce((w, ch) => w + charWidth(ch, fontSize), 0);
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const next = line ? `${line} ${word}` : word;
    if (line && width(next) > maxWidth) {
      lines.push(line);
      line = word;
    } else line = next;
  }
  if (line) lines.push(line);
  return lines.map((l) => fitText(l, maxWidth, fontSize));
}

/** A caption line; `lead` lines (the first paragraph's) are in ink, the rest muted. */
export interface CaptionLine {
  text: string;
  lead: boolean;
}

/** Caption paragraphs wrapped to a figure's width. */
export const wrapCaption = (paragraphs: readonly string[], width: number): CaptionLine[] =>
  paragraphs.flatMap((p, i) =>
    wrapText(p, width - 16, 11).map((text) => ({ text, lead: i === 0 })),
  );

/** File name of a figure's exports: `kne_<model>_<subject>_<view>`. */
export const figureBasename = (context: FigureContext, view: string): string =>
  `${exportBasename({ model: context.model, prompt: context.subject, object: '' })}_${view}`;

export function Figure({
  width,
  height,
  label,
  children,
}: {
  width: number;
  height: number;
  /** The accessible name: what the figure shows. */
  label: string;
  children: ReactNode;
}) {
  return (
    <svg
      xmlns="http://www.w3.org/2000/svg"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
      fontFamily={FONT}
    >
      <rect width={width} height={height} fill="#ffffff" />
      {children}
    </svg>
  );
}

export function TitleBlock({
  title,
  subtitle,
  width,
}: {
  title: string;
  subtitle: string;
  width: number;
}) {
  return (
    <g>
      <text x={8} y={18} fontSize={13} fontWeight={700} fill={INK}>
        {fitText(title, width - 16, 13)}
      </text>
      <text x={8} y={36} fontSize={11} fill={MUTED}>
        {fitText(subtitle, width - 16, 11)}
      </text>
    </g>
  );
}

/** Caption lines from `y` down: the first paragraph in ink, the rest muted. */
export function CaptionBlock({
  lines,
  y,
  width,
}: {
  lines: readonly CaptionLine[];
  y: number;
  width: number;
}) {
  return (
    <g>
      {lines.map((line, i) => (
        <text
          key={i}
          x={8}
          y={y + 10 + i * CAPTION_LINE}
          fontSize={11}
          fill={line.lead ? INK : MUTED}
        >
          {fitText(line.text, width - 16, 11)}
        </text>
      ))}
    </g>
  );
}

export interface SwatchItem {
  label: string;
  color: string;
  /** 'box' (bars, cells; default), 'line' or 'dashed' (edges), 'ring' (outlines). */
  mark?: 'box' | 'line' | 'dashed' | 'ring';
}

/** Estimated width of a swatch item: mark, gap, label at 11 px. */
const itemWidth = (item: SwatchItem) => 18 + [...item.label].length * 6.2 + 14;

/** Where each swatch goes: left to right, wrapping to a new 16 px line before `maxWidth`. */
export function placeSwatches(
  items: readonly SwatchItem[],
  maxWidth: number,
): { item: SwatchItem; dx: number; row: number }[] {
  const out: { item: SwatchItem; dx: number; row: number }[] = [];
  for (const item of items) {
    const prev = out.at(-1);
    const dx = prev ? prev.dx + itemWidth(prev.item) : 0;
    const wrap = dx > 0 && dx + itemWidth(item) > maxWidth;
    out.push({ item, dx: wrap ? 0 : dx, row: (prev?.row ?? 0) + (wrap ? 1 : 0) });
  }
  return out;
}

/** Lines a SwatchLegend of these items takes at this width. */
export const swatchRows = (items: readonly SwatchItem[], maxWidth: number): number =>
  items.length ? placeSwatches(items, maxWidth).at(-1)!.row + 1 : 0;

/** A key of swatches, wrapping onto further lines (swatchRows says how many). */
export function SwatchLegend({
  x,
  y,
  items,
  maxWidth,
}: {
  x: number;
  y: number;
  items: readonly SwatchItem[];
  maxWidth: number;
}) {
  return (
    <g>
      {placeSwatches(items, maxWidth).map(({ item, dx, row }) => (
        <g key={item.label}>
          <Swatch x={x + dx} y={y + row * 16} item={item} />
          <text x={x + dx + 18} y={y + row * 16 + 4} fontSize={11} fill={INK}>
            {item.label}
          </text>
        </g>
      ))}
    </g>
  );
}

function Swatch({ x, y, item }: { x: number; y: number; item: SwatchItem }) {
  switch (item.mark ?? 'box') {
    case 'box':
      return <rect x={x} y={y - 5} width={12} height={10} fill={item.color} />;
    case 'ring':
      return (
        <rect
          x={x}
          y={y - 5}
          width={12}
          height={10}
          fill="none"
          stroke={item.color}
          strokeWidth={3}
        />
      );
    case 'line':
    case 'dashed':
      return (
        <line
          x1={x}
          x2={x + 13}
          y1={y}
          y2={y}
          stroke={item.color}
          strokeWidth={2.5}
          strokeDasharray={item.mark === 'dashed' ? '4 2' : undefined}
        />
      );
  }
}

/**
 * A colour bar with ticks, for sequential and signed scales: `color(t)` for t in [0, 1] left to
 * right, ticks at positions t with their labels, optional marks (thresholds) above the bar and a
 * note to its right that says what the marks are.
 */
export function ColorBar({
  x,
  y,
  w,
  label,
  color,
  ticks,
  marks = [],
  note,
}: {
  x: number;
  y: number;
  w: number;
  label: string;
  color: (t: number) => string;
  ticks: readonly { t: number; label: string }[];
  marks?: readonly number[];
  note?: string;
}) {
  const steps = 48;
  // Marks need room between the label and the bar.
  const barY = y + (marks.length ? 20 : 14);
  const barH = 10;
  return (
    <g aria-hidden="true">
      <text x={x} y={y + 8} fontSize={11} fill={INK}>
        {label}
      </text>
      {Array.from({ length: steps }, (_, k) => (
        <rect
          key={k}
          x={x + (k * w) / steps}
          y={barY}
          width={w / steps + 0.5}
          height={barH}
          fill={color((k + 0.5) / steps)}
        />
      ))}
      <rect x={x} y={barY} width={w} height={barH} fill="none" stroke={MUTED} strokeWidth={0.5} />
      {ticks.map(({ t, label: text }) => (
        <g key={`t${t}`}>
          <line
            x1={x + t * w}
            x2={x + t * w}
            y1={barY + barH}
            y2={barY + barH + 3}
            stroke={MUTED}
          />
          <text
            x={x + t * w}
            y={barY + barH + 13}
            fontSize={10}
            fill={MUTED}
            textAnchor={t === 0 ? 'start' : t === 1 ? 'end' : 'middle'}
          >
            {text}
          </text>
        </g>
      ))}
      {marks.map((t) => (
        <g key={`m${t}`}>
          <path d={`M${x + t * w - 4},${barY - 6}h8l-4,6z`} fill={INK} />
          <line
            x1={x + t * w}
            x2={x + t * w}
            y1={barY}
            y2={barY + barH}
            stroke={INK}
            strokeWidth={1.5}
          />
        </g>
      ))}
      {note && (
        <text x={x + w + 10} y={barY + 9} fontSize={10} fill={INK}>
          {note}
        </text>
      )}
    </g>
  );
}

/** A vertical value axis with grid lines across the plot. */
export function ValueAxis({
  x,
  width,
  y,
  ticks,
  format,
  label,
}: {
  /** The plot's left edge. */
  x: number;
  /** The plot's width (grid lines). */
  width: number;
  /** Value to pixel. */
  y: (value: number) => number;
  ticks: readonly number[];
  format: (value: number) => string;
  label?: string;
}) {
  const ys = ticks.map(y);
  return (
    <g aria-hidden="true">
      {ticks.map((t, i) => (
        <g key={t}>
          <line
            x1={x}
            x2={x + width}
            y1={ys[i]}
            y2={ys[i]}
            stroke={t === 0 ? MUTED : GRID}
            strokeWidth={t === 0 ? 1 : 0.8}
          />
          <text x={x - 5} y={ys[i] + 3.5} fontSize={10} fill={MUTED} textAnchor="end">
            {format(t)}
          </text>
        </g>
      ))}
      {label && (
        <text
          transform={`translate(${x - 38},${(Math.min(...ys) + Math.max(...ys)) / 2}) rotate(-90)`}
          fontSize={11}
          fill={INK}
          textAnchor="middle"
        >
          {label}
        </text>
      )}
    </g>
  );
}
