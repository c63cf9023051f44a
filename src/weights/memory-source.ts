import { ModelSourceError } from './errors';
import { bytesFile, checkFileName } from './files';
import type { ModelFile, ModelSource } from './types';

export interface MemorySourceOptions {
  /** Bytes per streamed chunk (64 KiB). */
  chunkSize?: number;
  /** Where files not held in memory are read from (none: they are missing). */
  fallback?: ModelSource;
}

/**
 * A model held in memory (generated models, tests): file name -> bytes or text. Streams in
 * chunks of `chunkSize` bytes. With a fallback, it holds a few files of another source that
 * were read already (the engine's identity files), and reads the rest from there.
 */
export class MemorySource implements ModelSource {
  private readonly files = new Map<string, Uint8Array>();
  private readonly chunkSize: number;
  private readonly fallback: ModelSource | undefined;

  constructor(
    readonly id: string,
    files: Record<string, Uint8Array | string>,
    opts: MemorySourceOptions = {},
  ) {
    this.chunkSize = opts.chunkSize ?? 64 * 1024;
    this.fallback = opts.fallback;
    for (const [name, content] of Object.entries(files)) {
      checkFileName(name, `model "${id}"`);
      this.files.set(
        name,
        typeof content === 'string' ? new TextEncoder().encode(content) : content,
      );
    }
  }

  async has(name: string): Promise<boolean> {
    return this.files.has(name) || (!!this.fallback && this.fallback.has(name));
  }

  async open(name: string): Promise<ModelFile> {
    const bytes = this.files.get(name);
    if (!bytes && this.fallback) return this.fallback.open(name);
    if (!bytes) {
      throw new ModelSourceError(
        `${name} is not a file of the in-memory model "${this.id}"; add it to the model's files.`,
        name,
      );
    }
    return bytesFile(name, bytes, this.chunkSize);
  }
}
