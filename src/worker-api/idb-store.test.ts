import { describe, expect, it } from 'vitest';
import { prefixEnd } from './idb-store';

describe('prefixEnd (IndexedDB key ranges)', () => {
  it('is the least string above every string with the prefix', () => {
    expect(prefixEnd('kn/v1/')).toBe('kn/v10');
    expect(prefixEnd('a\uffff')).toBe('b');
    expect(prefixEnd('')).toBeNull();
    expect(prefixEnd('\uffff\uffff')).toBeNull();
    for (const key of ['kn/v1/', 'kn/v1/x', 'kn/v1/\uffff\uffff'])
      expect(key < prefixEnd('kn/v1/')!).toBe(true);
    expect('kn/v10' < prefixEnd('kn/v1/')!).toBe(false);
  });
});
