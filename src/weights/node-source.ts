import { open, stat, type FileHandle } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { ModelSourceError } from './errors';
import { checkFileName } from './files';
import type { ModelFile, ModelSource } from './types';

/**
 * A model folder on disk (Node only: scripts, tests, benchmarks). Files stream in chunks of
 * `chunkBytes`, read only as they are pulled.
 */
export class NodeFolderSource implements ModelSource {
  readonly id: string;
  private readonly folder: string;
  private readonly chunkBytes: number;

  constructor(folderPath: string, opts: { chunkBytes?: number } = {}) {
    this.folder = resolve(folderPath);
    this.id = this.folder;
    this.chunkBytes = opts.chunkBytes ?? 1 << 20;
  }

  async has(name: string): Promise<boolean> {
    try {
      return (await stat(this.path(name))).isFile();
    } catch {
      return false;
    }
  }

  async open(name: string): Promise<ModelFile> {
    const path = this.path(name);
    let size: number;
    try {
      const info = await stat(path);
      if (!info.isFile()) throw new Error('not a file');
      size = info.size;
    } catch {
      throw new ModelSourceError(
        `${name} was not found in the model folder ${this.folder}; check the folder path, or ` +
          `download the file into it.`,
        name,
      );
    }
    return {
      name,
      size,
      stream: () => fileStream(path, this.chunkBytes),
      slice: async (start, end) => {
        const length = Math.max(0, Math.min(end, size) - start);
        const buffer = new Uint8Array(length);
        const handle = await open(path, 'r');
        try {
          let done = 0;
          while (done < length) {
            const { bytesRead } = await handle.read(buffer, done, length - done, start + done);
            if (bytesRead === 0) break;
            done += bytesRead;
          }
          return buffer.subarray(0, done);
        } finally {
          await handle.close();
        }
      },
    };
  }

  private path(name: string): string {
    checkFileName(name, `the model folder ${this.folder}`);
    return this.folder + sep + name.split(/[/\\]/).join(sep);
  }
}

/**
 * The file as a web stream that reads a chunk only when one is pulled. (Readable.toWeb counts
 * its high-water mark in chunks, not bytes, and so reads whole checkpoints ahead into memory.)
 */
function fileStream(path: string, chunkBytes: number): ReadableStream<Uint8Array> {
  let handle: FileHandle | undefined;
  let position = 0;
  const close = async () => {
    await handle?.close();
    handle = undefined;
  };
  return new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        try {
          handle ??= await open(path, 'r');
          const buffer = new Uint8Array(chunkBytes);
          const { bytesRead } = await handle.read(buffer, 0, chunkBytes, position);
          position += bytesRead;
          if (bytesRead > 0) controller.enqueue(buffer.subarray(0, bytesRead));
          else {
            await close();
            controller.close();
          }
        } catch (e) {
          await close();
          controller.error(e);
        }
      },
      cancel: close,
    },
    { highWaterMark: 0 },
  );
}
