import { Tokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import {
  buildByteLevelBpeTokenizer,
  buildWordPieceTokenizer,
  byteLevelBpeTokenizerConfig,
  END_OF_TEXT,
  WORDPIECE_SPECIAL_TOKENS,
  wordPieceTokenizerConfig,
} from './tokenizer-build';
import { tokenizerJsonText, type TokenizerJson } from './tokenizer-json';
import { applyMerges } from './tokenizer-train';

const corpus = [
  'The capital of France is Paris.',
  'Paris is the capital of France.',
  'The capital of Germany is Berlin.',
  'Berlin is the capital of Germany.',
  'The capital of Japan is Tokyo.',
  'Albert Einstein was born in Ulm, wasn\'t he? He was: "Ulm".',
  'The official language of Brazil is Portuguese.',
  '法国的首都是巴黎。',
  '巴黎是法国的首都。',
  '德国的首都是柏林。',
  '日本的首都是东京。',
  '爱因斯坦出生于乌尔姆，对吗？',
  '巴西的官方语言是葡萄牙语。',
];

/** Loads through the library's public API, from the serialized text as a file would be. */
function load(tokenizer: TokenizerJson, config: Record<string, unknown>): Tokenizer {
  return new Tokenizer(JSON.parse(tokenizerJsonText(tokenizer)), config);
}

describe('buildWordPieceTokenizer', () => {
  const json = buildWordPieceTokenizer(corpus, { vocabSize: 400 });
  const tok = load(json, wordPieceTokenizerConfig(json, 64));

  it('numbers the special tokens 0..4 and wraps input in [CLS] ... [SEP]', () => {
    WORDPIECE_SPECIAL_TOKENS.forEach((t, i) => expect(tok.token_to_id(t)).toBe(i));
    const { ids } = tok.encode('Paris is the capital of France.');
    expect(ids[0]).toBe(2);
    expect(ids.at(-1)).toBe(3);
  });

  it('tokenizes every corpus sentence without [UNK]', () => {
    for (const line of corpus) expect(tok.encode(line).ids).not.toContain(1);
  });

  it('makes each Chinese character one token and keeps [MASK] whole', () => {
    expect(tok.tokenize('法国的首都是巴黎。')).toEqual([
      '法',
      '国',
      '的',
      '首',
      '都',
      '是',
      '巴',
      '黎',
      '。',
    ]);
    expect(tok.tokenize('法国的首都是[MASK]。')).toEqual([
      '法',
      '国',
      '的',
      '首',
      '都',
      '是',
      '[MASK]',
      '。',
    ]);
    expect(tok.tokenize('The capital of France is [MASK].')).toEqual([
      'The',
      'capital',
      'of',
      'France',
      'is',
      '[MASK]',
      '.',
    ]);
    expect(tok.encode('The capital of France is [MASK].').ids).toContain(4);
  });

  it('keeps frequent words whole and splits rare ones into ## pieces', () => {
    expect(tok.tokenize('capital')).toEqual(['capital']);
    const pieces = tok.tokenize('Portuguese');
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.slice(1).every((p) => p.startsWith('##'))).toBe(true);
    expect(pieces.map((p) => p.replace(/^##/, '')).join('')).toBe('Portuguese');
  });

  it('decodes English back and Chinese up to the spaces BERT decoding inserts', () => {
    const en = 'The capital of Germany is Berlin.';
    expect(tok.decode(tok.encode(en).ids, { skip_special_tokens: true })).toBe(en);
    const zh = '德国的首都是柏林。';
    expect(tok.decode(tok.encode(zh).ids, { skip_special_tokens: true }).replace(/ /g, '')).toBe(
      zh,
    );
  });

  it('learns ## pieces from rare words and stops at vocabSize, still without [UNK]', () => {
    // Rare words sharing a stem: not whole-word tokens at minFrequency 2, but their pairs are.
    const rare = [...corpus, 'Portugal Portuguese Portland Porter Portia Portsmouth'];
    const full = buildWordPieceTokenizer(rare, { minFrequency: 2 });
    expect(full.model.vocab).toHaveProperty('Port');
    expect(full.model.vocab).not.toHaveProperty('Portia');
    const size = Object.keys(full.model.vocab).length;
    const capped = buildWordPieceTokenizer(rare, { vocabSize: size - 3, minFrequency: 2 });
    expect(Object.keys(capped.model.vocab)).toHaveLength(size - 3);
    const t = load(capped, wordPieceTokenizerConfig(capped, 64));
    for (const line of rare) expect(t.encode(line).ids).not.toContain(1);
    expect(() => buildWordPieceTokenizer(corpus, { vocabSize: 20 })).toThrow(/too small/);
  });

  it('makes extra tokens single tokens whatever their frequency', () => {
    const withExtra = buildWordPieceTokenizer(corpus, {
      minFrequency: 5,
      extraTokens: ['Einstein', 'Zürich'],
    });
    const t = load(withExtra, wordPieceTokenizerConfig(withExtra, 64));
    expect(t.tokenize('Einstein Zürich')).toEqual(['Einstein', 'Zürich']);
    expect(() => buildWordPieceTokenizer(corpus, { extraTokens: ['New York'] })).toThrow(
      /not one word/,
    );
    expect(() => buildWordPieceTokenizer(corpus, { extraTokens: ['巴黎'] })).toThrow(
      /not one word/,
    );
  });

  it('is deterministic and writes the vocabulary in id order', () => {
    const text = tokenizerJsonText(json);
    expect(tokenizerJsonText(buildWordPieceTokenizer([...corpus], { vocabSize: 400 }))).toBe(text);
    expect(JSON.parse(text)).toEqual(json);
    const vocabText = text.slice(text.indexOf('"vocab": {'));
    const order = [...vocabText.matchAll(/^ {6}("(?:[^"\\]|\\.)*"): (\d+),?$/gm)].map((m) =>
      Number(m[2]),
    );
    expect(order).toEqual(order.map((_, i) => i));
    expect(order.length).toBe(Object.keys(json.model.vocab).length);
  });
});

describe('buildByteLevelBpeTokenizer', () => {
  const json = buildByteLevelBpeTokenizer(corpus, { vocabSize: 600 });
  const tok = load(json, byteLevelBpeTokenizerConfig(json, 64));

  it('puts <|endoftext|> at 0 and the 256 byte symbols next', () => {
    expect(tok.token_to_id(END_OF_TEXT)).toBe(0);
    expect(tok.token_to_id('!')).toBe(1);
    expect(tok.token_to_id('Ġ')).toBeLessThanOrEqual(256);
    expect(json.model.merges.length).toBeGreaterThan(0);
    expect(tok.encode(`Paris${END_OF_TEXT}`).ids.at(-1)).toBe(0);
  });

  it('round-trips corpus and unseen text exactly, Chinese included', () => {
    const unseen = [
      '柏林是德国的首都吗？',
      'Mixed 中文 and English  with  spaces .',
      "It's 2024 — ok?!",
      '🙂 emoji',
      ' leading space',
    ];
    for (const text of [...corpus, ...unseen]) {
      const { ids } = tok.encode(text);
      expect(tok.decode(ids)).toBe(text);
    }
  });

  it('learns merges that make frequent words single tokens', () => {
    expect(tok.tokenize(' capital')).toEqual(['Ġcapital']);
    // Merges also run across Chinese characters (GPT-2's regex keeps a Han run as one word).
    expect(tok.tokenize('法国的首都是巴黎。').length).toBeLessThan(9);
    expect(tok.tokenize('The capital of France is').length).toBeLessThan(10);
  });

  it('encodes like its own merge order says (loader and builder agree on ranks)', () => {
    const merges = json.model.merges.map(([left, right]) => ({ left, right, token: left + right }));
    const pre = tok.pre_tokenizer!;
    for (const line of corpus) {
      const expected = pre
        .pre_tokenize(line)
        .flatMap((word) => applyMerges(Array.from(word), merges));
      expect(tok.tokenize(line)).toEqual(expected);
    }
  });

  it('makes extra tokens single tokens and rejects multi-word ones', () => {
    // "于乌尔姆" is frequent enough here that an unfrozen 乌尔姆 would merge with 于.
    const births = [...corpus, '他出生于乌尔姆。', '她也出生于乌尔姆。'];
    const withExtra = buildByteLevelBpeTokenizer(births, {
      vocabSize: 500,
      extraTokens: [' Ulm', '乌尔姆', ' Zürich', ' Ulmer'],
    });
    const t = load(withExtra, byteLevelBpeTokenizerConfig(withExtra, 64));
    expect(t.tokenize(' Ulm')).toEqual(['ĠUlm']);
    expect(t.tokenize(' Ulmer')).toHaveLength(1);
    expect(t.tokenize(' Zürich')).toHaveLength(1);
    expect(t.tokenize('乌尔姆')).toHaveLength(1);
    expect(t.decode(t.encode('出生于乌尔姆').ids)).toBe('出生于乌尔姆');
    // Extra tokens stay boundaries: the prompt's tokens are a prefix of the sentence's.
    const prompt = t.tokenize('爱因斯坦出生于');
    expect(t.tokenize('爱因斯坦出生于乌尔姆')).toEqual([...prompt, ...t.tokenize('乌尔姆')]);
    const byteExtra = buildByteLevelBpeTokenizer(corpus, { vocabSize: 600, extraTokens: ['a'] });
    expect(byteExtra.model.vocab).toHaveProperty('Ġcapital');
    expect(() => buildByteLevelBpeTokenizer(corpus, { extraTokens: [' New York'] })).toThrow(
      /not one pre-token/,
    );
  });

  it('respects vocabSize and is deterministic', () => {
    const small = buildByteLevelBpeTokenizer(corpus, { vocabSize: 300 });
    expect(Object.keys(small.model.vocab)).toHaveLength(300);
    expect(small.model.merges).toHaveLength(300 - 257);
    expect(() => buildByteLevelBpeTokenizer(corpus, { vocabSize: 200 })).toThrow(/too small/);
    const text = tokenizerJsonText(json);
    expect(tokenizerJsonText(buildByteLevelBpeTokenizer([...corpus], { vocabSize: 600 }))).toBe(
      text,
    );
    expect(JSON.parse(text)).toEqual(json);
  });
});
