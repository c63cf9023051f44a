/**
 * Does the model know a fact? It does when its greedy answer at the object's slots is the
 * object, or, for relations where a subject has several valid objects (a country's
 * neighbours), any of them.
 */
import type { Model } from '../model';
import { predict } from '../attribution/predict';
import { encodePrompt } from '../attribution/prompt';
import type { Fact } from '../facts';

export interface RecallResult {
  factId: string;
  relation?: string;
  language: string;
  object: string;
  /** The model's top-1 tokens at the object's slots, decoded. */
  predicted: string;
  /** P(object) of the fact's own object. */
  probability: number;
  correct: boolean;
}

/** Whether every slot's top-1 token is the object's token (greedy decoding yields the object). */
async function greedyMatches(
  model: Model,
  text: string,
  object: string,
): Promise<{ ok: boolean; predicted: string; probability: number }> {
  const enc = encodePrompt(model.config, model.tokenizer, text, object);
  const [p] = await predict(model, enc, [[]], { topK: 1 });
  const top = p.slots.map((s) => s.top[0].id);
  return {
    ok: p.slots.every((s, i) => s.tokenId === top[i]),
    predicted: model.tokenizer.decode(top),
    probability: p.probability,
  };
}

/** Recall of one fact in one language, on its first prompt in that language. */
export async function factRecall(
  model: Model,
  fact: Fact,
  language: string,
): Promise<RecallResult> {
  const prompt = fact.prompts.find((p) => p.language === language);
  if (!prompt) throw new Error(`fact ${fact.id} has no prompt in ${language}`);
  const own = await greedyMatches(model, prompt.text, prompt.object);
  let correct = own.ok;
  for (const alt of fact.allObjects?.[language] ?? []) {
    if (correct) break;
    if (alt !== prompt.object) correct = (await greedyMatches(model, prompt.text, alt)).ok;
  }
  return {
    factId: fact.id,
    relation: fact.relation,
    language,
    object: prompt.object,
    predicted: own.predicted,
    probability: own.probability,
    correct,
  };
}

export interface RecallSummary {
  results: RecallResult[];
  /** Share of facts recalled, per language. */
  byLanguage: Record<string, number>;
  /** Share of facts recalled, per relation and language. */
  byRelation: Record<string, Record<string, number>>;
}

export async function recallAccuracy(
  model: Model,
  facts: Fact[],
  languages: string[],
  opts: { signal?: AbortSignal; onProgress?: (done: number, total: number) => void } = {},
): Promise<RecallSummary> {
  const results: RecallResult[] = [];
  const total = facts.length * languages.length;
  for (const fact of facts)
    for (const language of languages) {
      opts.signal?.throwIfAborted();
      results.push(await factRecall(model, fact, language));
      opts.onProgress?.(results.length, total);
    }
  const share = (rs: RecallResult[]) => rs.filter((r) => r.correct).length / rs.length;
  const byLanguage: Record<string, number> = {};
  const byRelation: Record<string, Record<string, number>> = {};
  for (const language of languages) {
    const rs = results.filter((r) => r.language === language);
    byLanguage[language] = share(rs);
    for (const relation of new Set(rs.map((r) => r.relation ?? ''))) {
      byRelation[relation] ??= {};
      byRelation[relation][language] = share(rs.filter((r) => (r.relation ?? '') === relation));
    }
  }
  return { results, byLanguage, byRelation };
}
