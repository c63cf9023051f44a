import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from '../../src/weights/tokenizer';
import llama3Fixture from '../../src/weights/fixtures/llama3-tokenizer.json';
import qwen2Fixture from '../../src/weights/fixtures/qwen2-tokenizer.json';
import {
  LLAMA3_SPECIALS,
  QWEN2_SPECIALS,
  type SyntheticTokenizerOptions,
  syntheticTokenizer,
} from './synthetic-tokenizer';

const WORDS = [
  'The',
  ' capital',
  ' of',
  ' France',
  ' is',
  ' Paris',
  ' Germany',
  ' Berlin',
  '巴黎',
  '法国',
  '首都',
];

/**
 * The recipes of the LLaMA-family fixtures in src/weights/fixtures (the tiny models' tokenizers).
 * After changing the builder, rewrite them with
 * `npx vitest run scripts/lib/synthetic-tokenizer.test.ts --update`.
 */
const FIXTURES: Record<'llama3' | 'qwen2', SyntheticTokenizerOptions> = {
  llama3: {
    style: 'llama3',
    words: WORDS,
    specials: [
      ...LLAMA3_SPECIALS.slice(0, 2),
      '<|start_header_id|>',
      '<|end_header_id|>',
      '<|eot_id|>',
    ],
  },
  qwen2: { style: 'qwen2', words: WORDS, specials: QWEN2_SPECIALS },
};

describe('synthetic tokenizers', () => {
  it('the fixtures are what the builder writes', async () => {
    for (const [name, recipe] of Object.entries(FIXTURES)) {
      const file = `../../src/weights/fixtures/${name}-tokenizer.json`;
      // Formatted as the repository's prettier check wants JSON.
      const options = await resolveConfig(new URL(file, import.meta.url));
      const text = await format(JSON.stringify(syntheticTokenizer(recipe).tokenizer, null, 2), {
        ...options,
        parser: 'json',
      });
      await expect(text).toMatchFileSnapshot(file);
    }
  });

  it('Llama 3 style adds <|begin_of_text|>; the words are single tokens', () => {
    const llama = loadTokenizer(llama3Fixture);
    const bos = llama.tokenToId('<|begin_of_text|>')!;
    expect(bos).toBe(llama.vocabSize - 5);
    const { tokens, ids } = llama.encode('The capital of France is Paris');
    expect(tokens).toEqual([
      '<|begin_of_text|>',
      'The',
      'Ġcapital',
      'Ġof',
      'ĠFrance',
      'Ġis',
      'ĠParis',
    ]);
    expect(ids[0]).toBe(bos);
    expect(llama.encode('The capital', { addSpecialTokens: false }).tokens).toEqual([
      'The',
      'Ġcapital',
    ]);
    expect(llama.tokenToId('<|end_of_text|>')).toBe(bos + 1);
    expect(llama.tokenToId('<|eot_id|>')).toBe(bos + 4);
    // Byte-level: any text round-trips, Chinese included.
    const text = 'The capital of 法国 is 巴黎, über.';
    expect(llama.decode(llama.encode(text, { addSpecialTokens: false }).ids)).toBe(text);
    expect(llama.encode('巴黎', { addSpecialTokens: false }).tokens).toHaveLength(1);
  });

  it('Qwen style adds nothing; <|endoftext|> and <|im_end|> follow the regular tokens', () => {
    const qwen = loadTokenizer(qwen2Fixture);
    const { tokens } = qwen.encode('The capital of France is Paris');
    expect(tokens).toEqual(['The', 'Ġcapital', 'Ġof', 'ĠFrance', 'Ġis', 'ĠParis']);
    expect(qwen.tokenToId('<|endoftext|>')).toBe(qwen.vocabSize - 3);
    expect(qwen.tokenToId('<|im_end|>')).toBe(qwen.vocabSize - 1);
    const text = 'Paris 是法国的首都。';
    expect(qwen.decode(qwen.encode(text).ids)).toBe(text);
  });

  it('fills any vocabulary size exactly, special tokens at the family places', () => {
    const cases: [SyntheticTokenizerOptions, Record<string, number>, string[]][] = [
      [{ style: 'gpt2', vocabSize: 3001 }, { '<|endoftext|>': 3000 }, []],
      [
        { style: 'llama3', vocabSize: 3256 },
        {
          '<|begin_of_text|>': 3000,
          '<|end_of_text|>': 3001,
          '<|eot_id|>': 3009,
          '<|reserved_special_token_247|>': 3255,
        },
        ['<|begin_of_text|>'],
      ],
      [
        { style: 'qwen2', vocabSize: 151643 + 10 },
        { '<|endoftext|>': 151643, '<|im_start|>': 151644, '<|im_end|>': 151645 },
        [],
      ],
      [
        { style: 'wordpiece', vocabSize: 6000 },
        { '[PAD]': 0, '[UNK]': 100, '[CLS]': 101, '[SEP]': 102, '[MASK]': 103 },
        ['[CLS]', '[SEP]'],
      ],
      [
        { style: 'unigram', vocabSize: 9000 },
        { '<s>': 0, '<pad>': 1, '</s>': 2, '<unk>': 3, '<mask>': 8999 },
        ['<s>', '</s>'],
      ],
    ];
    for (const [options, specials, added] of cases) {
      const built = syntheticTokenizer(options);
      const tokenizer = loadTokenizer(built.tokenizer, built.tokenizerConfig);
      expect(tokenizer.vocabSize, options.style).toBe(options.vocabSize);
      for (const [token, id] of Object.entries(specials)) {
        expect(tokenizer.tokenToId(token), token).toBe(id);
        expect(tokenizer.idToToken(id), token).toBe(token);
      }
      const withSpecials = tokenizer.encode('The capital is Paris.').tokens;
      const plain = tokenizer.encode('The capital is Paris.', { addSpecialTokens: false }).tokens;
      expect(
        withSpecials.filter((t) => !plain.includes(t)),
        options.style,
      ).toEqual(added);
      expect(new Set(Object.values(built.specialIds)).size).toBe(
        Object.keys(built.specialIds).length,
      );
    }
  });

  it('refuses a vocabulary too small for its words', () => {
    expect(() => syntheticTokenizer({ style: 'gpt2', vocabSize: 258, words: [' Paris'] })).toThrow(
      /too small/,
    );
    expect(() => syntheticTokenizer({ style: 'wordpiece' })).toThrow(/needs a vocabSize/);
  });
});
