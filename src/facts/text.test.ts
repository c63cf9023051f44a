import { describe, expect, it } from 'vitest';
import { decodeText, listed, quoted } from './text';

describe('decodeText', () => {
  it('decodes by byte order mark, UTF-8 without one, and refuses what is neither', () => {
    const text = 'P36,巴黎 🙂';
    const utf8 = new TextEncoder().encode(text);
    const utf16 = (littleEndian: boolean) => {
      const out = new Uint8Array(2 + 2 * text.length);
      const view = new DataView(out.buffer);
      view.setUint16(0, 0xfeff, littleEndian);
      for (let i = 0; i < text.length; i++)
        view.setUint16(2 + 2 * i, text.charCodeAt(i), littleEndian);
      return out;
    };
    expect(decodeText(utf8)).toBe(text);
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, ...utf8]))).toBe(text);
    expect(decodeText(utf16(true))).toBe(text);
    expect(decodeText(utf16(false))).toBe(text);
    expect(decodeText(new Uint8Array([0x61, 0xe9, 0x62]))).toBeUndefined(); // Latin-1
    expect(decodeText(new Uint8Array([0xff, 0xfe, 0x61]))).toBeUndefined(); // odd UTF-16
    expect(decodeText(new Uint8Array(0))).toBe('');
  });
});

describe('quoted', () => {
  it('quotes values as JSON, cut short, and survives nesting JSON.stringify cannot', () => {
    expect(quoted('a"b')).toBe('"a\\"b"');
    expect(quoted(undefined)).toBe('undefined');
    expect(quoted([1, 2])).toBe('[1,2]');
    expect(quoted('x'.repeat(50), 10)).toBe(`"${'x'.repeat(9)}…`);
    const deep = JSON.parse('['.repeat(20000) + ']'.repeat(20000)) as unknown;
    expect(quoted(deep)).toBe('[a deeply nested list]');
    expect(quoted({ a: deep })).toBe('{a deeply nested object}');
  });

  it('lists the first items and counts the rest', () => {
    expect(listed(['a', 'b'])).toBe('a, b');
    expect(listed(['a', 'b', 'c', 'd'], 2)).toBe('a, b and 2 more');
  });
});
