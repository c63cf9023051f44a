/**
 * From a cloze prompt ("The capital of France is [MASK] .") and its object ("Paris") to token
 * ids and the target slots: the positions where each object token is predicted.
 */
// [MASK] is the placeholder users write for the object, whatever the model's own mask token.
import { MASK } from '../facts';
import { tokenText } from '../weights/token-text';
import type { ModelTokenizer } from '../weights/tokenizer';
import type { ModelConfig } from '../weights/types';

/**
 * 'per-token' (default): masked LMs get one mask per object token, causal LMs are teacher-forced,
 * each token is attributed where it is predicted and the maps are averaged.
 * 'reference': the authors' code: one slot; every token of `tokenizer.encode(object)` (special
 * tokens included for BERT, no leading space for GPT) scored there and the maps summed.
 */
export type MultiTokenMode = 'per-token' | 'reference';

export interface ObjectSlot {
  /** Position whose output predicts the token. */
  position: number;
  tokenId: number;
  /** The vocabulary entry ("ĠParis" in a byte-level BPE). */
  token: string;
  /** The token as text (" Paris"), for display. */
  text: string;
}

export interface EncodedPrompt {
  text: string;
  object: string;
  ids: number[];
  tokens: string[];
  /** The tokens as text, for display (tokenText). */
  texts: string[];
  /** Position ids (RoBERTa/XLM-R count from padding_idx + 1). */
  positions: number[];
  slots: ObjectSlot[];
  /** The token that replaces each position for the AMIG baseline (mask or end-of-sequence). */
  baselineToken: number;
  /** Non-fatal problems, e.g. prompt words the vocabulary lacks. */
  warnings: string[];
}

/** A prompt or object the model cannot use; the message says what to change. */
export class PromptError extends Error {
  override name = 'PromptError';
}

export function encodePrompt(
  config: ModelConfig,
  tokenizer: ModelTokenizer,
  text: string,
  object: string,
  mode: MultiTokenMode = 'per-token',
): EncodedPrompt {
  const parts = text.split(MASK);
  if (parts.length === 1)
    throw new PromptError(
      `The prompt "${text}" has no ${MASK}. Write ${MASK} where the object goes, e.g. "The capital of France is ${MASK} ."`,
    );
  if (parts.length > 2)
    throw new PromptError(
      `The prompt "${text}" has ${parts.length - 1} ${MASK}s; keep exactly one.`,
    );
  if (!object.trim())
    throw new PromptError(`The object of "${text}" is empty; give the answer ${MASK} stands for.`);

  const enc =
    config.family === 'bert'
      ? encodeMasked(tokenizer, parts[0], parts[1], object, mode)
      : encodeCausal(tokenizer, parts[0], object, mode);
  if (enc.ids.length > config.maxPositions)
    throw new PromptError(
      `The prompt is ${enc.ids.length} tokens long; this model reads at most ${config.maxPositions}. Shorten it.`,
    );
  const window = config.llama?.slidingWindow;
  if (window && enc.ids.length > window)
    throw new PromptError(
      `The prompt is ${enc.ids.length} tokens long, more than this model's sliding attention window of ${window} tokens, which the explorer does not implement. Shorten it to ${window} tokens.`,
    );
  const unk = tokenizer.special.unk;
  const unknownObject = enc.slots.filter((s) => s.tokenId === unk);
  if (unknownObject.length)
    throw new PromptError(
      `The object "${object}" contains characters this model's vocabulary does not have (they become ${tokenizer.idToToken(unk!)}). Use another spelling, or a model that covers this script.`,
    );
  const unknownPrompt = enc.ids.filter((id) => id === unk).length;
  const warnings = unknownPrompt
    ? [
        `${unknownPrompt} token(s) of the prompt are unknown to the model and read as ${tokenizer.idToToken(unk!)}.`,
      ]
    : [];
  const offset = config.positionOffset;
  return {
    text,
    object,
    ...enc,
    texts: enc.ids.map((id) => tokenText(tokenizer, id)),
    positions: enc.ids.map((_, i) => i + offset),
    warnings,
  };
}

function encodeMasked(
  tokenizer: ModelTokenizer,
  left: string,
  right: string,
  object: string,
  mode: MultiTokenMode,
) {
  const mask = tokenizer.special.mask;
  if (mask === undefined || !tokenizer.maskToken)
    throw new PromptError(
      'This tokenizer has no mask token, so the model cannot fill in a masked prompt.',
    );
  const objectIds =
    mode === 'reference'
      ? tokenizer.encode(object).ids // the reference code's quirk: [CLS] and [SEP] are targets too
      : tokenizer.encode(object.trim(), { addSpecialTokens: false }).ids;
  const slotsCount = mode === 'reference' ? 1 : objectIds.length;
  const { ids, tokens } = tokenizer.encode(left + tokenizer.maskToken.repeat(slotsCount) + right);
  const at = ids.flatMap((id, i) => (id === mask ? [i] : []));
  if (at.length !== slotsCount)
    throw new PromptError(
      `The prompt's text contains the model's own mask token ${tokenizer.maskToken}; write ${MASK} once and nothing else mask-like.`,
    );
  const slots = objectIds.map((tokenId, j) => ({
    position: mode === 'reference' ? at[0] : at[j],
    tokenId,
    token: tokenizer.idToToken(tokenId) ?? String(tokenId),
    text: tokenText(tokenizer, tokenId),
  }));
  return { ids, tokens, slots, baselineToken: mask };
}

function encodeCausal(
  tokenizer: ModelTokenizer,
  left: string,
  object: string,
  mode: MultiTokenMode,
) {
  const name = (id: number) => tokenizer.idToToken(id) ?? String(id);
  const eos = tokenizer.special.eos;
  if (eos === undefined)
    throw new PromptError(
      'This tokenizer has no end-of-sequence token to build the AMIG baseline from.',
    );
  // The beginning-of-sequence token the model saw first in training, where its tokenizer adds
  // one (Llama); the end-of-sequence token the post-processor may add is left out.
  const bos = tokenizer.special.bos;
  const start = bos === undefined ? { ids: [], tokens: [] } : { ids: [bos], tokens: [name(bos)] };
  // The object continues the text; a space before [MASK] belongs to the object's first token.
  const spaced = /\s$/.test(left);
  const prompt = left.replace(/\s+$/, '');
  if (!prompt)
    throw new PromptError(`A causal model needs text before ${MASK} to predict the object from.`);
  const text = tokenizer.encode(prompt, { addSpecialTokens: false });
  const p = { ids: [...start.ids, ...text.ids], tokens: [...start.tokens, ...text.tokens] };
  const objectText = mode === 'reference' ? object.trim() : (spaced ? ' ' : '') + object.trim();
  const o = tokenizer.encode(objectText, { addSpecialTokens: false });
  if (mode === 'reference') {
    const last = p.ids.length - 1;
    const slots = o.ids.map((tokenId) => ({
      position: last,
      tokenId,
      token: name(tokenId),
      text: tokenText(tokenizer, tokenId),
    }));
    return { ids: p.ids, tokens: p.tokens, slots, baselineToken: eos };
  }
  // Teacher forcing: token j of the object is predicted at position |prompt| - 1 + j.
  const ids = [...p.ids, ...o.ids.slice(0, -1)];
  const tokens = [...p.tokens, ...o.tokens.slice(0, -1)];
  const slots = o.ids.map((tokenId, j) => ({
    position: p.ids.length - 1 + j,
    tokenId,
    token: name(tokenId),
    text: tokenText(tokenizer, tokenId),
  }));
  return { ids, tokens, slots, baselineToken: eos };
}
