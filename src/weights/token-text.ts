/**
 * A single token as people read it. Vocabulary entries are written in the tokenizer's own
 * alphabet: byte-level BPE (GPT-2, mGPT, Qwen, Llama 3) maps every byte to a printable character,
 * so " Berlin" is stored as "ĠB" + "erlin" and 柏林 as "æŁıæŀĹ"; SentencePiece writes a space as
 * "▁". The tokenizer's decoder turns an entry back into text. A byte-level token that holds part
 * of a character (the first byte of 柏) decodes to U+FFFD; such tokens are shown by their bytes.
 */
import type { ModelTokenizer } from './tokenizer';

/**
 * GPT-2's bytes_to_unicode: printable Latin-1 bytes stand for themselves, the other 68 bytes are
 * shifted to U+0100 and up, in byte order. Its inverse reads a byte-level entry back into bytes.
 */
function byteLevelAlphabet(): Map<string, number> {
  const printable = (b: number) =>
    (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
  const map = new Map<string, number>();
  let shifted = 0;
  for (let b = 0; b < 256; b++)
    map.set(String.fromCodePoint(printable(b) ? b : 256 + shifted++), b);
  return map;
}

let alphabet: Map<string, number> | undefined;

/** The bytes a byte-level BPE entry stands for, or undefined when it is not one. */
export function byteLevelBytes(entry: string): Uint8Array | undefined {
  alphabet ??= byteLevelAlphabet();
  const bytes: number[] = [];
  for (const ch of entry) {
    const b = alphabet.get(ch);
    if (b === undefined) return undefined;
    bytes.push(b);
  }
  return bytes.length ? Uint8Array.from(bytes) : undefined;
}

const hex = (b: number) => `<${b.toString(16).toUpperCase().padStart(2, '0')}>`;

/**
 * Bytes as text: every complete UTF-8 character as itself, every byte of an incomplete or invalid
 * sequence as <E6>, so a token holding half of 柏 reads "<E6><9F>".
 */
export function bytesText(bytes: Uint8Array): string {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i];
    const length = b < 0x80 ? 1 : b >= 0xf0 && b < 0xf8 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 0;
    if (length > 0 && i + length <= bytes.length) {
      try {
        out += decoder.decode(bytes.subarray(i, i + length));
        i += length;
        continue;
      } catch {
        // not a valid sequence: fall through to the byte
      }
    }
    out += hex(b);
    i++;
  }
  return out;
}

/**
 * The token with this id as text, for display: the decoder's text (" B", "erlin", "柏林",
 * "##erlin" in WordPiece, whose decoder keeps the continuation mark on a lone token), or its
 * bytes where it holds part of a character; the vocabulary entry where nothing decodes.
 */
export function tokenText(tokenizer: ModelTokenizer, id: number): string {
  const entry = tokenizer.idToToken(id);
  if (entry === undefined) return String(id);
  let text: string;
  try {
    text = tokenizer.decode([id]);
  } catch {
    return entry;
  }
  if (text.includes('\uFFFD') && !entry.includes('\uFFFD')) {
    const bytes = byteLevelBytes(entry);
    if (bytes) return bytesText(bytes);
  }
  return text === '' ? entry : text;
}
