import { describe, expect, it } from 'vitest';
import { factUuid, sample, seededRandom, uuidV5 } from './ids';
import { cleanName, firstClean, foldName } from './names';

describe('cleanName', () => {
  it('normalises spacing and the English ampersand', () => {
    expect(cleanName('  Trinidad &  Tobago Dollar ', 'en')).toBe('Trinidad and Tobago Dollar');
    expect(cleanName('Cabo Verde', 'en')).toBe('Cabo Verde');
    expect(cleanName('e\u0301', 'en')).toBe('é');
  });

  it('rejects empty, parenthesised and non-Chinese names', () => {
    expect(cleanName(undefined, 'en')).toBeUndefined();
    expect(cleanName(' ', 'en')).toBeUndefined();
    expect(cleanName('Myanmar (Burma)', 'en')).toBeUndefined();
    expect(cleanName('刚果（金）', 'zh')).toBeUndefined();
    expect(cleanName('XKD', 'zh')).toBeUndefined();
    expect(cleanName('刚果民主共和国', 'zh')).toBe('刚果民主共和国');
  });

  it('takes the first usable candidate', () => {
    expect(firstClean(['刚果（金）', '刚果民主共和国'], 'zh')).toBe('刚果民主共和国');
    expect(firstClean([undefined, '(x)'], 'en')).toBeUndefined();
  });

  it('folds case and diacritics', () => {
    expect(foldName('Bogotá')).toBe(foldName('bogota'));
  });
});

describe('ids', () => {
  it('computes RFC 4122 version 5 UUIDs', () => {
    // The RFC's DNS namespace example as reproduced by Python's uuid.uuid5.
    expect(uuidV5('python.org', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe(
      '886313e1-3b8a-5372-9b90-0c9aee199e5d',
    );
  });

  it('derives a fact id from relation and codes only', () => {
    expect(factUuid('P36', 'FR', 'Europe/Paris')).toBe(factUuid('P36', 'FR', 'Europe/Paris'));
    expect(factUuid('P36', 'FR', 'Europe/Paris')).not.toBe(factUuid('P1376', 'FR', 'Europe/Paris'));
  });

  it('samples deterministically without replacement', () => {
    const items = Array.from({ length: 20 }, (_, i) => i);
    const a = sample(items, 5, seededRandom('s'));
    expect(sample(items, 5, seededRandom('s'))).toEqual(a);
    expect(new Set(a).size).toBe(5);
    expect(sample(items, 5, seededRandom('t'))).not.toEqual(a);
    expect(sample([1, 2], 5, seededRandom('s')).sort()).toEqual([1, 2]);
  });
});
