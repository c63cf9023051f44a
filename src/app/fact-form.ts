/**
 * The fact form's rules, apart from React: a fact is one or more prompt drafts, one per
 * language, each written either as a cloze ("The capital of France is [MASK] .") or as a
 * template with a subject ("The capital of [X] is [Y] ." + "France"). Every problem comes back
 * as a message for the field it concerns.
 */
import {
  type Fact,
  type Prompt,
  DEFAULT_LIMITS,
  clozeProblem,
  fillTemplate,
  templateProblem,
} from '../facts';
import { languageProblem } from '../facts/records';

export interface PromptDraft {
  language: string;
  mode: 'cloze' | 'template';
  /** The cloze prompt (mode 'cloze'). */
  text: string;
  /** The [X]/[Y] template and its subject (mode 'template'). */
  template: string;
  subject: string;
  object: string;
}

export type DraftErrors = Partial<
  Record<'language' | 'text' | 'template' | 'subject' | 'object', string>
>;

export const emptyDraft = (language: string): PromptDraft => ({
  language,
  mode: 'cloze',
  text: '',
  template: '',
  subject: '',
  object: '',
});

const MAX = DEFAULT_LIMITS.maxFieldChars;

function tooLong(value: string): string | undefined {
  return value.length > MAX ? `longer than ${MAX} characters` : undefined;
}

/** Capitalised, for a message that stands alone under a field. */
const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1) + '.';

export function checkDraft(d: PromptDraft): { prompt?: Prompt; errors: DraftErrors } {
  const errors: DraftErrors = {};
  const language = d.language.trim();
  const lang = language ? languageProblem(language) : 'give a language code such as en or zh';
  if (lang) errors.language = sentence(lang);
  const object = d.object.trim();
  if (!object) errors.object = 'Give the object: the answer [MASK] stands for.';
  else if (tooLong(object)) errors.object = sentence(`the object is ${tooLong(object)}`);

  let text: string | undefined;
  if (d.mode === 'cloze') {
    const problem = clozeProblem(d.text) ?? tooLong(d.text);
    if (problem) errors.text = sentence(problem);
    else text = d.text.trim();
  } else {
    const problem = templateProblem(d.template) ?? tooLong(d.template);
    if (problem) errors.template = sentence(problem);
    const subject = d.subject.trim();
    if (!subject) errors.subject = 'Give the subject that [X] stands for.';
    else if (!problem) {
      try {
        text = fillTemplate(d.template.trim(), subject);
      } catch (e) {
        errors.subject = sentence((e as Error).message);
      }
    }
  }
  if (Object.keys(errors).length > 0 || text === undefined) return { errors };
  const prompt: Prompt = { language, text, object };
  if (d.mode === 'template') {
    prompt.template = d.template.trim();
    prompt.subject = d.subject.trim();
  }
  return { prompt, errors };
}

/** A fact from its drafts, or the errors of each draft (same order). */
export function factFromDrafts(
  drafts: PromptDraft[],
  id: string,
): { fact?: Fact; errors: DraftErrors[] } {
  const checked = drafts.map(checkDraft);
  const errors = checked.map((c) => c.errors);
  if (checked.some((c) => !c.prompt)) return { errors };
  const prompts = checked.map((c) => c.prompt!);
  const fact: Fact = { id, prompts };
  const subject = prompts.find((p) => p.subject)?.subject;
  if (subject) fact.subject = subject;
  return { fact, errors };
}
