/**
 * The figures' look. It is set in SVG attributes, never in CSS classes, so that a serialised
 * figure carries it; the font is a generic family, so a figure renders the same without web fonts.
 */
export const FONT = 'sans-serif';
export const INK = '#1d2330';
export const MUTED = '#4f5868'; // 7:1 on white
/** Grid lines across a plot. */
export const GRID = '#e3e6eb';
/** Thin rules: a heatmap's frame, the line between stacked maps. */
export const RULE = '#c5cad3';
/** What the user picked: a region, a group. */
export const HIGHLIGHT = '#ffd54f';
/** Knowledge neurons every language shares: their rings and the guides that link the maps. */
export const SHARED = '#6a3d9a';
/** Chart text: ticks, labels and captions are never smaller than this (px). */
export const TEXT_SIZE = 11;
/** Figure titles (px). */
export const TITLE_SIZE = 13;
