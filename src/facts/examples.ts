/**
 * One small example file of each upload format, shown and offered for download next to the
 * upload so its layout is documented where it is used (tests parse every one of them).
 */
import { serializeFacts } from './project-json';
import type { UploadFormat } from './parse';

export interface FormatExample {
  /** The format the file is read as. */
  format: UploadFormat;
  title: string;
  /** What the file holds and where its language, relation and templates come from. */
  about: string;
  fileName: string;
  text: string;
}

const lines = (...rows: object[]) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

export const FORMAT_EXAMPLES: readonly FormatExample[] = [
  {
    format: 'mlama-jsonl',
    title: 'mLAMA relation file',
    about:
      'One fact per line (uuid, sub_label, obj_label), as mLAMA ships them. The relation comes ' +
      'from the file name (P36.jsonl), the language from its folder (zh/P36.jsonl, when you drop ' +
      'the folder), from a name such as P36_zh.jsonl, or from the language picker. Templates: ' +
      "the app's own for its six relations in English and Chinese, or a templates file you add.",
    fileName: 'P36.jsonl',
    text: lines(
      { uuid: 'a1', sub_label: 'Germany', obj_label: 'Berlin' },
      { uuid: 'a2', sub_label: 'Japan', obj_label: 'Tokyo' },
    ),
  },
  {
    format: 'templates-jsonl',
    title: 'mLAMA templates file',
    about:
      'Templates with [X] (subject) and [Y] (object), one per line with its relation; a ' +
      'language folder or the picker gives the language. Facts read afterwards use them; ' +
      'further templates of a relation are its paraphrases.',
    fileName: 'templates.jsonl',
    text: lines(
      { relation: 'P36', template: 'The capital of [X] is [Y] .' },
      { relation: 'P37', template: 'The official language of [X] is [Y] .' },
    ),
  },
  {
    format: 'templates-jsonl',
    title: 'PARAREL pattern file',
    about:
      "PARAREL's paraphrases of one relation, named by it (P36.jsonl): a pattern per line. " +
      'They serve as templates of that relation.',
    fileName: 'P36_patterns.jsonl',
    text: lines(
      { pattern: 'The capital of [X] is [Y] .', lemma: 'capital' },
      { pattern: "[X]'s capital is [Y] .", lemma: 'capital' },
    ),
  },
  {
    format: 'pararel-jsonl',
    title: 'PARAREL facts with patterns',
    about:
      'A fact and its pattern on each line; lines with the same subject and object are one ' +
      'fact with several prompts.',
    fileName: 'P36_pararel.jsonl',
    text: lines(
      { pattern: 'The capital of [X] is [Y] .', sub_label: 'France', obj_label: 'Paris' },
      { pattern: "[X]'s capital is [Y] .", sub_label: 'France', obj_label: 'Paris' },
    ),
  },
  {
    format: 'csv',
    title: 'CSV or TSV',
    about:
      'A header row, then a prompt per row: fact_id, language, prompt with [MASK] where the ' +
      'object goes, object, and optionally relation and wrong_objects (separated by |). ' +
      'Instead of prompt: subject and template with [X] and [Y]. Rows with one fact_id are one ' +
      'fact in several languages. Tabs instead of commas make TSV.',
    fileName: 'facts.csv',
    text:
      'fact_id,relation,language,prompt,object,wrong_objects\n' +
      'france-capital,P36,en,The capital of France is [MASK] .,Paris,Berlin|Tokyo\n' +
      'france-capital,P36,zh,法国的首都是[MASK]。,巴黎,柏林|东京\n',
  },
  {
    format: 'project-json',
    title: 'Project JSON',
    about:
      'The project\'s own format, {"version": 1, "facts": [...]}: a fact per line with its ' +
      'prompts in every language.',
    fileName: 'facts.json',
    text: serializeFacts([
      {
        id: 'france-capital',
        relation: 'P36',
        subject: 'France',
        prompts: [
          { language: 'en', text: 'The capital of France is [MASK] .', object: 'Paris' },
          { language: 'zh', text: '法国的首都是[MASK]。', object: '巴黎' },
        ],
      },
    ]),
  },
];
