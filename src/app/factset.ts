/**
 * The bundled fact set (data/factset, mLAMA layout) in the browser. Its files become lazily
 * loaded chunks of the build, so they are fetched only when the user opens the fact-set picker.
 */
import { type FactSet, type TemplateSet, loadFactSet } from '../facts';

const FILES = import.meta.glob<string>('/data/factset/**/*.{json,jsonl}', {
  query: '?raw',
  import: 'default',
});

let loading: Promise<FactSet> | undefined;

/** The whole set (both languages, main templates), loaded once per page. */
export function bundledFactSet(): Promise<FactSet> {
  loading ??= loadFactSet(async (path) => {
    const load = FILES[`/data/factset/${path}`];
    if (!load) throw new Error(`the bundled fact set has no file ${path}`);
    return load();
  });
  loading.catch(() => (loading = undefined)); // a failed load may be retried
  return loading;
}

/** The bundled set's templates by relation then language, for uploads of mLAMA relation files. */
export async function bundledTemplates(): Promise<TemplateSet> {
  const set = await bundledFactSet();
  return Object.fromEntries(set.relations.map((r) => [r.id, r.templates]));
}
