// The subset of the Hugging Face `tokenizers` serialization (tokenizer.json, format "1.0") that
// our demo tokenizers use. Field order follows what the Rust library writes.

export interface AddedTokenJson {
  id: number;
  content: string;
  single_word: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
  special: boolean;
}

export interface BertNormalizerJson {
  type: 'BertNormalizer';
  clean_text: boolean;
  handle_chinese_chars: boolean;
  strip_accents: boolean | null;
  lowercase: boolean;
}

/** The ByteLevel pre-tokenizer, post-processor and decoder share one serialization. */
export interface ByteLevelJson {
  type: 'ByteLevel';
  add_prefix_space: boolean;
  trim_offsets: boolean;
  use_regex: boolean;
}

export type TemplatePiece =
  | { SpecialToken: { id: string; type_id: number } }
  | { Sequence: { id: 'A' | 'B'; type_id: number } };

export interface TemplateProcessingJson {
  type: 'TemplateProcessing';
  single: TemplatePiece[];
  pair: TemplatePiece[];
  special_tokens: Record<string, { id: string; ids: number[]; tokens: string[] }>;
}

export interface WordPieceModelJson {
  type: 'WordPiece';
  unk_token: string;
  continuing_subword_prefix: string;
  max_input_chars_per_word: number;
  vocab: Record<string, number>;
}

export interface BpeModelJson {
  type: 'BPE';
  dropout: null;
  unk_token: string | null;
  continuing_subword_prefix: string | null;
  end_of_word_suffix: string | null;
  fuse_unk: boolean;
  byte_fallback: boolean;
  ignore_merges: boolean;
  vocab: Record<string, number>;
  /** Pairs, as tokenizers >= 0.20 writes them (older versions wrote "a b" strings). */
  merges: [string, string][];
}

interface TokenizerJsonBase {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: AddedTokenJson[];
}

export interface WordPieceTokenizerJson extends TokenizerJsonBase {
  normalizer: BertNormalizerJson;
  pre_tokenizer: { type: 'BertPreTokenizer' };
  post_processor: TemplateProcessingJson;
  decoder: { type: 'WordPiece'; prefix: string; cleanup: boolean };
  model: WordPieceModelJson;
}

export interface BpeTokenizerJson extends TokenizerJsonBase {
  normalizer: null;
  pre_tokenizer: ByteLevelJson;
  post_processor: ByteLevelJson;
  decoder: ByteLevelJson;
  model: BpeModelJson;
}

export type TokenizerJson = WordPieceTokenizerJson | BpeTokenizerJson;

/**
 * tokenizer.json text byte for byte as the Rust library's `save(path, pretty = true)` writes it
 * (checked against tokenizers 0.23): two-space indent, no final newline, the vocabulary in id
 * order. (JSON.stringify alone would hoist integer-like tokens such as "7" or "1990" to the
 * front of the vocab object.)
 */
export function tokenizerJsonText(tokenizer: TokenizerJson): string {
  const placeholder = '\u0000vocab\u0000';
  const skeleton = JSON.stringify(
    { ...tokenizer, model: { ...tokenizer.model, vocab: placeholder } },
    null,
    2,
  );
  const entries = Object.entries(tokenizer.model.vocab)
    .sort((a, b) => a[1] - b[1])
    .map(([token, id]) => `      ${JSON.stringify(token)}: ${id}`);
  const vocab = entries.length === 0 ? '{}' : `{\n${entries.join(',\n')}\n    }`;
  // A replacer function, so `$` sequences in tokens are not read as replacement patterns.
  return skeleton.replace(JSON.stringify(placeholder), () => vocab);
}
