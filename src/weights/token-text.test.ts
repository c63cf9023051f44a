import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTokenizer } from './tokenizer';
import { byteLevelBytes, bytesText, tokenText } from './token-text';

const demo = (name: string) =>
  loadTokenizer(
    JSON.parse(
      readFileSync(new URL(`../../public/models/${name}/tokenizer.json`, import.meta.url), 'utf8'),
    ),
  );

describe('tokenText', () => {
  it('decodes byte-level BPE tokens: a word start keeps its space, CJK reads as CJK', () => {
    const t = demo('demo-gpt2');
    const enc = t.encode(' Berlin 柏林', { addSpecialTokens: false });
    expect(enc.tokens).toEqual(['ĠB', 'erlin', 'Ġ', 'æŁıæŀĹ']);
    expect(enc.ids.map((id) => tokenText(t, id))).toEqual([' B', 'erlin', ' ', '柏林']);
  });

  it('shows the bytes of a token that holds part of a character', () => {
    // "æ" is byte 0xE6 in GPT-2's alphabet: the first byte of 柏 (E6 9F 8F) alone.
    expect(byteLevelBytes('æ')).toEqual(Uint8Array.of(0xe6));
    expect(bytesText(Uint8Array.of(0xe6, 0x9f))).toBe('<E6><9F>');
    expect(bytesText(Uint8Array.of(0x20, 0xe6, 0x9f, 0x8f, 0xe6))).toBe(' 柏<E6>');
    const fake = {
      idToToken: (id: number) => (id === 1 ? 'Ġæ' : undefined),
      decode: () => ' \uFFFD',
    } as unknown as Parameters<typeof tokenText>[0];
    expect(tokenText(fake, 1)).toBe(' <E6>');
    expect(tokenText(fake, 2)).toBe('2');
  });

  it('keeps WordPiece tokens as the decoder gives them', () => {
    const t = demo('demo-bert');
    const id = t.tokenToId('Paris')!;
    expect(tokenText(t, id)).toBe('Paris');
  });

  it('reads GPT-2 byte-level characters as their bytes', () => {
    for (let b = 0x21; b <= 0x7e; b++)
      expect(byteLevelBytes(String.fromCharCode(b))).toEqual(Uint8Array.of(b));
    // The 68 unprintable bytes are shifted to U+0100 and up, in byte order.
    expect(byteLevelBytes('Ā')).toEqual(Uint8Array.of(0x00));
    expect(byteLevelBytes('Ċ')).toEqual(Uint8Array.of(0x0a));
    expect(byteLevelBytes('Ġ')).toEqual(Uint8Array.of(0x20));
    expect(byteLevelBytes('ġ')).toEqual(Uint8Array.of(0x7f));
    expect(byteLevelBytes('Ń')).toEqual(Uint8Array.of(0xad));
    expect(byteLevelBytes('中')).toBeUndefined();
  });
});
