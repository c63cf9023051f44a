import { NOT_TEXT, decodeText, quoted } from '../facts/text';
import { ModelLoadError, ModelSourceError } from './errors';
import type { ModelFile, ModelSource } from './types';

/** A ModelFile over a Blob (a picked File, or a Cache Storage response): nothing is read up front. */
export function blobFile(name: string, blob: Blob): ModelFile {
  return {
    name,
    size: blob.size,
    stream: () => blob.stream(),
    slice: async (start, end) => new Uint8Array(await blob.slice(start, end).arrayBuffer()),
  };
}

/** A ModelFile over bytes in memory, streamed in chunks of `chunkSize` as they are pulled. */
export function bytesFile(name: string, bytes: Uint8Array, chunkSize = 64 * 1024): ModelFile {
  return {
    name,
    size: bytes.length,
    stream: () => {
      let pos = 0;
      return new ReadableStream<Uint8Array>(
        {
          pull(controller) {
            if (pos >= bytes.length) {
              controller.close();
              return;
            }
            controller.enqueue(bytes.slice(pos, pos + chunkSize));
            pos += chunkSize;
          },
        },
        // Pull only when read: the stream itself holds no chunk ahead of the reader.
        { highWaterMark: 0 },
      );
    },
    slice: async (start, end) => bytes.slice(start, end),
  };
}

/**
 * Rejects file names that could leave the model folder ("../x", "/etc/x", "a//b") and names no
 * file system has (a part longer than 255 characters): names come from untrusted files such
 * as a shard index.
 */
export function checkFileName(name: string, where: string): void {
  const parts = name.split(/[/\\]/);
  if (
    name.length === 0 ||
    parts.some((p) => p === '' || p === '.' || p === '..' || p.length > 255)
  ) {
    throw new ModelSourceError(
      `${quoted(name)} is not a valid file name inside ${where}: names must be relative paths ` +
        `without "." or ".." parts, of at most 255 characters each; check the file that ` +
        `refers to it.`,
      name,
    );
  }
}

/**
 * The largest JSON file of a model folder read: the largest published tokenizer.json files take
 * about 35 MB, and a bigger file would take gigabytes once parsed.
 */
export const MAX_JSON_BYTES = 64 * 1024 * 1024;

/** Reads a whole (small) file of a source as JSON, in UTF-8 or with a byte order mark. */
export async function readJsonFile(source: ModelSource, name: string): Promise<unknown> {
  const file = await source.open(name);
  if (file.size > MAX_JSON_BYTES) {
    throw new ModelLoadError(
      `${name} of "${source.id}" has ${file.size} bytes, more than the ${MAX_JSON_BYTES} a ` +
        `model's ${name} can take; it is not the model's ${name}, download it again.`,
      name,
    );
  }
  const text = decodeText(await file.slice(0, file.size));
  if (text === undefined) {
    throw new ModelLoadError(`${name} of "${source.id}" cannot be read: ${NOT_TEXT}.`, name);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelLoadError(
      `${name} of "${source.id}" is not valid JSON (${(e as Error).message}); download it again.`,
      name,
    );
  }
}
