import { describe, expect, it } from 'vitest';
import { applyMerges, compareCodePoints, learnMerges, type WordCount } from './tokenizer-train';

const chars = (word: string, count: number): WordCount => ({ symbols: Array.from(word), count });

describe('learnMerges', () => {
  it('reproduces the tokenizers crate BpeTrainer test (min_frequency 2)', () => {
    // tokenizers/src/models/bpe/trainer.rs, test_train: the merges are "re", "are", "is".
    const words = [
      chars('roses', 1),
      chars('are', 2),
      chars('red', 1),
      chars('voilets', 1),
      chars('blue', 1),
      chars('BERT', 1),
      chars('is', 2),
      chars('big', 1),
      chars('and', 1),
      chars('so', 1),
      chars('GPT-2', 1),
    ];
    const merges = learnMerges(words, {
      maxNewTokens: 100,
      minFrequency: 2,
      continuingPrefix: '',
      known: new Set(),
    });
    expect(merges.map((m) => m.token)).toEqual(['re', 'are', 'is']);
    expect(words[1].symbols).toEqual(['are']);
    expect(words[2].symbols).toEqual(['re', 'd']);
  });

  it('breaks ties between equally frequent pairs by code point order', () => {
    const merges = learnMerges([chars('zy', 1), chars('ab', 1), chars('ac', 1)], {
      maxNewTokens: 100,
      minFrequency: 1,
      continuingPrefix: '',
      known: new Set(),
    });
    expect(merges.map((m) => [m.left, m.right])).toEqual([
      ['a', 'b'],
      ['a', 'c'],
      ['z', 'y'],
    ]);
  });

  it('drops the continuing prefix of the right part, as WordPiece training does', () => {
    const word = (w: string, count: number): WordCount => ({
      symbols: Array.from(w).map((c, i) => (i === 0 ? c : `##${c}`)),
      count,
    });
    const merges = learnMerges([word('paris', 3), word('aris', 2)], {
      maxNewTokens: 100,
      minFrequency: 2,
      continuingPrefix: '##',
      known: new Set(),
    });
    const tokens = merges.map((m) => m.token);
    expect(tokens).toContain('##ris');
    expect(tokens).toContain('paris');
    expect(tokens.every((t) => !t.includes('##', 1))).toBe(true);
  });

  it('stops after maxNewTokens new tokens; known tokens are free', () => {
    const words = () => [chars('abcd', 5)];
    const all = learnMerges(words(), {
      maxNewTokens: 100,
      minFrequency: 1,
      continuingPrefix: '',
      known: new Set(),
    });
    expect(all.map((m) => m.token)).toEqual(['ab', 'abc', 'abcd']);
    const two = learnMerges(words(), {
      maxNewTokens: 2,
      minFrequency: 1,
      continuingPrefix: '',
      known: new Set(),
    });
    expect(two).toHaveLength(2);
    const withKnown = learnMerges(words(), {
      maxNewTokens: 2,
      minFrequency: 1,
      continuingPrefix: '',
      known: new Set(['ab']),
    });
    expect(withKnown).toHaveLength(3);
  });
});

describe('applyMerges', () => {
  it('merges the lowest-ranked pair first, leftmost among equals', () => {
    const merges = [
      { left: 'a', right: 'a', token: 'aa' },
      { left: 'aa', right: 'a', token: 'aaa' },
    ];
    expect(applyMerges(['a', 'a', 'a'], merges)).toEqual(['aaa']);
    expect(applyMerges(['a', 'a', 'a', 'a'], merges.slice(0, 1))).toEqual(['aa', 'aa']);
    expect(applyMerges(['b', 'a', 'a'], [])).toEqual(['b', 'a', 'a']);
  });
});

describe('compareCodePoints', () => {
  it('orders by code point, not UTF-16 unit', () => {
    expect(compareCodePoints('\u{20000}', '\uffff')).toBeGreaterThan(0);
    expect('\u{20000}' < '\uffff').toBe(true); // what plain string comparison would say
    expect(compareCodePoints('ab', 'abc')).toBeLessThan(0);
    expect(compareCodePoints('b', 'abc')).toBeGreaterThan(0);
    expect(compareCodePoints('国', '国')).toBe(0);
  });
});
