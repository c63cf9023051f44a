/** The object's place in a cloze prompt. */
export const MASK = '[MASK]';
/** The subject's and the object's places in an mLAMA / PARAREL template. */
export const SUBJECT_SLOT = '[X]';
export const OBJECT_SLOT = '[Y]';

export class TemplateError extends Error {
  override name = 'TemplateError';
}

function count(text: string, token: string): number {
  return text.split(token).length - 1;
}

/** Why a template cannot be filled, or undefined when it is fine. */
export function templateProblem(template: string): string | undefined {
  const x = count(template, SUBJECT_SLOT);
  const y = count(template, OBJECT_SLOT);
  if (y === 0) return 'template has no [Y]: put [Y] where the object goes';
  if (y > 1) return `template has [Y] ${y} times: it must appear exactly once`;
  if (x === 0) return 'template has no [X]: put [X] where the subject goes';
  if (x > 1) return `template has [X] ${x} times: it must appear exactly once`;
  if (template.includes(MASK))
    return 'template contains [MASK]: write [Y] for the object in a template';
  return undefined;
}

/** Why a text is not a usable cloze prompt, or undefined when it is fine. */
export function clozeProblem(text: string): string | undefined {
  const masks = count(text, MASK);
  if (masks === 0) return 'prompt has no [MASK]: add [MASK] where the object goes';
  if (masks > 1) {
    return `prompt has ${masks} [MASK]s: use exactly one, where the object goes (the engine expands it for objects of several tokens)`;
  }
  if (text.includes(SUBJECT_SLOT) || text.includes(OBJECT_SLOT)) {
    return 'prompt contains [X] or [Y]: give those as a template with a subject, or write the subject in';
  }
  return undefined;
}

/**
 * Fills a template into a cloze prompt: [X] becomes the subject and [Y] becomes [MASK].
 * "The capital of [X] is [Y] ." + "France" -> "The capital of France is [MASK] ."
 */
export function fillTemplate(template: string, subject: string): string {
  const problem = templateProblem(template);
  if (problem) throw new TemplateError(problem);
  if (subject.trim() === '') throw new TemplateError('subject is empty');
  if ([MASK, SUBJECT_SLOT, OBJECT_SLOT].some((slot) => subject.includes(slot))) {
    throw new TemplateError('subject contains [MASK], [X] or [Y]');
  }
  // split/join rather than String.replace, whose replacement string treats "$&" specially.
  return template.split(SUBJECT_SLOT).join(subject).split(OBJECT_SLOT).join(MASK);
}

/** The text before and after the [MASK] of a valid cloze prompt (causal models read `before`). */
export function splitCloze(text: string): { before: string; after: string } {
  const problem = clozeProblem(text);
  if (problem) throw new TemplateError(problem);
  const at = text.indexOf(MASK);
  return { before: text.slice(0, at), after: text.slice(at + MASK.length) };
}
