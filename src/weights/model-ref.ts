/**
 * Which model: a demo model shipped with the app, a Hugging Face Hub model at a revision, or a
 * model folder the user picked (named by its folder; its files travel beside the reference).
 * One description, parsed, formatted and compared here, for the app's state, share links, the
 * worker's load requests and the Hub cache.
 */
import { ModelSourceError } from './errors';

export type ModelRef =
  /** A demo model shipped with the app, under /models/<name>/. */
  | { kind: 'bundled'; name: string }
  /** A Hugging Face Hub model at a branch, tag or commit (main when there is none). */
  | { kind: 'hub'; id: string; revision?: string }
  /** A model folder the user picked or dropped, by the folder's name. */
  | { kind: 'files'; label: string };

export type HubRef = Extract<ModelRef, { kind: 'hub' }>;

/** Names of bundled model folders (under /models/): no path tricks. */
export const BUNDLED_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The Hub revision a reference without one (or with an empty one) means. */
export const MAIN_REVISION = 'main';

/** A Hub model id part: huggingface_hub's rule (word characters at both ends, no "--"/".."). */
const HUB_PART = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,94}[A-Za-z0-9_])?$/;

/** Throws unless `id` is a valid Hub model id ("name" or "owner/name"). */
export function checkHubId(id: string): void {
  const parts = id.split('/');
  const valid =
    parts.length <= 2 &&
    parts.every(
      (p) => HUB_PART.test(p) && !p.includes('--') && !p.includes('..') && !p.endsWith('.git'),
    );
  if (!valid) {
    throw new ModelSourceError(
      `"${id}" is not a valid Hugging Face model id: write "owner/name" (or a bare "name") using ` +
        `letters, digits, "-", "_" and ".", e.g. "google-bert/bert-base-multilingual-cased", ` +
        `not a URL.`,
    );
  }
}

/** A Hub reference as people write it: "owner/name", or "owner/name@revision". */
export function parseHubRef(text: string): HubRef {
  const [id, revision] = text.trim().split('@');
  const rev = revision?.trim();
  return rev ? { kind: 'hub', id: id.trim(), revision: rev } : { kind: 'hub', id: id.trim() };
}

const revisionOf = (ref: HubRef): string => ref.revision || MAIN_REVISION;

/**
 * The id a loaded model goes by, which the Hub cache also files it under: the bundled name,
 * "owner/name" (with "@revision" off main), or "local:<folder>".
 */
export function modelId(ref: ModelRef): string {
  switch (ref.kind) {
    case 'bundled':
      return ref.name;
    case 'hub': {
      const revision = revisionOf(ref);
      return revision === MAIN_REVISION ? ref.id : `${ref.id}@${revision}`;
    }
    case 'files':
      return `local:${ref.label}`;
  }
}

/** The model as people read it: its id, or the picked folder's name. */
export function modelLabel(ref: ModelRef): string {
  return ref.kind === 'files' ? `folder “${ref.label}”` : modelId(ref);
}

/** Whether two references name the same model (no revision and "main" are the same). */
export function sameModel(a: ModelRef | undefined, b: ModelRef | undefined): boolean {
  if (!a || !b) return a === b;
  return a.kind === b.kind && modelId(a) === modelId(b);
}
