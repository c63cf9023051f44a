/**
 * Fuzzing the safetensors reader: files from writeSafetensors read back to the same tensors and
 * metadata; valid files with flipped, cut, inserted or repeated bytes, headers with mutated
 * JSON, lying file sizes and random bytes fail only with SafetensorsError, and whatever is read
 * is consistent. 10,000 inputs in all (tests/util/fuzz.ts: FUZZ_SEED, FUZZ_SCALE).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  PROTO_KEYS,
  expectNoPollution,
  expectOwnError,
  fuzz,
  fuzzAsync,
  mutatedBytes,
  mutatedJson,
} from '../../tests/util/fuzz';
import { INDEX_FILE, loadCheckpoint } from './checkpoint';
import { ModelLoadError, SafetensorsError } from './errors';
import { bytesFile } from './files';
import { MemorySource } from './memory-source';
import {
  type WeightDtype,
  type WritableTensor,
  parseSafetensorsHeader,
  readSafetensors,
  writeSafetensors,
} from './safetensors';
import type { HostTensor } from './types';

const name = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 10 }), fc.constantFrom(...PROTO_KEYS))
  .filter((n) => n !== '__metadata__');

const tensor: fc.Arbitrary<WritableTensor & { dtype: WeightDtype }> = fc
  .tuple(
    fc.constantFrom<WeightDtype>('F32', 'F16', 'BF16'),
    fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
  )
  .chain(([dtype, dims]) => {
    const n = dims.reduce((a, d) => a * d, 1);
    return fc.float32Array({ minLength: n, maxLength: n }).map((data) => ({ dtype, dims, data }));
  });

const checkpoint = fc.record({
  tensors: fc.dictionary(name, tensor, { maxKeys: 5 }),
  metadata: fc.option(fc.dictionary(name, fc.string({ unit: 'binary', maxLength: 8 })), {
    nil: undefined,
  }),
});

const validFile = checkpoint.map(({ tensors, metadata }) => writeSafetensors(tensors, metadata));

/** Reads every tensor of `bytes` in chunks of `chunk` bytes. */
async function readAll(bytes: Uint8Array, chunk: number) {
  const got = new Map<string, HostTensor>();
  const stats = await readSafetensors(bytesFile('model.safetensors', bytes, chunk), (n, t) => {
    got.set(n, t);
  });
  return { got, stats };
}

/** Reads `bytes` as a checkpoint: fine, or a SafetensorsError; what is read is consistent. */
async function readOrReject(bytes: Uint8Array, chunk: number): Promise<void> {
  try {
    const header = parseSafetensorsHeader(bytes, bytes.length, 'model.safetensors');
    for (const t of header.tensors) {
      expect(t.end).toBeLessThanOrEqual(bytes.length - header.dataStart);
    }
    const { got } = await readAll(bytes, chunk);
    for (const t of got.values()) {
      expect(t.data.length).toBe(t.dims.reduce((a, d) => a * d, 1));
    }
  } catch (e) {
    expectOwnError(e, [SafetensorsError]);
  }
  expectNoPollution();
}

/** The file with its header JSON replaced (and its length field fixed). */
function withHeader(bytes: Uint8Array, header: unknown): Uint8Array {
  const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const json = new TextEncoder().encode(JSON.stringify(header) ?? '');
  const out = new Uint8Array(8 + json.length + bytes.length - 8 - n);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(bytes.subarray(8 + n), 8 + json.length);
  return out;
}

const headerOf = (bytes: Uint8Array) =>
  JSON.parse(
    new TextDecoder().decode(
      bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))),
    ),
  ) as unknown;

const chunk = fc.integer({ min: 1, max: 64 });

describe('safetensors reader under fuzzing', () => {
  it('reads back what writeSafetensors wrote: names, metadata, values', async () => {
    await fuzzAsync(
      fc.asyncProperty(checkpoint, chunk, async ({ tensors, metadata }, size) => {
        const bytes = writeSafetensors(tensors, metadata);
        const { got, stats } = await readAll(bytes, size);
        expect(stats.metadata).toEqual(metadata ?? {});
        expect([...got.keys()].sort()).toEqual(Object.keys(tensors).sort());
        // float32 values come back bit for bit; 16-bit ones are rounded once and then stable.
        const again = Object.fromEntries(
          [...got].map(([n, t]) => [n, { ...t, dtype: tensors[n].dtype }]),
        );
        expect(writeSafetensors(again, metadata)).toEqual(bytes);
        for (const [n, t] of got) {
          expect(t.dims).toEqual(tensors[n].dims);
          if (tensors[n].dtype === 'F32')
            expect(new Uint8Array(t.data.buffer)).toEqual(new Uint8Array(tensors[n].data.buffer));
        }
        expectNoPollution();
      }),
      2000,
    );
  });

  it('reject damaged files only with SafetensorsError', async () => {
    await fuzzAsync(fc.asyncProperty(mutatedBytes(validFile), chunk, readOrReject), 3000);
  });

  it('reject mutated headers only with SafetensorsError', async () => {
    const mutated = validFile.chain((bytes) =>
      mutatedJson(fc.constant(headerOf(bytes))).map((h) => withHeader(bytes, h)),
    );
    await fuzzAsync(fc.asyncProperty(mutated, chunk, readOrReject), 2500);
  });

  it('reject a file size that disagrees with the bytes only with SafetensorsError', () => {
    fuzz(
      fc.property(validFile, fc.nat(), fc.boolean(), (bytes, size, smaller) => {
        const fileSize = smaller ? size % (bytes.length + 1) : bytes.length + size;
        try {
          parseSafetensorsHeader(bytes, fileSize, 'model.safetensors');
        } catch (e) {
          expectOwnError(e, [SafetensorsError]);
        }
      }),
      1000,
    );
  });

  it('reject random bytes only with SafetensorsError', async () => {
    const lengthField = fc.bigInt({ min: 0n, max: 300n }).map((n) => {
      const b = new Uint8Array(8);
      new DataView(b.buffer).setBigUint64(0, n, true);
      return b;
    });
    const random = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc
        .tuple(lengthField, fc.uint8Array({ maxLength: 300 }))
        .map(([head, rest]) => new Uint8Array([...head, ...rest])),
      fc
        .tuple(lengthField, fc.json({ maxDepth: 4 }), fc.uint8Array({ maxLength: 64 }))
        .map(([, json, rest]) => {
          const text = new TextEncoder().encode(json);
          const head = new Uint8Array(8);
          new DataView(head.buffer).setBigUint64(0, BigInt(text.length), true);
          return new Uint8Array([...head, ...text, ...rest]);
        }),
    );
    await fuzzAsync(fc.asyncProperty(random, chunk, readOrReject), 1500);
  });

  it('reject sharded checkpoints with a mutated index only with the weights layer errors', async () => {
    const shards = fc.array(checkpoint, { minLength: 1, maxLength: 3 }).map((list) =>
      list.map(({ tensors, metadata }, i) => ({
        name: `model-0000${i + 1}-of-0000${list.length}.safetensors`,
        bytes: writeSafetensors(tensors, metadata),
        tensors: Object.keys(tensors),
      })),
    );
    const folder = shards.chain((files) => {
      const weightMap: Record<string, string> = {};
      for (const f of files)
        for (const t of f.tensors)
          Object.defineProperty(weightMap, t, { value: f.name, enumerable: true, writable: true });
      const index = { metadata: { total_size: 1 }, weight_map: weightMap };
      return mutatedJson(fc.constant(index)).map((mutated) => ({
        [INDEX_FILE]: JSON.stringify(mutated) ?? '',
        ...Object.fromEntries(files.map((f) => [f.name, f.bytes])),
      }));
    });
    await fuzzAsync(
      fc.asyncProperty(folder, async (files) => {
        try {
          await loadCheckpoint(new MemorySource('m', files, { chunkSize: 7 }), () => {});
        } catch (e) {
          expectOwnError(e, [ModelLoadError]);
        }
        expectNoPollution();
      }),
      1000,
    );
  });
});
