/**
 * Builds the bundled bilingual fact set (data/factset, mLAMA layout) from data that pinned
 * npm packages ship, and refreshes the generated section of docs/factset.md.
 * Run with `npm run build:factset`; the output is byte-identical from run to run.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildFactSet, writeFactSet } from './factset/build';
import { withGenerated } from './factset/docs';
import { loadSources } from './factset/sources';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = `${root}data/factset`;
const docPath = `${root}docs/factset.md`;

const built = buildFactSet(loadSources());
writeFactSet(outDir, built);
writeFileSync(docPath, await withGenerated(readFileSync(docPath, 'utf8'), built, docPath));

for (const r of built.relations)
  console.log(`${r.id.padEnd(6)} ${r.facts.en} facts (en) / ${r.facts.zh} (zh)`);
console.log(`wrote ${built.files.size} files to ${outDir} and updated ${docPath}`);
