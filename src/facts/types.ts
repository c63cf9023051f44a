/** One cloze prompt of a fact in one language. */
export interface Prompt {
  /** Language code such as 'en' or 'zh': picks the KN threshold and groups prompts for LIKN. */
  language: string;
  /** A cloze with exactly one [MASK] where the object goes: "The capital of France is [MASK] ."
   *  The engine expands the [MASK] to one slot per object token. */
  text: string;
  /** What the model should predict at [MASK]. */
  object: string;
  /** The [X]/[Y] template the text was filled from, when known. */
  template?: string;
  /** The subject as written in this language, when known. */
  subject?: string;
}

/** A fact with its prompts in one or more languages (several per language are paraphrases). */
export interface Fact {
  id: string;
  /** Relation id, e.g. 'P36', when known. */
  relation?: string;
  /** Display label of the subject: its name in the first language that gives one. */
  subject?: string;
  prompts: Prompt[];
  /** Per language: objects of the same relation that are wrong for this subject (fact checking). */
  wrongObjects?: Record<string, string[]>;
  /** Per language: every valid object of the subject, for relations where a subject has several
   *  (a country's neighbours); a prediction in this list is not wrong. */
  allObjects?: Record<string, string[]>;
}
