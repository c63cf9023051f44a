import type { ErrorList, UploadLimits } from './limits';
import type { Entry } from './records';
import type { Fact } from './types';

interface Collected {
  fact: Fact;
  line: number;
  /** language + text -> line and object, to catch repeated and contradictory prompts. */
  prompts: Map<string, { line: number; object: string }>;
}

function mergeLists(
  into: Record<string, string[]> | undefined,
  add: Record<string, string[]> | undefined,
): Record<string, string[]> | undefined {
  if (add === undefined) return into;
  const out = { ...into };
  for (const [language, items] of Object.entries(add)) {
    out[language] = [...new Set([...(out[language] ?? []), ...items])];
  }
  return out;
}

/**
 * Merges entries into facts by id, in order of first appearance: lines of the same fact in
 * several languages (or several paraphrases) become one Fact. Enforces the fact limits.
 */
export class FactCollector {
  private readonly byId = new Map<string, Collected>();

  constructor(
    private readonly limits: UploadLimits,
    private readonly errors: ErrorList,
  ) {}

  /** Adds one entry read at `line`; returns false once the fact limit ends the reading. */
  add(entry: Entry, line: number): boolean {
    let rec = this.byId.get(entry.id);
    if (rec === undefined) {
      if (this.byId.size >= this.limits.maxFacts) {
        this.errors.add(
          line,
          `more than ${this.limits.maxFacts} facts: the rest of the file was not read`,
        );
        return false;
      }
      rec = { fact: { id: entry.id, prompts: [] }, line, prompts: new Map() };
      this.byId.set(entry.id, rec);
    } else if (
      entry.relation !== undefined &&
      rec.fact.relation !== undefined &&
      rec.fact.relation !== entry.relation
    ) {
      this.errors.add(
        line,
        `fact "${entry.id}" has relation ${rec.fact.relation} (line ${rec.line}) but this line says ${entry.relation}`,
      );
      return true;
    }
    const { fact } = rec;
    if (fact.relation === undefined && entry.relation !== undefined) fact.relation = entry.relation;
    if (fact.subject === undefined && entry.subject !== undefined) fact.subject = entry.subject;
    for (const prompt of entry.prompts) {
      const key = `${prompt.language}\u0000${prompt.text}`;
      const seen = rec.prompts.get(key);
      if (seen !== undefined) {
        this.errors.add(
          line,
          seen.object === prompt.object
            ? `repeats the prompt of line ${seen.line}`
            : `the same prompt has object "${seen.object}" on line ${seen.line}, not "${prompt.object}"`,
        );
        continue;
      }
      if (fact.prompts.length >= this.limits.maxPromptsPerFact) {
        this.errors.add(
          line,
          `fact "${entry.id}" has more than ${this.limits.maxPromptsPerFact} prompts`,
        );
        break;
      }
      rec.prompts.set(key, { line, object: prompt.object });
      fact.prompts.push(prompt);
    }
    const wrong = mergeLists(fact.wrongObjects, entry.wrongObjects);
    if (wrong) fact.wrongObjects = wrong;
    const all = mergeLists(fact.allObjects, entry.allObjects);
    if (all) fact.allObjects = all;
    return true;
  }

  /** The merged facts, in order of first appearance. */
  facts(): Fact[] {
    return [...this.byId.values()].map((rec) => rec.fact);
  }
}
