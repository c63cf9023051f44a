import { describe, expect, it } from 'vitest';
import { TokenizerError } from './errors';
import bertJson from './fixtures/bert-tokenizer.json';
import gpt2Json from './fixtures/gpt2-tokenizer.json';
import llama3Json from './fixtures/llama3-tokenizer.json';
import qwen2Json from './fixtures/qwen2-tokenizer.json';
import xlmrJson from './fixtures/xlmr-tokenizer.json';
import { loadTokenizer } from './tokenizer';

describe('loadTokenizer: BERT WordPiece', () => {
  const bert = loadTokenizer(bertJson, { tokenizer_class: 'BertTokenizer', do_lower_case: false });

  it('adds [CLS] and [SEP] around the text unless told not to', () => {
    const { ids, tokens } = bert.encode('The capital of France is [MASK].');
    expect(tokens).toEqual([
      '[CLS]',
      'The',
      'capital',
      'of',
      'France',
      'is',
      '[MASK]',
      '.',
      '[SEP]',
    ]);
    expect(ids).toEqual([2, 5, 6, 7, 8, 9, 4, 11, 3]);
    expect(bert.encode('The capital', { addSpecialTokens: false }).tokens).toEqual([
      'The',
      'capital',
    ]);
  });

  it('splits Chinese characters one per token', () => {
    expect(bert.encode('巴黎是法国的首都', { addSpecialTokens: false }).tokens).toEqual([
      '巴',
      '黎',
      '是',
      '法',
      '国',
      '的',
      '首',
      '都',
    ]);
  });

  it('splits CJK ideographs outside the BMP too (library workaround)', () => {
    expect(bert.encode('巴𠀀Par', { addSpecialTokens: false }).tokens).toEqual(['巴', '𠀀', 'Par']);
  });

  it('maps unknown words to [UNK] and splits known ones into word pieces', () => {
    const { ids, tokens } = bert.encode('Xyz Berlin Parisis', { addSpecialTokens: false });
    expect(tokens).toEqual(['[UNK]', 'Ber', '##lin', 'Paris', '##is']);
    expect(ids[0]).toBe(1);
    expect(bert.encode('Xyz', { addSpecialTokens: false }).ids).toEqual([bert.special.unk]);
  });

  it('keeps case (lowercase: false)', () => {
    expect(bert.encode('the The', { addSpecialTokens: false }).ids).toEqual([26, 5]);
  });

  it('decodes word pieces back to text', () => {
    expect(bert.decode([5, 6, 7, 8, 9, 10, 11])).toBe('The capital of France is Paris.');
    expect(bert.decode([20, 21])).toBe('Berlin');
    expect(bert.decode([])).toBe('');
  });

  it('finds the special tokens from added tokens and the template', () => {
    // [CLS] is also the sequence's first token, its bos in the post-processor's sense.
    expect(bert.special).toEqual({ mask: 4, cls: 2, sep: 3, bos: 2, pad: 0, unk: 1 });
    expect(bert.maskToken).toBe('[MASK]');
    expect(bert.vocabSize).toBe(28);
    expect(bert.idToToken(8)).toBe('France');
    expect(bert.idToToken(999)).toBeUndefined();
    expect(bert.idToToken(-1)).toBeUndefined();
    expect(bert.tokenToId('Paris')).toBe(10);
    expect(bert.tokenToId('nope')).toBeUndefined();
  });
});

describe('loadTokenizer: GPT-2 byte-level BPE', () => {
  const gpt2 = loadTokenizer(gpt2Json, {
    bos_token: '<|endoftext|>',
    eos_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
  });

  it('applies merges with the space marker and adds no special tokens', () => {
    const { ids, tokens } = gpt2.encode('The Paris');
    expect(tokens).toEqual(['The', 'ĠParis']);
    expect(ids).toEqual([262, 260]);
    expect(gpt2.encode('Paris').tokens).toEqual(['P', 'ar', 'is']);
  });

  it('encodes any text as bytes and decodes it back', () => {
    const text = 'Paris, 東京 and Zürich';
    const { ids, tokens } = gpt2.encode(text);
    expect(tokens.slice(3, 8)).toEqual([',', 'Ġ', 'æ', 'Ŀ', '±']); // "東" is three bytes: E6 9D B1
    expect(gpt2.decode(ids)).toBe(text);
  });

  it('recognises <|endoftext|> in text and as eos; no bos, which GPT-2 does not add', () => {
    expect(gpt2.encode('The<|endoftext|>').ids).toEqual([262, 265]);
    expect(gpt2.special).toEqual({ eos: 265, unk: 265 });
    expect(gpt2.maskToken).toBeUndefined();
    expect(gpt2.vocabSize).toBe(266);
  });

  it('finds eos by name without tokenizer_config.json', () => {
    expect(loadTokenizer(gpt2Json).special).toEqual({ eos: 265 });
  });
});

describe('loadTokenizer: XLM-R SentencePiece', () => {
  it('finds <s>, </s> and <mask> from RobertaProcessing and added tokens', () => {
    const xlmr = loadTokenizer(xlmrJson);
    expect(xlmr.special).toEqual({ mask: 16, cls: 0, sep: 2, bos: 0, eos: 2, pad: 1, unk: 3 });
    expect(xlmr.maskToken).toBe('<mask>');
    const { ids, tokens } = xlmr.encode('Paris is <mask>.');
    expect(tokens.slice(0, 4)).toEqual(['<s>', '▁Paris', '▁is', '<mask>']);
    expect(ids.at(-1)).toBe(2);
  });

  it('prefers the tokens tokenizer_config.json names, in either format', () => {
    const xlmr = loadTokenizer(xlmrJson, {
      mask_token: { __type: 'AddedToken', content: '<pad>', lstrip: true },
      cls_token: '</s>',
    });
    expect(xlmr.special.mask).toBe(1);
    expect(xlmr.maskToken).toBe('<pad>');
    expect(xlmr.special.cls).toBe(2);
  });
});

describe('loadTokenizer: Llama 3 and Qwen byte-level BPE', () => {
  it('Llama 3: bos is the <|begin_of_text|> the post-processor adds; eos <|end_of_text|>', () => {
    const llama = loadTokenizer(llama3Json);
    expect(llama.special).toEqual({ bos: 308, eos: 309 });
    expect(llama.encode('Paris').ids[0]).toBe(308);
    expect(llama.encode('Paris', { addSpecialTokens: false }).ids).not.toContain(308);
  });

  it('Llama 3 Instruct: eos follows tokenizer_config.json (<|eot_id|>), else config.json', () => {
    expect(loadTokenizer(llama3Json, { eos_token: '<|eot_id|>' }).special.eos).toBe(312);
    // config.json's eos_token_id, when tokenizer_config.json says nothing.
    expect(loadTokenizer(llama3Json, {}, { eosTokenId: 312 }).special.eos).toBe(312);
    expect(
      loadTokenizer(llama3Json, { eos_token: '<|end_of_text|>' }, { eosTokenId: 312 }).special.eos,
    ).toBe(309);
    // An id the vocabulary lacks falls through to the names.
    expect(loadTokenizer(llama3Json, {}, { eosTokenId: 99999 }).special.eos).toBe(309);
  });

  it('Qwen: no bos (the post-processor adds none, bos_token is null); eos <|endoftext|>', () => {
    const qwen = loadTokenizer(qwen2Json, { bos_token: null, eos_token: '<|endoftext|>' });
    expect(qwen.special).toEqual({ eos: 308 });
    expect(loadTokenizer(qwen2Json).special).toEqual({ eos: 308 });
    expect(qwen.encode('Paris').ids).toEqual(qwen.encode('Paris', { addSpecialTokens: false }).ids);
    // Qwen3 and the instruct models end a turn with <|im_end|>.
    expect(loadTokenizer(qwen2Json, { eos_token: '<|im_end|>' }).special.eos).toBe(310);
  });
});

describe('loadTokenizer: invalid files', () => {
  it('rejects files that are not tokenizer.json', () => {
    expect(() => loadTokenizer({ vocab: {} })).toThrow(
      'tokenizer.json is not a Hugging Face tokenizers file (it has no "model" object); download it ' +
        'again, or re-save the tokenizer with transformers (tokenizer.save_pretrained).',
    );
    expect(() => loadTokenizer(bertJson, 'x')).toThrow(TokenizerError);
  });

  it('reports model types the library does not know', () => {
    expect(() => loadTokenizer({ model: { type: 'Mystery' } })).toThrow(
      /^tokenizer\.json cannot be used: Unknown TokenizerModel type: Mystery;/,
    );
  });

  it('accepts files without the optional sections', () => {
    const minimal = loadTokenizer({ model: bertJson.model });
    expect(minimal.encode('Paris').tokens).toEqual(['Paris']);
    expect(minimal.special.unk).toBe(1); // from model.unk_token
  });

  it('reports tokens it cannot map when the model has no unknown token', () => {
    const noUnk = loadTokenizer({ ...bertJson, model: { ...bertJson.model, unk_token: '<none>' } });
    expect(() => noUnk.encode('Xyz', { addSpecialTokens: false })).toThrow(
      'tokenizer.json has no id for token "<none>" and no unknown token to fall back on; the ' +
        'vocabulary is incomplete, download tokenizer.json again.',
    );
  });
});
