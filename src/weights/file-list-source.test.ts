import { describe, expect, it } from 'vitest';
import { loadCheckpoint } from './checkpoint';
import { ModelSourceError } from './errors';
import { readJsonFile } from './files';
import { FileListSource } from './file-list-source';
import { writeSafetensors } from './safetensors';

/** A File as `<input webkitdirectory>` gives it: webkitRelativePath holds the folder path. */
function picked(path: string, content: BlobPart): File {
  const file = new File([content], path.split('/').at(-1)!);
  Object.defineProperty(file, 'webkitRelativePath', { value: path });
  return file;
}

const weights = writeSafetensors({ w: { dims: [2], data: new Float32Array([1, 2]) } });

describe('FileListSource', () => {
  it('strips the picked folder name and reads files', async () => {
    const source = new FileListSource([
      picked('my-model/config.json', '{"model_type":"bert"}'),
      picked('my-model/model.safetensors', new Blob([weights.slice()])),
      picked('my-model/onnx/model.onnx', 'x'),
    ]);
    expect(source.id).toBe('local:my-model');
    expect(await source.has('config.json')).toBe(true);
    expect(await source.has('onnx/model.onnx')).toBe(true);
    expect(await source.has('my-model/config.json')).toBe(false);
    expect(await readJsonFile(source, 'config.json')).toEqual({ model_type: 'bert' });
    const got: number[] = [];
    await loadCheckpoint(source, (_, t) => void got.push(...t.data));
    expect(got).toEqual([1, 2]);
  });

  it('takes dropped files by name, and an explicit id', async () => {
    const source = new FileListSource(
      [new File(['{}'], 'config.json'), new File(['{}'], 'tokenizer.json')],
      {
        id: 'dropped',
      },
    );
    expect(source.id).toBe('dropped');
    expect(await source.has('tokenizer.json')).toBe(true);
    expect(new FileListSource([new File(['{}'], 'config.json')]).id).toBe('local:files');
  });

  it('explains empty picks, duplicates and missing files', async () => {
    expect(() => new FileListSource([])).toThrow(
      'No files were picked; pick the model folder (with config.json, tokenizer.json and model.safetensors).',
    );
    expect(
      () => new FileListSource([new File(['a'], 'config.json'), new File(['b'], 'config.json')]),
    ).toThrow('Two picked files are both named "config.json"; pick the files of one model only.');
    const source = new FileListSource([picked('m/config.json', '{}')]);
    await expect(source.open('model.safetensors')).rejects.toThrow(ModelSourceError);
    await expect(source.open('model.safetensors')).rejects.toThrow(
      'model.safetensors is not among the picked files of "local:m"; pick the whole model folder ' +
        '(with config.json, tokenizer.json and model.safetensors).',
    );
  });
});
