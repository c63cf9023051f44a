/**
 * The view in a link, with no server: the state (model, facts, settings, tau, shown fact) is
 * written as compact JSON, deflated, base64url-encoded and put in the URL's fragment
 * (`#s=z...`), which browsers never send to a server. Reading a link validates everything
 * before any of it is used; a text field is only ever rendered as text. docs/app.md describes
 * the format.
 */
import { type Fact, type Prompt, DEFAULT_LIMITS, clozeProblem } from '../facts';
import { languageProblem } from '../facts/records';
import { quoted } from '../facts/text';
import {
  type AttributionMethod,
  type AttributionSettings,
  DEFAULT_SETTINGS,
  resolveSettings,
} from '../attribution/settings';
import { BUNDLED_NAME, MAIN_REVISION, type ModelRef, checkHubId } from '../weights';
import { type AnalysisState, analysisJson, parseAnalysisState } from './analysis-state';
import type { ExplorerState } from './state';

export const FORMAT_VERSION = 1;
/** The fragment parameter that holds the state. */
export const PARAM = 's';

/** Bounds that keep a hostile link from exhausting the tab. */
const MAX_ENCODED = 200_000;
const MAX_JSON = 2_000_000;
const MAX_FACTS = 2000;
const MAX_PROMPTS = DEFAULT_LIMITS.maxPromptsPerFact;
const MAX_FIELD = DEFAULT_LIMITS.maxFieldChars;

export class ShareLinkError extends Error {
  override name = 'ShareLinkError';
}

const METHODS: Record<string, AttributionMethod> = { amig: 'amig', ig: 'ig', gxa: 'grad-x-act' };
const TAPS = { post: 'post-activation', pre: 'pre-activation', gate: 'gate' } as const;
const MULTI = { tok: 'per-token', ref: 'reference' } as const;

const keyOf = <V>(table: Record<string, V>, value: V) =>
  Object.keys(table).find((k) => table[k] === value)!;

type ModelJson = ['b', string] | ['h', string] | ['h', string, string] | ['f', string];
type PromptJson = [language: string, text: string, object: string];
type FactJson = [id: string, relation: string | 0, subject: string | 0, prompts: PromptJson[]];
type StateJson = [
  version: number,
  model: ModelJson | 0,
  settings: [method: string, steps: number, tap: string, multi: string],
  tau: Record<string, number>,
  facts: FactJson[],
  view: [shownFact: number] | [],
  /** The analysis views' state where it is not the default (absent or 0 when none is). */
  analysis?: Partial<AnalysisState> | 0,
  /** Model loading: 1 when float32 weights load as 16-bit (absent when off). */
  float32As16?: 1,
];

function modelJson(m: ModelRef | undefined): ModelJson | 0 {
  if (!m) return 0;
  if (m.kind === 'bundled') return ['b', m.name];
  if (m.kind === 'hub')
    return m.revision && m.revision !== MAIN_REVISION ? ['h', m.id, m.revision] : ['h', m.id];
  return ['f', m.label];
}

function toJson(s: ExplorerState): StateJson {
  const shown = s.facts.findIndex((f) => f.id === s.view.factId);
  const json: StateJson = [
    FORMAT_VERSION,
    modelJson(s.model),
    [
      keyOf(METHODS, s.settings.method),
      s.settings.steps,
      keyOf(TAPS, s.settings.tapMode),
      keyOf(MULTI, s.settings.multiToken),
    ],
    s.tau,
    s.facts.map((f) => [
      f.id,
      f.relation ?? 0,
      f.subject ?? 0,
      f.prompts.map((p) => [p.language, p.text, p.object]),
    ]),
    shown >= 0 ? [shown] : [],
  ];
  const analysis = analysisJson(s.analysis);
  if (analysis || s.float32As16) json.push(analysis ?? 0);
  if (s.float32As16) json.push(1);
  return json;
}

// ---------------------------------------------------------------------------------------------
// base64url and deflate

function base64url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64url(text: string): Uint8Array {
  if (!/^[A-Za-z0-9_-]*$/.test(text))
    throw new ShareLinkError('it contains characters a link of this app never has');
  const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

async function readAll(stream: ReadableStream<Uint8Array>, limit: number): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let length = 0;
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.length;
    // A small link may inflate to gigabytes: stop reading as soon as it is too big.
    if (length > limit) {
      await reader.cancel();
      throw new ShareLinkError('it unpacks to more data than a link of this app holds');
    }
    chunks.push(value);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const pipe = (bytes: Uint8Array, transform: CompressionStream | DecompressionStream) =>
  new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(transform);

/** The fragment value for a state: 'z' + deflated JSON where the browser can deflate. */
export async function encodeState(state: ExplorerState): Promise<string> {
  const json = new TextEncoder().encode(JSON.stringify(toJson(state)));
  if (typeof CompressionStream === 'undefined') return `j${base64url(json)}`;
  const packed = await readAll(pipe(json, new CompressionStream('deflate-raw')), MAX_JSON);
  return `z${base64url(packed)}`;
}

export async function shareUrl(state: ExplorerState, base: string): Promise<string> {
  const url = new URL(base);
  url.hash = `${PARAM}=${await encodeState(state)}`;
  return url.href;
}

/** The encoded state in a URL fragment ("#s=..."), if there is one. */
export function stateParam(hash: string): string | undefined {
  return new URLSearchParams(hash.replace(/^#/, '')).get(PARAM) ?? undefined;
}

/** Reads a fragment value back into a state; throws ShareLinkError saying what is wrong. */
export async function decodeState(value: string): Promise<ExplorerState> {
  if (value.length > MAX_ENCODED)
    throw new ShareLinkError('it is longer than any link this app makes');
  const kind = value[0];
  let bytes: Uint8Array;
  try {
    const raw = fromBase64url(value.slice(1));
    if (kind === 'z')
      bytes = await readAll(pipe(raw, new DecompressionStream('deflate-raw')), MAX_JSON);
    else if (kind === 'j') bytes = raw;
    else throw new ShareLinkError('it does not start the way links of this app do');
  } catch (e) {
    if (e instanceof ShareLinkError) throw e;
    throw new ShareLinkError('it is cut short or damaged (it does not unpack)');
  }
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new ShareLinkError('it is cut short or damaged (its data is not readable)');
  }
  return fromJson(json);
}

// ---------------------------------------------------------------------------------------------
// Validation

function fail(what: string): never {
  throw new ShareLinkError(what);
}

function text(v: unknown, what: string, max = MAX_FIELD): string {
  if (typeof v !== 'string') fail(`${what} is not text`);
  if (v.length > max) fail(`${what} is longer than ${max} characters`);
  return v;
}

function optionalText(v: unknown, what: string): string | undefined {
  return v === 0 ? undefined : text(v, what);
}

function modelFromJson(v: unknown): ModelRef | undefined {
  if (v === 0) return undefined;
  if (!Array.isArray(v)) fail('its model is not readable');
  const [kind, name, revision] = v;
  if (kind === 'b') {
    const n = text(name, 'the model name', 64);
    if (!BUNDLED_NAME.test(n)) fail(`"${n}" is not a bundled model name`);
    return { kind: 'bundled', name: n };
  }
  if (kind === 'h') {
    const id = text(name, 'the Hub model id', 200);
    try {
      checkHubId(id);
    } catch {
      fail(`"${id}" is not a Hugging Face model id`);
    }
    if (revision === undefined) return { kind: 'hub', id };
    const rev = text(revision, 'the model revision', 200);
    if (rev === '') fail('its model revision is empty');
    // Links never name "main" (the default), so that the same model makes the same link.
    return rev === 'main' ? { kind: 'hub', id } : { kind: 'hub', id, revision: rev };
  }
  if (kind === 'f') return { kind: 'files', label: text(name, 'the folder name', 200) };
  fail('its model is not readable');
}

function settingsFromJson(v: unknown): AttributionSettings {
  if (!Array.isArray(v) || v.length !== 4) fail('its settings are not readable');
  const [m, steps, tap, multi] = v;
  const method = typeof m === 'string' && Object.hasOwn(METHODS, m) ? METHODS[m] : undefined;
  if (!method) fail(`its method ${quoted(m, 40)} is unknown`);
  if (typeof tap !== 'string' || !Object.hasOwn(TAPS, tap)) fail('its tap mode is unknown');
  if (typeof multi !== 'string' || !Object.hasOwn(MULTI, multi))
    fail('its multi-token mode is unknown');
  // The steps stay as the link has them (the form keeps them while grad-x-act takes one).
  const settings: AttributionSettings = {
    ...DEFAULT_SETTINGS,
    method,
    steps,
    tapMode: TAPS[tap as keyof typeof TAPS],
    multiToken: MULTI[multi as keyof typeof MULTI],
  };
  try {
    resolveSettings(settings);
  } catch (e) {
    fail(`its settings are not valid: ${(e as Error).message}`);
  }
  return settings;
}

function tauFromJson(v: unknown): Record<string, number> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail('its thresholds are not readable');
  const out: Record<string, number> = {};
  for (const [lang, t] of Object.entries(v)) {
    if (languageProblem(lang))
      fail(`its threshold names ${quoted(lang, 40)}, which is not a language code`);
    if (typeof t !== 'number' || !(t >= 0 && t <= 1))
      fail(`its threshold for ${lang} is not between 0 and 1`);
    out[lang] = t;
  }
  return out;
}

function promptFromJson(v: unknown, where: string): Prompt {
  if (!Array.isArray(v) || v.length !== 3) fail(`${where} is not readable`);
  const language = text(v[0], `the language of ${where}`, 35);
  const problem = languageProblem(language);
  if (problem) fail(`${where}: ${problem}`);
  const promptText = text(v[1], `the text of ${where}`);
  const cloze = clozeProblem(promptText);
  if (cloze) fail(`${where}: ${cloze}`);
  const object = text(v[2], `the object of ${where}`);
  if (!object.trim()) fail(`the object of ${where} is empty`);
  return { language, text: promptText, object };
}

function factsFromJson(v: unknown): Fact[] {
  if (!Array.isArray(v)) fail('its facts are not readable');
  if (v.length > MAX_FACTS) fail(`it has more than ${MAX_FACTS} facts`);
  const ids = new Set<string>();
  return v.map((f, i) => {
    const where = `fact ${i + 1}`;
    if (!Array.isArray(f) || f.length !== 4) fail(`${where} is not readable`);
    const id = text(f[0], `the id of ${where}`, 200);
    if (ids.has(id)) fail(`${where} repeats the id "${id}"`);
    ids.add(id);
    if (!Array.isArray(f[3]) || f[3].length === 0) fail(`${where} has no prompts`);
    if (f[3].length > MAX_PROMPTS) fail(`${where} has more than ${MAX_PROMPTS} prompts`);
    const fact: Fact = {
      id,
      prompts: f[3].map((p: unknown, j: number) =>
        promptFromJson(p, `prompt ${j + 1} of ${where}`),
      ),
    };
    const relation = optionalText(f[1], `the relation of ${where}`);
    const subject = optionalText(f[2], `the subject of ${where}`);
    if (relation !== undefined) fact.relation = relation;
    if (subject !== undefined) fact.subject = subject;
    return fact;
  });
}

function fromJson(json: unknown): ExplorerState {
  if (!Array.isArray(json) || json.length < 6 || json.length > 8)
    fail('it is not a state of this app');
  if (json[0] !== FORMAT_VERSION)
    fail(
      `it was made by another version of this app (format ${quoted(json[0], 40)}, this one reads ${FORMAT_VERSION})`,
    );
  const facts = factsFromJson(json[4]);
  const view = json[5];
  if (!Array.isArray(view) || view.length > 1) fail('its view is not readable');
  const shown = view[0];
  if (shown !== undefined && !(Number.isInteger(shown) && shown >= 0 && shown < facts.length))
    fail('it shows a fact it does not have');
  const model = modelFromJson(json[1]);
  if (json[7] !== undefined && json[7] !== 1) fail('its weight precision is not readable');
  return {
    ...(model ? { model } : {}),
    settings: settingsFromJson(json[2]),
    ...(json[7] === 1 ? { float32As16: true } : {}),
    tau: tauFromJson(json[3]),
    facts,
    view: shown === undefined ? {} : { factId: facts[shown].id },
    // The analysis views' state is read leniently: what is invalid falls back to the default.
    analysis: parseAnalysisState(json[6]),
  };
}
