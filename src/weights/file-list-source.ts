import { ModelSourceError } from './errors';
import { blobFile, checkFileName } from './files';
import type { ModelFile, ModelSource } from './types';

/**
 * Files the user picked (`<input webkitdirectory>`) or dropped. A picked folder gives paths like
 * "my-model/config.json"; the common top folder is stripped so names match the model's layout.
 */
export class FileListSource implements ModelSource {
  readonly id: string;
  private readonly files = new Map<string, File>();

  constructor(files: File[] | FileList, opts: { id?: string } = {}) {
    const list = Array.from(files);
    if (list.length === 0) {
      throw new ModelSourceError(
        'No files were picked; pick the model folder (with config.json, tokenizer.json and ' +
          'model.safetensors).',
      );
    }
    const paths = list.map((f) => (f.webkitRelativePath || f.name).replace(/\\/g, '/').split('/'));
    const top = paths[0][0];
    const stripTop = paths.every((p) => p.length > 1 && p[0] === top);
    list.forEach((file, i) => {
      const name = (stripTop ? paths[i].slice(1) : paths[i]).join('/');
      checkFileName(name, 'the picked files');
      if (this.files.has(name)) {
        throw new ModelSourceError(
          `Two picked files are both named "${name}"; pick the files of one model only.`,
          name,
        );
      }
      this.files.set(name, file);
    });
    this.id = opts.id ?? `local:${stripTop ? top : 'files'}`;
  }

  async has(name: string): Promise<boolean> {
    return this.files.has(name);
  }

  async open(name: string): Promise<ModelFile> {
    const file = this.files.get(name);
    if (!file) {
      throw new ModelSourceError(
        `${name} is not among the picked files of "${this.id}"; pick the whole model folder ` +
          `(with config.json, tokenizer.json and model.safetensors).`,
        name,
      );
    }
    return blobFile(name, file);
  }
}
