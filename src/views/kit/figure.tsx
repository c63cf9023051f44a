/**
 * The frame every figure shares, neuron maps and analysis figures alike: a standalone SVG root
 * (xmlns, size, white background, the font, an accessible name), a title block and caption
 * lines. All text is React text, so whatever a user typed is escaped, never parsed.
 */
import type { ReactNode } from 'react';
import { exportBasename } from '../export';
import { fitText } from '../format';
import { FONT, INK, MUTED } from './style';

/** What a figure is about, for its title, caption and file name. */
export interface FigureContext {
  /** The model id. */
  model: string;
  /** The fact ("The capital of France is [MASK]. → Paris") or the data set the figure shows. */
  subject: string;
}

/** A figure's subtitle: what it is about, on which model. */
export const contextLine = (context: FigureContext): string =>
  `${context.subject} · ${context.model}`;

export const TITLE_HEIGHT = 48;
export const CAPTION_LINE = 15;

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

/** The standalone SVG root of a figure: what the view shows and the exports serialise. */
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
  // Whole pixels: a layout may compute fractional sizes, and an export at twice the size must be
  // exactly twice the figure.
  width = Math.ceil(width);
  height = Math.ceil(height);
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

/** Title and subtitle, each on one line cut to `width`. */
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

/**
 * The usual figure: its title and what it is about on top, the drawing, and the caption's
 * paragraphs wrapped under `bottom`; its height follows from the caption.
 */
export function TitledFigure({
  width,
  bottom,
  label,
  title,
  context,
  caption,
  children,
}: {
  width: number;
  /** Where the drawing ends and the caption starts. */
  bottom: number;
  /** The accessible name. */
  label: string;
  title: string;
  context: FigureContext;
  /** Paragraphs: the first in ink, the rest muted. */
  caption: readonly string[];
  children: ReactNode;
}) {
  const lines = wrapCaption(caption, width);
  return (
    <Figure width={width} height={bottom + captionHeight(lines)} label={label}>
      <TitleBlock title={title} subtitle={contextLine(context)} width={width} />
      {children}
      <CaptionBlock lines={lines} y={bottom} width={width} />
    </Figure>
  );
}
