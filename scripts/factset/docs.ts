import { format, resolveConfig } from 'prettier';
import type { BuiltFactSet } from './build';
import { LANGS } from './names';
import { RELATIONS } from './relations';

const START = '<!-- factset:generated:start (npm run build:factset rewrites this section) -->';
const END = '<!-- factset:generated:end -->';

const cell = (text: string | number) => String(text).replace(/\|/gu, '\\|');
const row = (cells: (string | number)[]) => `| ${cells.map(cell).join(' | ')} |`;
const code = (text: string) => `\`${text}\``;

function table(header: string[], rows: (string | number)[][]): string {
  return [row(header), row(header.map(() => '---')), ...rows.map(row)].join('\n');
}

/** The documentation's numbers and lists, taken from the build itself so they cannot drift. */
export function renderGenerated(built: BuiltFactSet): string {
  const totals = LANGS.map((lang) => built.relations.reduce((n, r) => n + r.facts[lang], 0));
  const parts = [
    '### Sources',
    table(
      ['package', 'version', 'licence', 'used for'],
      built.packages.map((p) => [code(p.name), p.version, p.license, p.usedFor]),
    ),
    '### Relations and counts',
    table(
      [
        'relation',
        'label (en)',
        'label (zh)',
        'type',
        'multi-valued',
        'subjects',
        'distinct objects',
        'facts (en)',
        'facts (zh)',
      ],
      [
        ...built.relations.map((r) => [
          r.id,
          r.label.en,
          r.label.zh,
          r.type,
          r.multi_valued ? 'yes' : 'no',
          r.subjects,
          r.objects,
          r.facts.en,
          r.facts.zh,
        ]),
        ['total', '', '', '', '', '', '', ...totals],
      ],
    ),
    '### Templates',
    'The first template of each relation and language is the main one.',
    table(
      ['relation', 'language', 'templates'],
      RELATIONS.flatMap((def) =>
        LANGS.map((lang) => [def.id, lang, def.templates[lang].map(code).join('<br>')]),
      ),
    ),
    '### Left out by the builder',
    'Codes are ISO 3166-1 alpha-2 (countries), ISO 639 (languages) and ISO 4217 (currencies); at most eight examples are listed.',
    table(
      ['relation', 'reason', 'count', 'examples'],
      built.dropped.map((d) => [d.relation, d.reason, d.count, d.examples.join(', ')]),
    ),
  ];
  return parts.join('\n\n');
}

/** Replaces the generated section of the document and formats it as the repository does. */
export async function withGenerated(
  doc: string,
  built: BuiltFactSet,
  filepath: string,
): Promise<string> {
  const start = doc.indexOf(START);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`${filepath} lacks the generated-section markers`);
  const text = `${doc.slice(0, start)}${START}\n\n${renderGenerated(built)}\n\n${doc.slice(end)}`;
  return format(text, { ...(await resolveConfig(filepath)), filepath });
}
