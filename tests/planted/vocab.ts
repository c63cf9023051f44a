/**
 * The planted models' tokenizers, written as Hugging Face tokenizer.json: a WordPiece
 * vocabulary of whole words and single Chinese characters (BERT family), or a byte-level BPE
 * whose merges make every template word, subject and object one token (GPT-2 family).
 */
import { BertNormalizer, BertPreTokenizer, ByteLevelPreTokenizer } from '@huggingface/tokenizers';
import { PlantedSpecError } from './spec';

export const BERT_SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
export const END_OF_TEXT = '<|endoftext|>';

/** A text split into the pieces a tokenizer must keep whole: template chunks and slot fillers. */
export interface TokenText {
  /** Literal template text (split further into words or characters). */
  template: string[];
  /** Subjects and objects, each to become a single token where the tokenizer allows. */
  whole: string[];
}

const addedToken = (id: number, content: string) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

/** BERT-style (cased, Chinese characters split): every word of `texts` is a vocabulary entry. */
export function wordPieceTokenizer(texts: TokenText): Record<string, unknown> {
  const normalizer = new BertNormalizer({
    type: 'BertNormalizer',
    clean_text: true,
    handle_chinese_chars: true,
    lowercase: false,
  });
  const pre = new BertPreTokenizer();
  const vocab = new Map<string, number>();
  const add = (w: string) => vocab.has(w) || vocab.set(w, vocab.size);
  BERT_SPECIAL_TOKENS.forEach(add);
  for (const text of [...texts.template, ...texts.whole])
    pre.pre_tokenize_text(normalizer.normalize(text)).forEach(add);
  const special = (id: string) => ({ SpecialToken: { id, type_id: 0 } });
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: BERT_SPECIAL_TOKENS.map((t) => addedToken(vocab.get(t)!, t)),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: false,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [special('[CLS]'), { Sequence: { id: 'A', type_id: 0 } }, special('[SEP]')],
      pair: [
        special('[CLS]'),
        { Sequence: { id: 'A', type_id: 0 } },
        special('[SEP]'),
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab.get('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab.get('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab),
    },
  };
}

const BYTE_LEVEL = {
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: true,
} as const;

const HAN = /\p{Script=Han}/u;

/**
 * GPT-2-style byte-level BPE: `<|endoftext|>` (id 0), the 256 byte symbols, then one merge
 * chain per token we want whole. Template text becomes one token per GPT-2 pre-token, except
 * that runs of Chinese characters become one token per character (GPT-2's regex keeps a run as
 * one pre-token); subjects and objects become one token each. Character merges come first so
 * that multi-character Chinese words are built from character tokens.
 */
export function byteLevelBpeTokenizer(texts: TokenText): Record<string, unknown> {
  const pre = new ByteLevelPreTokenizer(BYTE_LEVEL);
  const encode = (s: string) => pre.pre_tokenize_text(s);
  const chars: string[] = [];
  const words: string[] = [];
  for (const text of texts.template)
    for (const run of text.match(/\p{Script=Han}+|[^\p{Script=Han}]+/gu) ?? []) {
      if (HAN.test(run)) for (const c of run) chars.push(...encode(c));
      else words.push(...encode(run));
    }
  for (const text of texts.whole) {
    const pieces = encode(text);
    if (pieces.length !== 1)
      throw new PlantedSpecError(
        `"${text.trim()}" is ${pieces.length} GPT-2 words; a subject or object must be one word`,
      );
    words.push(pieces[0]);
  }
  const vocab = new Map<string, number>([[END_OF_TEXT, 0]]);
  const add = (t: string) => vocab.has(t) || vocab.set(t, vocab.size);
  Object.values(pre.byte_encoder).sort(compareCodePoints).forEach(add);
  const merges: [string, string][] = [];
  for (const token of [...chars, ...words]) {
    const pieces = applyMerges(Array.from(token), merges);
    for (let i = 1; i < pieces.length; i++) {
      const left = pieces.slice(0, i).join('');
      merges.push([left, pieces[i]]);
      add(left + pieces[i]);
    }
  }
  for (const token of [...chars, ...words])
    if (applyMerges(Array.from(token), merges).length !== 1)
      throw new Error(`the merges do not make "${token}" one token`);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [{ ...addedToken(0, END_OF_TEXT) }],
    normalizer: null,
    pre_tokenizer: { ...BYTE_LEVEL },
    post_processor: { ...BYTE_LEVEL },
    decoder: { ...BYTE_LEVEL },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: Object.fromEntries(vocab),
      merges,
    },
  };
}

/** BPE: repeatedly merge the adjacent pair with the lowest rank. */
function applyMerges(symbols: string[], merges: [string, string][]): string[] {
  const rank = new Map(merges.map(([a, b], i) => [`${a} ${b}`, i]));
  const s = [...symbols];
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < s.length; i++) {
      const r = rank.get(`${s[i]} ${s[i + 1]}`);
      if (r !== undefined && r < bestRank) [best, bestRank] = [i, r];
    }
    if (best < 0) return s;
    s.splice(best, 2, s[best] + s[best + 1]);
  }
}

function compareCodePoints(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}
