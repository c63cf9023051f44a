import { ByteLevelPreTokenizer } from '@huggingface/tokenizers';
import { applyMerges, type Merge } from './tokenizer-train';

// Synthetic tokenizer.json files with the layouts of real model families, for test fixtures and
// for random-weight benchmark models: any vocabulary size, filled with n-grams of letters, plus
// chosen words as single tokens. They tokenize text plausibly, not well; their point is that
// @huggingface/tokenizers loads them exactly as it loads the real ones (same model type,
// normalizer, pre-tokenizer, post-processor, decoder, special tokens at the real places).

/**
 * gpt2: GPT-2 / mGPT byte-level BPE, `<|endoftext|>` last, nothing added around the text.
 * llama3: Llama 3 byte-level BPE (regex Split, ignore_merges), 256 special tokens last,
 *   `<|begin_of_text|>` added before the text by a TemplateProcessing post-processor.
 * qwen2: Qwen2 / Qwen2.5 / Qwen3 byte-level BPE (NFC, regex Split), special tokens last,
 *   nothing added (Qwen adds no BOS).
 * wordpiece: BERT / mBERT WordPiece, [PAD] [unused1..99] [UNK] [CLS] [SEP] [MASK] first,
 *   [CLS] ... [SEP] added.
 * unigram: XLM-R SentencePiece Unigram, <s> <pad> </s> <unk> first, <mask> last, <s> ... </s>
 *   added.
 */
export type TokenizerStyle = 'gpt2' | 'llama3' | 'qwen2' | 'wordpiece' | 'unigram';

export interface SyntheticTokenizerOptions {
  style: TokenizerStyle;
  /**
   * Largest id + 1: the model's vocab_size. Byte-level styles may omit it for the smallest
   * vocabulary: the 256 byte symbols, the words' merges and the special tokens.
   */
  vocabSize?: number;
  /**
   * Texts that must be single tokens, e.g. " Paris" (byte-level: mind the leading space) or
   * "Paris" (WordPiece, Unigram). Each must be one pre-token of the style.
   */
  words?: string[];
  /**
   * Special tokens in id order. Default: the family's (Llama 3's 256, Qwen's three chat tokens
   * and the rest of the vocabulary as <|extra_N|>, ...), shortened to `specials` when given.
   */
  specials?: string[];
}

export interface SyntheticTokenizer {
  /** tokenizer.json */
  tokenizer: Record<string, unknown>;
  /** tokenizer_config.json: the special-token roles, as the family's files name them. */
  tokenizerConfig: Record<string, unknown>;
  /** Ids of the special tokens. */
  specialIds: Record<string, number>;
}

/** Llama 3's named special tokens (ids 128000..128010); the rest of its 256 are reserved. */
export const LLAMA3_SPECIALS = [
  '<|begin_of_text|>',
  '<|end_of_text|>',
  '<|reserved_special_token_0|>',
  '<|reserved_special_token_1|>',
  '<|finetune_right_pad_id|>',
  '<|reserved_special_token_2|>',
  '<|start_header_id|>',
  '<|end_header_id|>',
  '<|eom_id|>',
  '<|eot_id|>',
  '<|python_tag|>',
];

export const QWEN2_SPECIALS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

export function syntheticTokenizer(options: SyntheticTokenizerOptions): SyntheticTokenizer {
  switch (options.style) {
    case 'gpt2':
    case 'llama3':
    case 'qwen2':
      return byteLevelTokenizer(options);
    case 'wordpiece':
      return wordPieceTokenizer(options);
    case 'unigram':
      return unigramTokenizer(options);
  }
}

function addedToken(content: string, id: number, normalized = false) {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized,
    special: true,
  };
}

/** Qwen's vocabulary has 151643 regular tokens; its special tokens follow. */
const QWEN2_REGULAR_TOKENS = 151643;

/**
 * GPT-2: one. Llama 3: 256. Qwen: from id 151643 to the end of the vocabulary (the real files
 * leave the rows past their ~20 special tokens unused; here they are extra special tokens).
 */
function defaultSpecialCount(style: TokenizerStyle, vocabSize: number): number {
  if (style === 'llama3') return 256;
  if (style === 'qwen2' && Number.isFinite(vocabSize)) {
    return Math.max(QWEN2_SPECIALS.length, vocabSize - QWEN2_REGULAR_TOKENS);
  }
  if (style === 'qwen2') return QWEN2_SPECIALS.length;
  return 1;
}

/** `count` special tokens for the style, the family's named ones first. */
function defaultSpecials(style: TokenizerStyle, count: number): string[] {
  const named: Record<TokenizerStyle, { names: string[]; extra: (i: number) => string }> = {
    gpt2: { names: ['<|endoftext|>'], extra: (i) => `<|extra_${i}|>` },
    llama3: { names: LLAMA3_SPECIALS, extra: (i) => `<|reserved_special_token_${i + 3}|>` },
    qwen2: { names: QWEN2_SPECIALS, extra: (i) => `<|extra_${i}|>` },
    wordpiece: { names: [], extra: () => '' },
    unigram: { names: [], extra: () => '' },
  };
  const { names, extra } = named[style];
  return Array.from({ length: count }, (_, i) =>
    i < names.length ? names[i] : extra(i - names.length),
  );
}

/** Distinct strings over LETTERS (optionally after `prefix`), by length then position. */
function* letterGrams(minLength: number, prefix = ''): Generator<string> {
  for (let n = minLength; ; n++) {
    const index = new Array<number>(n).fill(0);
    for (;;) {
      yield prefix + index.map((i) => LETTERS[i]).join('');
      let k = n - 1;
      while (k >= 0 && ++index[k] === LETTERS.length) index[k--] = 0;
      if (k < 0) break;
    }
  }
}

function byteLevelTokenizer(options: SyntheticTokenizerOptions): SyntheticTokenizer {
  const { style, vocabSize = Infinity } = options;
  const specials =
    options.specials ?? defaultSpecials(style, defaultSpecialCount(style, vocabSize));
  const regular = vocabSize - specials.length;
  const byteLevel = new ByteLevelPreTokenizer({
    type: 'ByteLevel',
    add_prefix_space: false,
    trim_offsets: true,
    use_regex: false,
  });
  const symbols = Object.values(byteLevel.byte_encoder) as string[];
  if (regular < symbols.length) {
    throw new Error(`vocabSize ${vocabSize} leaves no room for the 256 byte symbols`);
  }
  const vocab = new Map<string, number>();
  for (const s of symbols) vocab.set(s, vocab.size);
  const merges: Merge[] = [];
  const addMerge = (left: string, right: string) => {
    const token = left + right;
    if (vocab.has(token)) return;
    if (vocab.size >= regular) throw new Error(`vocabSize ${vocabSize} is too small for the words`);
    vocab.set(token, vocab.size);
    merges.push({ left, right, token });
  };
  // Word merges first (lowest ranks), each joining the word's current pieces left to right.
  for (const word of options.words ?? []) {
    const pieces = applyMerges(Array.from(byteLevel.pre_tokenize_text(word)[0]), merges);
    let left = pieces[0];
    for (const right of pieces.slice(1)) {
      addMerge(left, right);
      left += right;
    }
  }
  // Then letter n-grams, with and without a leading space (Ġ): ab = a + b, abc = ab + c, ...
  const space = byteLevel.byte_encoder[32] as string;
  const grams = (function* () {
    const spaced = letterGrams(1, space);
    const bare = letterGrams(2);
    for (;;) {
      yield spaced.next().value as string;
      yield bare.next().value as string;
    }
  })();
  while (vocab.size < regular && vocabSize !== Infinity) {
    const gram = Array.from(grams.next().value as string);
    addMerge(gram.slice(0, -1).join(''), gram[gram.length - 1]);
  }

  const specialIds = Object.fromEntries(specials.map((s, i) => [s, vocab.size + i]));
  const pattern = style === 'llama3' ? LLAMA3_PATTERN : QWEN2_PATTERN;
  const split = { type: 'Split', pattern: { Regex: pattern }, behavior: 'Isolated', invert: false };
  const byteLevelJson = (addPrefixSpace: boolean, trimOffsets: boolean, useRegex: boolean) => ({
    type: 'ByteLevel',
    add_prefix_space: addPrefixSpace,
    trim_offsets: trimOffsets,
    use_regex: useRegex,
  });
  const bos = specials[0];
  const piece = (id: string, typeId: number) => ({ SpecialToken: { id, type_id: typeId } });
  const sequence = (id: 'A' | 'B', typeId: number) => ({ Sequence: { id, type_id: typeId } });
  const layout = {
    gpt2: {
      normalizer: null,
      pre_tokenizer: byteLevelJson(false, true, true),
      post_processor: byteLevelJson(true, false, true),
      decoder: byteLevelJson(true, true, true),
    },
    llama3: {
      normalizer: null,
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [split, byteLevelJson(false, true, false)],
      },
      post_processor: {
        type: 'Sequence',
        processors: [
          byteLevelJson(true, false, true),
          {
            type: 'TemplateProcessing',
            single: [piece(bos, 0), sequence('A', 0)],
            pair: [piece(bos, 0), sequence('A', 0), piece(bos, 1), sequence('B', 1)],
            special_tokens: { [bos]: { id: bos, ids: [specialIds[bos]], tokens: [bos] } },
          },
        ],
      },
      decoder: byteLevelJson(true, true, true),
    },
    qwen2: {
      normalizer: { type: 'NFC' },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [split, byteLevelJson(false, false, false)],
      },
      post_processor: byteLevelJson(false, false, false),
      decoder: byteLevelJson(false, false, false),
    },
  }[style as 'gpt2' | 'llama3' | 'qwen2'];

  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: specials.map((s) => addedToken(s, specialIds[s], style === 'gpt2')),
    ...layout,
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: style === 'gpt2' ? '' : null,
      end_of_word_suffix: style === 'gpt2' ? '' : null,
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: style === 'llama3',
      vocab: Object.fromEntries(vocab),
      merges: merges.map((m) => [m.left, m.right]),
    },
  };
  const tokenizerConfig =
    style === 'llama3'
      ? {
          bos_token: bos,
          eos_token: specials[1],
          model_max_length: 131072,
          tokenizer_class: 'PreTrainedTokenizerFast',
        }
      : style === 'qwen2'
        ? {
            bos_token: null,
            eos_token: specials[0],
            pad_token: specials[0],
            unk_token: null,
            model_max_length: 131072,
            tokenizer_class: 'Qwen2Tokenizer',
          }
        : {
            bos_token: bos,
            eos_token: bos,
            unk_token: bos,
            model_max_length: 1024,
            tokenizer_class: 'GPT2Tokenizer',
          };
  return { tokenizer, tokenizerConfig, specialIds };
}

function requireSize(options: SyntheticTokenizerOptions): number {
  if (options.vocabSize === undefined) {
    throw new Error(`a ${options.style} tokenizer needs a vocabSize`);
  }
  return options.vocabSize;
}

/** mBERT's special tokens: [PAD], [unused1] ... [unused99], [UNK], [CLS], [SEP], [MASK]. */
const WORDPIECE_SPECIALS = [
  '[PAD]',
  ...Array.from({ length: 99 }, (_, i) => `[unused${i + 1}]`),
  '[UNK]',
  '[CLS]',
  '[SEP]',
  '[MASK]',
];

/** Characters every synthetic WordPiece/Unigram vocabulary has: ASCII and common CJK. */
function baseCharacters(): string[] {
  const chars: string[] = [];
  for (let c = 33; c < 127; c++) chars.push(String.fromCharCode(c));
  for (let c = 0x4e00; c < 0x4e00 + 2048; c++) chars.push(String.fromCharCode(c));
  return chars;
}

function wordPieceTokenizer(options: SyntheticTokenizerOptions): SyntheticTokenizer {
  const vocabSize = requireSize(options);
  const specials = options.specials ?? WORDPIECE_SPECIALS;
  const vocab = new Map<string, number>();
  const add = (t: string) => {
    if (!vocab.has(t) && vocab.size < vocabSize) vocab.set(t, vocab.size);
  };
  specials.forEach(add);
  for (const word of options.words ?? []) add(word);
  for (const c of baseCharacters()) {
    add(c);
    add(`##${c}`);
  }
  if (vocab.size < vocabSize) {
    const words = letterGrams(2);
    const pieces = letterGrams(2, '##');
    while (vocab.size < vocabSize) {
      add(words.next().value as string);
      add(pieces.next().value as string);
    }
  }
  const ids = Object.fromEntries(vocab);
  const template = (sequences: ('A' | 'B')[]) =>
    sequences.flatMap((id, i) => [
      ...(i === 0 ? [{ SpecialToken: { id: '[CLS]', type_id: 0 } }] : []),
      { Sequence: { id, type_id: i } },
      { SpecialToken: { id: '[SEP]', type_id: i } },
    ]);
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => addedToken(t, ids[t])),
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
      single: template(['A']),
      pair: template(['A', 'B']),
      special_tokens: Object.fromEntries(
        ['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [ids[t]], tokens: [t] }]),
      ),
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: ids,
    },
  };
  const tokenizerConfig = {
    cls_token: '[CLS]',
    do_lower_case: false,
    mask_token: '[MASK]',
    model_max_length: 512,
    pad_token: '[PAD]',
    sep_token: '[SEP]',
    tokenizer_class: 'BertTokenizer',
    unk_token: '[UNK]',
  };
  const specialIds = Object.fromEntries(
    ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'].map((t) => [t, ids[t]]),
  );
  return { tokenizer, tokenizerConfig, specialIds };
}

function unigramTokenizer(options: SyntheticTokenizerOptions): SyntheticTokenizer {
  const leading = ['<s>', '<pad>', '</s>', '<unk>'];
  const pieces: [string, number][] = leading.map((t) => [t, 0]);
  const seen = new Set(leading);
  const last = requireSize(options) - 1;
  // Longer pieces score higher than the sum of their parts, so Viterbi prefers them.
  const add = (piece: string) => {
    if (seen.has(piece) || pieces.length >= last) return;
    seen.add(piece);
    pieces.push([piece, -8 + Array.from(piece).length / 10]);
  };
  for (const word of options.words ?? []) add(word);
  for (const c of baseCharacters()) {
    add(c);
    add(`\u2581${c}`);
  }
  add('\u2581');
  const words = letterGrams(2, '\u2581');
  const bare = letterGrams(2);
  while (pieces.length < last) {
    add(words.next().value as string);
    add(bare.next().value as string);
  }
  pieces.push(['<mask>', 0]);
  const metaspace = {
    type: 'Metaspace',
    replacement: '\u2581',
    prepend_scheme: 'always',
    split: true,
  };
  const specialIds: Record<string, number> = {
    '<s>': 0,
    '<pad>': 1,
    '</s>': 2,
    '<unk>': 3,
    '<mask>': last,
  };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: Object.entries(specialIds).map(([t, id]) => addedToken(t, id)),
    normalizer: { type: 'Replace', pattern: { Regex: ' {2,}' }, content: ' ' },
    pre_tokenizer: metaspace,
    post_processor: {
      type: 'RobertaProcessing',
      sep: ['</s>', 2],
      cls: ['<s>', 0],
      trim_offsets: true,
      add_prefix_space: true,
    },
    decoder: metaspace,
    model: { type: 'Unigram', unk_id: 3, vocab: pieces, byte_fallback: false },
  };
  const tokenizerConfig = {
    bos_token: '<s>',
    cls_token: '<s>',
    eos_token: '</s>',
    mask_token: '<mask>',
    model_max_length: 512,
    pad_token: '<pad>',
    sep_token: '</s>',
    tokenizer_class: 'XLMRobertaTokenizer',
    unk_token: '<unk>',
  };
  return { tokenizer, tokenizerConfig, specialIds };
}
