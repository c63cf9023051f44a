import { describe, expect, it } from 'vitest';
import { ModelLoadError } from './errors';
import { MAX_JSON_BYTES, readJsonFile } from './files';
import { MemorySource } from './memory-source';
import type { ModelSource } from './types';

const CONFIG = { model_type: 'bert', note: 'é 中 🙂' };

function utf16(text: string, littleEndian: boolean): Uint8Array {
  const out = new Uint8Array(2 + 2 * text.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, 0xfeff, littleEndian);
  for (let i = 0; i < text.length; i++) view.setUint16(2 + 2 * i, text.charCodeAt(i), littleEndian);
  return out;
}

describe('readJsonFile', () => {
  it('reads UTF-8 with or without a byte order mark, and UTF-16 with one', async () => {
    const text = JSON.stringify(CONFIG, null, 2);
    const utf8 = new TextEncoder().encode(text);
    for (const bytes of [
      utf8,
      new Uint8Array([0xef, 0xbb, 0xbf, ...utf8]),
      utf16(text, true),
      utf16(text, false),
    ]) {
      const source = new MemorySource('m', { 'config.json': bytes });
      expect(await readJsonFile(source, 'config.json')).toEqual(CONFIG);
    }
  });

  it('says what to do with a file that is not text', async () => {
    const source = new MemorySource('m', { 'tokenizer.json': new Uint8Array([0x7b, 0xff, 0x7d]) });
    const error = (await readJsonFile(source, 'tokenizer.json').catch((e) => e)) as ModelLoadError;
    expect(error).toBeInstanceOf(ModelLoadError);
    expect(error.file).toBe('tokenizer.json');
    expect(error.message).toBe(
      'tokenizer.json of "m" cannot be read: it is not text in UTF-8, or in UTF-16 with a byte ' +
        'order mark; save it as UTF-8.',
    );
  });

  it('rejects a file too large to be a model JSON file without reading it', async () => {
    const source: ModelSource = {
      id: 'm',
      has: async () => true,
      open: async (name) => ({
        name,
        size: MAX_JSON_BYTES + 1,
        stream: () => {
          throw new Error('read');
        },
        slice: () => Promise.reject(new Error('read')),
      }),
    };
    await expect(readJsonFile(source, 'config.json')).rejects.toThrow(
      `config.json of "m" has ${MAX_JSON_BYTES + 1} bytes, more than the ${MAX_JSON_BYTES} a ` +
        `model's config.json can take; it is not the model's config.json, download it again.`,
    );
  });
});
