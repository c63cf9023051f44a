import { ModelSourceError } from './errors';
import { bytesFile, checkFileName } from './files';
import type { ModelFile, ModelSource } from './types';

/**
 * A model held in memory (generated models, tests): file name -> bytes or text. Streams in
 * chunks of `chunkSize` bytes.
 */
export class MemorySource implements ModelSource {
  private readonly files = new Map<string, Uint8Array>();

  constructor(
    readonly id: string,
    files: Record<string, Uint8Array | string>,
    private readonly chunkSize = 64 * 1024,
  ) {
    for (const [name, content] of Object.entries(files)) {
      checkFileName(name, `model "${id}"`);
      this.files.set(
        name,
        typeof content === 'string' ? new TextEncoder().encode(content) : content,
      );
    }
  }

  async has(name: string): Promise<boolean> {
    return this.files.has(name);
  }

  async open(name: string): Promise<ModelFile> {
    const bytes = this.files.get(name);
    if (!bytes) {
      throw new ModelSourceError(
        `${name} is not a file of the in-memory model "${this.id}"; add it to the model's files.`,
        name,
      );
    }
    return bytesFile(name, bytes, this.chunkSize);
  }
}
