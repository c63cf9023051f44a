import { Tokenizer } from '@huggingface/tokenizers';
import { TokenizerError } from './errors';

export interface SpecialTokenIds {
  mask?: number;
  cls?: number;
  sep?: number;
  bos?: number;
  eos?: number;
  pad?: number;
  unk?: number;
}

export type SpecialTokenRole = keyof SpecialTokenIds;

/** A model's tokenizer, as the engine uses it. */
export interface ModelTokenizer {
  /** Largest token id + 1 (the model's embedding may have more rows). */
  readonly vocabSize: number;
  /** Tokenises text; special tokens ([CLS] ... [SEP], <s> ... </s>) are added unless disabled. */
  encode(text: string, opts?: { addSpecialTokens?: boolean }): { ids: number[]; tokens: string[] };
  decode(ids: number[]): string;
  idToToken(id: number): string | undefined;
  tokenToId(token: string): number | undefined;
  readonly special: Readonly<SpecialTokenIds>;
  /** The mask token's text, e.g. "[MASK]" or "<mask>" (masked language models only). */
  readonly maskToken?: string;
}

type Json = Record<string, unknown>;

/**
 * Where each role's token is found, first match wins:
 * - mask, cls, sep, pad, unk: tokenizer_config.json names it (`mask_token` ...); failing that,
 *   for cls and sep, a post-processor that wraps the text (cls before it, sep after it);
 *   failing that, a special added token with a conventional name (unk also model.unk_token).
 * - bos: only the token the post-processor puts before the text (Llama's <|begin_of_text|>,
 *   XLM-R's <s>, BERT's [CLS]), because that is what the model saw at the start of every
 *   sequence; none when it adds none (GPT-2, Qwen), whatever the files call bos_token.
 * - eos: tokenizer_config.json's eos_token; failing that config.json's eos_token_id (passed to
 *   loadTokenizer); failing that a special added token with a conventional name.
 */
const ROLES: { role: SpecialTokenRole; configKey: string; names: string[] }[] = [
  { role: 'mask', configKey: 'mask_token', names: ['[MASK]', '<mask>'] },
  { role: 'cls', configKey: 'cls_token', names: ['[CLS]', '<s>'] },
  { role: 'sep', configKey: 'sep_token', names: ['[SEP]', '</s>'] },
  { role: 'eos', configKey: 'eos_token', names: ['</s>', '<|endoftext|>', '<|end_of_text|>'] },
  { role: 'pad', configKey: 'pad_token', names: ['[PAD]', '<pad>'] },
  { role: 'unk', configKey: 'unk_token', names: ['[UNK]', '<unk>'] },
];

/** What loadTokenizer may learn from config.json. */
export interface TokenizerOptions {
  /** config.json's eos_token_id (configEosTokenId), the end-of-sequence fallback. */
  eosTokenId?: number;
}

/**
 * CJK ideographs outside the Basic Multilingual Plane (extensions B-F, compatibility
 * supplement). BertNormalizer must put spaces around them, but @huggingface/tokenizers 0.2.0
 * tests `charCodeAt`, which sees only half of a surrogate pair, so it never splits these.
 */
const ASTRAL_CJK = /[\u{20000}-\u{2A6DF}\u{2A700}-\u{2CEAF}\u{2F800}-\u{2FA1F}]/gu;

/**
 * Loads a tokenizer from tokenizer.json (the "fast" tokenizer format) and, optionally,
 * tokenizer_config.json.
 */
export function loadTokenizer(
  tokenizerJson: unknown,
  tokenizerConfigJson?: unknown,
  options: TokenizerOptions = {},
): ModelTokenizer {
  if (!isObject(tokenizerJson) || !isObject(tokenizerJson.model)) {
    throw new TokenizerError(
      'tokenizer.json is not a Hugging Face tokenizers file (it has no "model" object); download ' +
        'it again, or re-save the tokenizer with transformers (tokenizer.save_pretrained).',
      'tokenizer.json',
    );
  }
  if (tokenizerConfigJson !== undefined && !isObject(tokenizerConfigJson)) {
    throw new TokenizerError(
      'tokenizer_config.json is not a JSON object; download it again.',
      'tokenizer_config.json',
    );
  }
  return new HfTokenizer(tokenizerJson, tokenizerConfigJson ?? {}, options);
}

class HfTokenizer implements ModelTokenizer {
  readonly vocabSize: number;
  readonly special: Readonly<SpecialTokenIds>;
  readonly maskToken?: string;
  private readonly tokenizer: Tokenizer;
  private readonly splitAstralCjk: boolean;

  constructor(json: Json, config: Json, options: TokenizerOptions) {
    // The library requires these keys (null when absent) and iterates added_tokens unguarded.
    const complete = {
      normalizer: null,
      pre_tokenizer: null,
      post_processor: null,
      decoder: null,
      added_tokens: [],
      ...json,
    };
    try {
      this.tokenizer = new Tokenizer(complete, config);
    } catch (e) {
      throw new TokenizerError(
        `tokenizer.json cannot be used: ${(e as Error).message}; the tokenizer type may be ` +
          `unsupported by @huggingface/tokenizers, or the file is damaged (download it again).`,
        'tokenizer.json',
      );
    }
    const normalizer = complete.normalizer as unknown;
    this.splitAstralCjk =
      isObject(normalizer) &&
      normalizer.type === 'BertNormalizer' &&
      !!normalizer.handle_chinese_chars;

    let maxId = -1;
    for (const id of this.tokenizer.get_vocab(true).values()) maxId = Math.max(maxId, id);
    this.vocabSize = maxId + 1;
    this.special = this.findSpecialTokens(complete, config, options);
    if (this.special.mask !== undefined) this.maskToken = this.idToToken(this.special.mask);
  }

  encode(text: string, opts?: { addSpecialTokens?: boolean }): { ids: number[]; tokens: string[] } {
    const input = this.splitAstralCjk ? text.replace(ASTRAL_CJK, ' $& ') : text;
    const { ids, tokens } = this.tokenizer.encode(input, {
      add_special_tokens: opts?.addSpecialTokens ?? true,
    });
    // The library yields undefined ids for tokens missing from the vocabulary when the model
    // has no unknown token.
    const missing = ids.findIndex((id) => id === undefined);
    if (missing >= 0) {
      throw new TokenizerError(
        `tokenizer.json has no id for token "${tokens[missing]}" and no unknown token to fall ` +
          `back on; the vocabulary is incomplete, download tokenizer.json again.`,
        'tokenizer.json',
      );
    }
    return { ids, tokens };
  }

  decode(ids: number[]): string {
    // The library throws on an empty list.
    return ids.length === 0 ? '' : this.tokenizer.decode(ids);
  }

  idToToken(id: number): string | undefined {
    return Number.isInteger(id) && id >= 0 ? this.tokenizer.id_to_token(id) : undefined;
  }

  tokenToId(token: string): number | undefined {
    return this.tokenizer.token_to_id(token);
  }

  private findSpecialTokens(json: Json, config: Json, options: TokenizerOptions): SpecialTokenIds {
    const { before, after } = processorTokens(json.post_processor);
    // A processor that wraps the text names the encoder's cls and sep.
    const wraps = before !== undefined && after !== undefined;
    const fromProcessor: Partial<Record<SpecialTokenRole, string>> = wraps
      ? { cls: before, sep: after }
      : {};
    const specialAdded = new Set(
      (Array.isArray(json.added_tokens) ? json.added_tokens : [])
        .filter(
          (t): t is Json => isObject(t) && t.special === true && typeof t.content === 'string',
        )
        .map((t) => t.content as string),
    );
    const model = json.model as Json;
    const special: SpecialTokenIds = {};
    const bos = before === undefined ? undefined : this.tokenToId(before);
    if (bos !== undefined) special.bos = bos;
    for (const { role, configKey, names } of ROLES) {
      const eosId = role === 'eos' ? options.eosTokenId : undefined;
      const candidates = [
        tokenContent(config[configKey]),
        fromProcessor[role],
        eosId === undefined ? undefined : this.idToToken(eosId),
        ...names.filter((n) => specialAdded.has(n)),
        role === 'unk' ? tokenContent(model.unk_token) : undefined,
      ];
      for (const token of candidates) {
        const id = token === undefined ? undefined : this.tokenToId(token);
        if (id !== undefined) {
          special[role] = id;
          break;
        }
      }
    }
    return special;
  }
}

/**
 * The special tokens a post-processor puts before and after the text of a single sequence
 * (BertProcessing, RobertaProcessing, TemplateProcessing; the first found in a Sequence).
 */
function processorTokens(processor: unknown): { before?: string; after?: string } {
  if (!isObject(processor)) return {};
  switch (processor.type) {
    case 'BertProcessing':
    case 'RobertaProcessing': {
      // Written as ["[CLS]", 101].
      const first = (pair: unknown) => (Array.isArray(pair) ? tokenContent(pair[0]) : undefined);
      return { before: first(processor.cls), after: first(processor.sep) };
    }
    case 'TemplateProcessing': {
      // In "[CLS] $A [SEP]" the token before the sequence is [CLS], the one after it [SEP].
      const single = Array.isArray(processor.single) ? processor.single.filter(isObject) : [];
      const at = single.findIndex((item) => 'Sequence' in item);
      const token = (item: Json | undefined) =>
        item && isObject(item.SpecialToken) ? tokenContent(item.SpecialToken.id) : undefined;
      return at < 0 ? {} : { before: token(single[at - 1]), after: token(single[at + 1]) };
    }
    case 'Sequence': {
      const found: { before?: string; after?: string } = {};
      for (const p of Array.isArray(processor.processors) ? processor.processors : []) {
        const { before, after } = processorTokens(p);
        found.before ??= before;
        found.after ??= after;
      }
      return found;
    }
    default:
      return {};
  }
}

/** A token as tokenizer files write it: "[MASK]" or {"content": "[MASK]", ...} (AddedToken). */
function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (isObject(value) && typeof value.content === 'string') return value.content;
  return undefined;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
