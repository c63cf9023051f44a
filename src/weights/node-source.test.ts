import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from './checkpoint';
import { ModelSourceError } from './errors';
import { readJsonFile } from './files';
import { folderModelTensors } from './fixtures/folder-model-tensors';
import { NodeFolderSource } from './node-source';
import { writeSafetensors } from './safetensors';

// A committed folder, so this test needs no node: imports (only node-source.ts may have them).
const FOLDER = decodeURIComponent(new URL('./fixtures/folder-model', import.meta.url).pathname);

describe('NodeFolderSource', () => {
  it('answers has() for files only', async () => {
    const source = new NodeFolderSource(FOLDER);
    expect(source.id).toBe(FOLDER);
    expect(await source.has('config.json')).toBe(true);
    expect(await source.has('sub/notes.txt')).toBe(true);
    expect(await source.has('sub')).toBe(false);
    expect(await source.has('tokenizer.json')).toBe(false);
  });

  it('slices files and streams a checkpoint in chunks', async () => {
    const source = new NodeFolderSource(`${FOLDER}/`, { chunkBytes: 1000 });
    expect(await readJsonFile(source, 'config.json')).toMatchObject({ model_type: 'gpt2' });
    const notes = await source.open('sub/notes.txt');
    expect(new TextDecoder().decode(await notes.slice(1, 100))).toBe('ello\n');

    const expected = folderModelTensors();
    const file = await source.open('model.safetensors');
    expect(await file.slice(0, file.size)).toEqual(writeSafetensors(expected));
    const chunks: number[] = [];
    const reader = file.stream().getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value.length);
    expect(chunks.slice(0, -1).every((n) => n === 1000)).toBe(true);
    expect(chunks.reduce((a, b) => a + b)).toBe(file.size);

    const got: Record<string, number[]> = {};
    await loadCheckpoint(source, (name, t) => void (got[name] = Array.from(t.data)));
    expect(got).toEqual({ w: Array.from(expected.w.data), h: Array.from(expected.h.data) });
  });

  it('names the folder when a file is missing, and refuses paths outside it', async () => {
    const source = new NodeFolderSource(FOLDER);
    await expect(source.open('tokenizer.json')).rejects.toThrow(
      `tokenizer.json was not found in the model folder ${FOLDER}; check the folder path, or ` +
        'download the file into it.',
    );
    await expect(source.open('../bert-tokenizer.json')).rejects.toThrow(ModelSourceError);
    await expect(source.has('../bert-tokenizer.json')).resolves.toBe(false);
  });
});
