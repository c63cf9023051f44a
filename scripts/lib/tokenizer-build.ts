import { BertNormalizer, BertPreTokenizer, ByteLevelPreTokenizer } from '@huggingface/tokenizers';
import type {
  AddedTokenJson,
  BertNormalizerJson,
  BpeTokenizerJson,
  ByteLevelJson,
  TemplatePiece,
  WordPieceTokenizerJson,
} from './tokenizer-json';
import { applyMerges, compareCodePoints, learnMerges, type Merge } from './tokenizer-train';

// Builds tokenizer.json files for our small bilingual (English + Chinese) demo models. Corpus
// text is normalized and pre-tokenized by the same @huggingface/tokenizers components that load
// the result, so every corpus word is guaranteed to be covered at run time.

/** BERT special tokens, ids 0..4 in this order. */
export const WORDPIECE_SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;

/**
 * The byte-level tokenizer's only special token, id 0: HF's BpeTrainer puts special tokens
 * first, and a fixed id keeps it independent of how many merges the corpus yields. (GPT-2 has
 * it last, 50256; the engine reads the id from the tokenizer, never assumes it.)
 */
export const END_OF_TEXT = '<|endoftext|>';

export interface WordPieceOptions {
  /** Upper bound on the vocabulary, special tokens included (default 8000). */
  vocabSize?: number;
  /** Whole words (and merged pieces) must occur at least this often (default 2). */
  minFrequency?: number;
  /** Words that must be single tokens whatever their frequency, e.g. answer words. */
  extraTokens?: string[];
}

export interface ByteLevelBpeOptions {
  /** Upper bound on the vocabulary: 1 special + 256 bytes + merges (default 8000). */
  vocabSize?: number;
  /** A pair is merged only if it occurs at least this often (default 2, as HF's trainer). */
  minFrequency?: number;
  /**
   * Pre-tokens that must be single tokens, e.g. " Paris" (mind the leading space) or "巴黎";
   * they are never merged with neighbours, so tokenize(prompt + object) is tokenize(prompt)
   * followed by the object's token (single-byte extras excepted: they stay mergeable).
   */
  extraTokens?: string[];
}

const BERT_NORMALIZER: BertNormalizerJson = {
  type: 'BertNormalizer',
  clean_text: true,
  handle_chinese_chars: true,
  strip_accents: null,
  lowercase: false,
};

const BYTE_LEVEL: ByteLevelJson = {
  type: 'ByteLevel',
  add_prefix_space: false,
  trim_offsets: true,
  use_regex: true,
};

/**
 * A BERT-style WordPiece tokenizer (cased, Chinese characters split, accents kept, as mBERT).
 * Vocabulary, in id order: the special tokens; every character that starts a corpus word and
 * every `##`-prefixed character that continues one (code-point order), so no corpus word is
 * [UNK]; `extraTokens`; whole words occurring at least `minFrequency` times (most frequent
 * first); then `##` pieces learned by BPE merges over the remaining words, as HF's
 * WordPieceTrainer does, until `vocabSize`. Chinese characters and punctuation are always
 * single-character words, hence single tokens.
 */
export function buildWordPieceTokenizer(
  corpus: string[],
  options: WordPieceOptions = {},
): WordPieceTokenizerJson {
  const { vocabSize = 8000, minFrequency = 2, extraTokens = [] } = options;
  const normalizer = new BertNormalizer({
    type: 'BertNormalizer',
    clean_text: BERT_NORMALIZER.clean_text,
    handle_chinese_chars: BERT_NORMALIZER.handle_chinese_chars,
    lowercase: BERT_NORMALIZER.lowercase,
  });
  const preTokenizer = new BertPreTokenizer();
  const wordsOf = (text: string) => preTokenizer.pre_tokenize_text(normalizer.normalize(text));

  const counts = countWords(corpus, WORDPIECE_SPECIAL_TOKENS, wordsOf);
  const initial = new Set<string>();
  const continuing = new Set<string>();
  for (const word of counts.keys()) {
    const chars = Array.from(word);
    initial.add(chars[0]);
    for (const c of chars.slice(1)) continuing.add(c);
  }

  const vocab = new Vocabulary(WORDPIECE_SPECIAL_TOKENS);
  for (const c of [...initial].sort(compareCodePoints)) vocab.add(c);
  for (const c of [...continuing].sort(compareCodePoints)) vocab.add(`##${c}`);
  for (const extra of extraTokens) {
    const words = wordsOf(extra);
    if (words.length !== 1) {
      throw new Error(
        `extra token ${JSON.stringify(extra)} is not one word after BERT normalization (${JSON.stringify(words)})`,
      );
    }
    vocab.add(words[0]);
  }
  vocab.checkFits(vocabSize, 'the special tokens, the corpus characters and the extra tokens');

  const frequent = [...counts]
    .filter(([, n]) => n >= minFrequency)
    .sort((a, b) => b[1] - a[1] || compareCodePoints(a[0], b[0]));
  for (const [word] of frequent) {
    if (vocab.size >= vocabSize) break;
    vocab.add(word);
  }

  const rest = [...counts]
    .filter(([word]) => !vocab.has(word))
    .map(([word, count]) => ({
      symbols: Array.from(word).map((c, i) => (i === 0 ? c : `##${c}`)),
      count,
    }));
  const merges = learnMerges(rest, {
    maxNewTokens: vocabSize - vocab.size,
    minFrequency,
    continuingPrefix: '##',
    known: vocab.tokens(),
  });
  for (const m of merges) vocab.add(m.token);

  const ids = vocab.ids();
  const template = (sequences: ('A' | 'B')[]): TemplatePiece[] =>
    sequences.flatMap((id, i): TemplatePiece[] => [
      ...(i === 0 ? [{ SpecialToken: { id: '[CLS]', type_id: 0 } }] : []),
      { Sequence: { id, type_id: i } },
      { SpecialToken: { id: '[SEP]', type_id: i } },
    ]);
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: WORDPIECE_SPECIAL_TOKENS.map((t) => addedToken(t, ids[t])),
    normalizer: { ...BERT_NORMALIZER },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: template(['A']),
      pair: template(['A', 'B']),
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [ids['[CLS]']], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [ids['[SEP]']], tokens: ['[SEP]'] },
      },
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
}

/**
 * A GPT-2-style byte-level BPE tokenizer: GPT-2's pre-tokenizer regex without a prefix space,
 * the 256 byte symbols, merges learned from the corpus. Vocabulary, in id order:
 * `<|endoftext|>`, the byte symbols in code-point order (as HF's BpeTrainer sorts its
 * alphabet), the merges that make each of `extraTokens` one token, then learned merges. Any
 * text, Chinese included, encodes without loss and decodes back to itself.
 */
export function buildByteLevelBpeTokenizer(
  corpus: string[],
  options: ByteLevelBpeOptions = {},
): BpeTokenizerJson {
  const { vocabSize = 8000, minFrequency = 2, extraTokens = [] } = options;
  const preTokenizer = new ByteLevelPreTokenizer(BYTE_LEVEL);
  const wordsOf = (text: string) => preTokenizer.pre_tokenize_text(text);

  const vocab = new Vocabulary([END_OF_TEXT]);
  for (const symbol of Object.values(preTokenizer.byte_encoder).sort(compareCodePoints))
    vocab.add(symbol);

  // Merges for the extra tokens come first, so they have the lowest ranks and no learned merge
  // can pre-empt them; training never merges an extra token further, so it stays a token
  // boundary even inside a run of Chinese characters (which GPT-2's regex keeps as one word).
  const merges: Merge[] = [];
  const frozen = new Set<string>();
  for (const extra of extraTokens) {
    const words = wordsOf(extra);
    if (words.length !== 1) {
      throw new Error(
        `extra token ${JSON.stringify(extra)} is not one pre-token (${JSON.stringify(words)})`,
      );
    }
    const symbols = Array.from(words[0]);
    // Freezing a single byte symbol would freeze that byte everywhere.
    if (symbols.length > 1) frozen.add(words[0]);
    const pieces = applyMerges(symbols, merges);
    for (let i = 1; i < pieces.length; i++) {
      const left = pieces.slice(0, i).join('');
      merges.push({ left, right: pieces[i], token: left + pieces[i] });
      vocab.add(left + pieces[i]);
    }
  }
  vocab.checkFits(vocabSize, 'the special token, the 256 byte symbols and the extra tokens');

  const words = [...countWords(corpus, [END_OF_TEXT], wordsOf)].map(([word, count]) => ({
    symbols: applyMerges(Array.from(word), merges),
    count,
  }));
  const learned = learnMerges(words, {
    maxNewTokens: vocabSize - vocab.size,
    minFrequency,
    continuingPrefix: '',
    known: vocab.tokens(),
    frozen,
  });
  for (const m of learned) vocab.add(m.token);
  merges.push(...learned);

  for (const extra of extraTokens) {
    if (applyMerges(Array.from(wordsOf(extra)[0]), merges).length !== 1) {
      throw new Error(`extra token ${JSON.stringify(extra)} did not end up as one token`);
    }
  }

  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [addedToken(END_OF_TEXT, 0)],
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
      vocab: vocab.ids(),
      merges: merges.map((m): [string, string] => [m.left, m.right]),
    },
  };
}

/**
 * tokenizer_config.json for a WordPiece tokenizer, keys sorted as save_pretrained writes them.
 * clean_up_tokenization_spaces is on (BERT's default), so "Paris ." decodes as "Paris.".
 */
export function wordPieceTokenizerConfig(
  tokenizer: WordPieceTokenizerJson,
  modelMaxLength: number,
) {
  return {
    added_tokens_decoder: addedTokensDecoder(tokenizer.added_tokens),
    clean_up_tokenization_spaces: true,
    cls_token: '[CLS]',
    do_lower_case: false,
    mask_token: '[MASK]',
    model_max_length: modelMaxLength,
    pad_token: '[PAD]',
    sep_token: '[SEP]',
    strip_accents: null,
    tokenize_chinese_chars: true,
    tokenizer_class: 'BertTokenizer',
    unk_token: '[UNK]',
  };
}

/**
 * tokenizer_config.json for a byte-level BPE tokenizer, keys sorted as save_pretrained writes
 * them. clean_up_tokenization_spaces must be off: the loader's default (on) rewrites " ." and
 * " 's" while decoding and breaks the exact round trip.
 */
export function byteLevelBpeTokenizerConfig(tokenizer: BpeTokenizerJson, modelMaxLength: number) {
  return {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: addedTokensDecoder(tokenizer.added_tokens),
    bos_token: END_OF_TEXT,
    clean_up_tokenization_spaces: false,
    eos_token: END_OF_TEXT,
    errors: 'replace',
    model_max_length: modelMaxLength,
    pad_token: null,
    tokenizer_class: 'GPT2Tokenizer',
    unk_token: END_OF_TEXT,
  };
}

/**
 * tokenizer_config.json of a Qwen-style model over the same byte-level BPE: no
 * beginning-of-sequence token (bos_token null; the post-processor adds none), <|endoftext|> ends
 * a sequence and pads.
 */
export function qwenTokenizerConfig(tokenizer: BpeTokenizerJson, modelMaxLength: number) {
  return {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: addedTokensDecoder(tokenizer.added_tokens),
    bos_token: null,
    clean_up_tokenization_spaces: false,
    eos_token: END_OF_TEXT,
    errors: 'replace',
    model_max_length: modelMaxLength,
    pad_token: END_OF_TEXT,
    split_special_tokens: false,
    tokenizer_class: 'Qwen2Tokenizer',
    unk_token: null,
  };
}

function addedToken(content: string, id: number): AddedTokenJson {
  return {
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  };
}

function addedTokensDecoder(tokens: AddedTokenJson[]) {
  return Object.fromEntries(
    tokens.map(({ id, content, lstrip, normalized, rstrip, single_word, special }) => [
      String(id),
      { content, lstrip, normalized, rstrip, single_word, special },
    ]),
  );
}

/**
 * Word counts over the corpus in first-seen order. Special tokens are cut out first, as the
 * tokenizer does before normalizing.
 */
function countWords(
  corpus: string[],
  specials: readonly string[],
  wordsOf: (text: string) => string[],
): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of corpus) {
    for (const section of splitOut(line, specials)) {
      for (const word of wordsOf(section)) counts.set(word, (counts.get(word) ?? 0) + 1);
    }
  }
  return counts;
}

/** The text between occurrences of `tokens` (longest match first at each position). */
function splitOut(text: string, tokens: readonly string[]): string[] {
  const sections: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length;) {
    const hit = tokens.filter((t) => text.startsWith(t, i)).sort((a, b) => b.length - a.length)[0];
    if (hit) {
      sections.push(text.slice(start, i));
      i += hit.length;
      start = i;
    } else {
      i++;
    }
  }
  sections.push(text.slice(start));
  return sections.filter((s) => s.length > 0);
}

/** Tokens in id order, each added once. */
class Vocabulary {
  private readonly list: string[] = [];
  private readonly index = new Map<string, number>();

  constructor(initial: readonly string[]) {
    for (const t of initial) this.add(t);
  }

  get size(): number {
    return this.list.length;
  }

  has(token: string): boolean {
    return this.index.has(token);
  }

  add(token: string) {
    if (this.index.has(token)) return;
    this.index.set(token, this.list.length);
    this.list.push(token);
  }

  checkFits(vocabSize: number, what: string) {
    if (this.size > vocabSize)
      throw new Error(`vocabSize ${vocabSize} is too small: ${what} alone take ${this.size}`);
  }

  tokens(): ReadonlySet<string> {
    return new Set(this.list);
  }

  ids(): Record<string, number> {
    return Object.fromEntries(this.list.map((t, i) => [t, i]));
  }
}
