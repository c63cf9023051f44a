/**
 * Exports of a neuron map: SVG and PNG figures (from the same SVG components the views draw),
 * CSV and JSON of the scores, and copying the image to the clipboard. Serialisation goes through
 * React (text is escaped) and JSON.stringify; nothing a user typed is ever parsed as markup.
 */
import type { ReactElement } from 'react';
import { methodLabel, float32String } from './format';
import { knowledgeNeurons } from './grid';
import type { NeuronMapData } from './types';

export interface SvgDocument {
  /** A standalone SVG file: XML declaration, xmlns, inline presentation attributes. */
  markup: string;
  width: number;
  height: number;
}

/**
 * Serialises an SVG element (NeuronMapSvg, NeuronMapsSvg) to a standalone document. React's
 * string renderer is loaded on the first export, so the app does not ship it up front.
 */
export async function svgDocument(element: ReactElement): Promise<SvgDocument> {
  const { renderToStaticMarkup } = await import('react-dom/server');
  const markup = renderToStaticMarkup(element);
  const root = /^<svg\b[^>]*>/.exec(markup)?.[0];
  if (!root || !root.includes('xmlns="http://www.w3.org/2000/svg"'))
    throw new Error('svgDocument: the element must render an <svg> with its xmlns');
  const size = (name: string) => Number(new RegExp(`\\s${name}="([\\d.]+)"`).exec(root)?.[1]);
  const width = size('width');
  const height = size('height');
  if (!(width > 0 && height > 0))
    throw new Error('svgDocument: the <svg> needs a width and height');
  return { markup: `<?xml version="1.0" encoding="UTF-8"?>\n${markup}\n`, width, height };
}

export const svgBlob = (doc: SvgDocument): Blob =>
  new Blob([doc.markup], { type: 'image/svg+xml;charset=utf-8' });

/**
 * Renders the SVG onto a canvas at `scale` (2: sharp on high-density screens and in slides) over
 * a white background, and encodes a PNG. The SVG is self-contained, so drawing it does not taint
 * the canvas.
 */
export async function svgToPng(doc: SvgDocument, scale = 2): Promise<Blob> {
  const url = URL.createObjectURL(svgBlob(doc));
  try {
    const img = new Image();
    img.decoding = 'async';
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(doc.width * scale);
    canvas.height = Math.round(doc.height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('this browser gives no 2D canvas to draw the PNG on');
    ctx.fillStyle = '#ffffff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await new Promise<Blob>((resolve, reject) =>
      canvas.toBlob(
        (blob) => (blob ? resolve(blob) : reject(new Error('the canvas gave no PNG'))),
        'image/png',
      ),
    );
  } finally {
    URL.revokeObjectURL(url);
  }
}

/** Saves a blob under a filename through a temporary link (no server round trip). */
export function downloadBlob(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.style.display = 'none';
  document.body.append(a);
  a.click();
  a.remove();
  // Revoking at once can cancel the download in some browsers; a minute is plenty.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export type CopyResult = { ok: true } | { ok: false; message: string };

/**
 * Copies a PNG to the clipboard. The blob may still be a promise: Chromium keeps the click's
 * permission for a pending ClipboardItem, but not across an await before write().
 */
export async function copyPng(png: Blob | Promise<Blob>): Promise<CopyResult> {
  if (typeof ClipboardItem === 'undefined' || !navigator.clipboard?.write)
    return {
      ok: false,
      message:
        'This browser cannot copy images to the clipboard (it needs a secure page, https or ' +
        'localhost, and a recent browser). Use “PNG” to download the image instead.',
    };
  try {
    await navigator.clipboard.write([new ClipboardItem({ 'image/png': png })]);
    return { ok: true };
  } catch (e) {
    const name = e instanceof DOMException ? e.name : '';
    return {
      ok: false,
      message:
        name === 'NotAllowedError'
          ? 'The browser refused to copy the image (no clipboard permission, or the page was not ' +
            'focused). Use “PNG” to download it instead.'
          : `Copying the image failed: ${e instanceof Error ? e.message : String(e)}. ` +
            'Use “PNG” to download it instead.',
    };
  }
}

/** One line per neuron: layer,unit,score,activation,selected (knowledge neuron at tau). */
export function scoresCsv(map: NeuronMapData, tau: number): string {
  const kn = new Set(
    knowledgeNeurons(map.scores, map.layers, map.units, tau).map(
      (n) => n.layer * map.units + n.unit,
    ),
  );
  const lines = ['layer,unit,score,activation,selected'];
  for (let l = 0; l < map.layers; l++)
    for (let u = 0; u < map.units; u++) {
      const i = l * map.units + u;
      lines.push(
        `${l},${u},${float32String(map.scores[i])},${float32String(map.activations[i])},${kn.has(i)}`,
      );
    }
  return lines.join('\n') + '\n';
}

/** A float32 for JSON: its shortest decimal, or null for NaN and infinities (JSON has none). */
const jsonNumber = (x: number): number | null =>
  Number.isFinite(x) ? Number(float32String(x)) : null;

const rows = (values: ArrayLike<number>, layers: number, units: number): (number | null)[][] =>
  Array.from({ length: layers }, (_, l) =>
    Array.from({ length: units }, (_, u) => jsonNumber(values[l * units + u])),
  );

/**
 * The map with what it takes to read it again: model, fact, method, m, tau, the knowledge
 * neurons at tau, and scores and activations as layers x units arrays.
 */
export function scoresJson(map: NeuronMapData, meta: { language: string; tau: number }): string {
  const neurons = knowledgeNeurons(map.scores, map.layers, map.units, meta.tau);
  return JSON.stringify({
    format: 'knowledge-neuron-explorer/scores',
    version: 1,
    model: map.model,
    method: map.method,
    methodName: methodLabel(map.method),
    steps: map.steps,
    language: meta.language,
    prompt: map.prompt,
    object: map.object,
    probability: jsonNumber(map.probability),
    tau: meta.tau,
    selection: 'score > tau x max score (strict; negative scores never)',
    layers: map.layers,
    units: map.units,
    knowledgeNeurons: neurons.map((n) => ({
      layer: n.layer,
      unit: n.unit,
      score: jsonNumber(n.score),
    })),
    scores: rows(map.scores, map.layers, map.units),
    activations: rows(map.activations, map.layers, map.units),
  });
}

/** Letters and digits of any script, lower-cased, joined by '-', at most `max` characters. */
function slug(text: string, max: number): string {
  const s = text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '-')
    .replace(/^-+|-+$/g, '');
  return [...s].slice(0, max).join('').replace(/-+$/, '');
}

/**
 * A file name from the model and the fact: `kne_<model>_<prompt with the object>_<language>`.
 * Mask tokens ([MASK], <mask>) make way for the object, so the fact reads as a sentence.
 */
export function exportBasename(
  map: Pick<NeuronMapData, 'model' | 'prompt' | 'object'>,
  language?: string,
): string {
  const mask = /\[MASK\]|<mask>|\[Y\]/gi;
  // Causal-LM prompts have no mask: the object follows the prompt.
  const fact = mask.test(map.prompt)
    ? map.prompt.replace(mask, ` ${map.object} `)
    : `${map.prompt} ${map.object}`;
  const parts = ['kne', slug(map.model, 40) || 'model', slug(fact, 60) || 'fact'];
  if (language) parts.push(slug(language, 16));
  return parts.join('_');
}
