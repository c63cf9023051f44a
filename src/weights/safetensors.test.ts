import { describe, expect, it } from 'vitest';
import { SafetensorsError } from './errors';
import { bytesFile } from './files';
import {
  MAX_HEADER_BYTES,
  parseSafetensorsHeader,
  readSafetensors,
  readSafetensorsHeader,
  streamTensors,
  writeSafetensors,
  type ReadOptions,
} from './safetensors';
import { decodeHalf, roundToHalf } from './half';
import {
  type HalfTensor,
  type HostTensor,
  type LoadProgress,
  type ModelFile,
  isHalf,
} from './types';

const enc = new TextEncoder();

/** A raw safetensors file: length prefix, header text (taken as is), data bytes. */
function rawFile(
  header: string | object,
  data: Uint8Array = new Uint8Array(0),
  lengthField?: bigint,
) {
  const json = enc.encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, lengthField ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

function u16s(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setUint16(i * 2, v, true));
  return out;
}

async function readAll(file: ModelFile, opts?: ReadOptions) {
  const tensors = new Map<string, HostTensor>();
  const order: string[] = [];
  const stats = await readSafetensors(
    file,
    (name, t) => {
      tensors.set(name, t);
      order.push(name);
    },
    opts,
  );
  return { tensors, order, stats };
}

const header1 = (n: number) => ({ w: { dtype: 'F32', shape: [n], data_offsets: [0, 4 * n] } });

/** Reads the one F32 tensor `w` with the "load float32 as 16-bit" setting. */
async function readRounded(file: ModelFile) {
  let tensor: HalfTensor | undefined;
  const stats = await streamTensors(
    file,
    await readSafetensorsHeader(file),
    (_, t) => {
      if (!isHalf(t)) throw new Error('expected a 16-bit tensor');
      tensor = t;
    },
    { precision: { keep16: true, round32: true } },
  );
  return { tensor: tensor!, stats };
}

function parse(bytes: Uint8Array, size = bytes.length) {
  return parseSafetensorsHeader(bytes, size, 'model.safetensors');
}

function parseError(bytes: Uint8Array, size = bytes.length): SafetensorsError {
  try {
    parse(bytes, size);
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return e as SafetensorsError;
  }
  throw new Error('expected a SafetensorsError');
}

/** float16 bits as stored in the data section, from the written file. */
function storedU16(file: Uint8Array, name: string): number[] {
  const header = parse(file);
  const t = header.tensors.find((e) => e.name === name)!;
  const view = new DataView(
    file.buffer,
    file.byteOffset + header.dataStart + t.begin,
    t.end - t.begin,
  );
  return Array.from({ length: view.byteLength / 2 }, (_, i) => view.getUint16(i * 2, true));
}

describe('writeSafetensors', () => {
  it('matches the reference serialiser byte for byte', () => {
    const data = new Float32Array([0, 1, 2, 3, 4, 5]);
    const floats = new Uint8Array(data.buffer);
    const expected = (json: string, n: number) => {
      const out = new Uint8Array(8 + n + 24);
      out[0] = n;
      out.set(enc.encode(json.padEnd(n, ' ')), 8);
      out.set(floats, 8 + n);
      return out;
    };
    // The reference crate's test_serialization and test_serialization_forced_alignement vectors.
    expect(writeSafetensors({ 'attn.0': { dims: [1, 2, 3], data } })).toEqual(
      expected('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}', 64),
    );
    expect(writeSafetensors({ attn0: { dims: [1, 1, 2, 3], data } })).toEqual(
      expected('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}', 72),
    );
    // test_empty
    expect(Array.from(writeSafetensors({}))).toEqual([
      8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32,
    ]);
    const withMeta = writeSafetensors({}, { framework: 'pt' });
    expect(withMeta[0]).toBe(40);
    expect(new TextDecoder().decode(withMeta.subarray(8))).toBe(
      '{"__metadata__":{"framework":"pt"}}     ',
    );
  });

  it('orders tensors by dtype alignment, then name, like the reference writer', () => {
    const one = new Float32Array([1]);
    const file = writeSafetensors({
      h2: { dtype: 'F16', dims: [1], data: one },
      b: { dtype: 'BF16', dims: [1], data: one },
      z: { dims: [1], data: one },
      a: { dims: [1], data: one },
      h1: { dtype: 'F16', dims: [1], data: one },
    });
    expect(parse(file).tensors.map((t) => t.name)).toEqual(['a', 'z', 'b', 'h1', 'h2']);
  });

  it('rounds float32 to float16 to nearest even, with overflow, subnormals and NaN', () => {
    const values = [
      1 / 3,
      65504,
      65519, // below the midpoint to infinity
      65520, // the midpoint: ties to even = infinity
      2 ** -24,
      2 ** -25, // tie between 0 and the smallest subnormal: 0
      1.5 * 2 ** -25,
      1 + 2 ** -11, // tie: stays 1 (even)
      1 + 3 * 2 ** -11, // tie: rounds up to the even neighbour
      2 ** -14 - 2 ** -25, // rounds up from the largest subnormal region into the smallest normal
      -0,
      Infinity,
      -Infinity,
      NaN,
      1e-10,
    ];
    const file = writeSafetensors({
      h: { dtype: 'F16', dims: [values.length], data: new Float32Array(values) },
    });
    expect(storedU16(file, 'h')).toEqual([
      0x3555, 0x7bff, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x0001, 0x3c00, 0x3c02, 0x0400, 0x8000,
      0x7c00, 0xfc00, 0x7e00, 0x0000,
    ]);
  });

  it('rounds float32 to bfloat16 to nearest even', () => {
    const values = [1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, Math.PI, -2, 3.4028234663852886e38, NaN, -0];
    const file = writeSafetensors({
      b: { dtype: 'BF16', dims: [values.length], data: new Float32Array(values) },
    });
    expect(storedU16(file, 'b')).toEqual([
      0x3f80, 0x3f80, 0x3f82, 0x4049, 0xc000, 0x7f80, 0x7fc0, 0x8000,
    ]);
  });

  it('rejects data that does not match the dims', () => {
    expect(() => writeSafetensors({ w: { dims: [2, 2], data: new Float32Array(3) } })).toThrow(
      /tensor "w" has dims \[2, 2\] and 3 values/,
    );
  });
});

describe('readSafetensors', () => {
  it('round-trips F32, F16 and BF16 tensors and metadata, in offset order', async () => {
    const w = new Float32Array([0.5, -1.25, 3, 1024, -0.0009765625, 6]);
    const bytes = writeSafetensors(
      {
        'encoder.w': { dims: [2, 3], data: w },
        'encoder.h': { dtype: 'F16', dims: [3, 2], data: w },
        'encoder.b': { dtype: 'BF16', dims: [6], data: w },
        scalar: { dims: [], data: new Float32Array([7]) },
        empty: { dims: [0, 4], data: new Float32Array(0) },
      },
      { format: 'pt' },
    );
    const { tensors, order, stats } = await readAll(bytesFile('model.safetensors', bytes, 5));
    expect(order).toEqual(['empty', 'encoder.w', 'scalar', 'encoder.b', 'encoder.h']);
    expect(stats.metadata).toEqual({ format: 'pt' });
    expect(stats.tensors).toBe(5);
    for (const name of ['encoder.w', 'encoder.h', 'encoder.b']) {
      expect(Array.from(tensors.get(name)!.data)).toEqual(Array.from(w)); // all exactly representable
    }
    expect(tensors.get('encoder.h')!.dims).toEqual([3, 2]);
    expect(tensors.get('scalar')).toEqual({ dims: [], data: new Float32Array([7]) });
    expect(tensors.get('empty')).toEqual({ dims: [0, 4], data: new Float32Array(0) });
  });

  it('keeps a tensor and a metadata key named __proto__ (found by fuzzing)', async () => {
    const metadata = JSON.parse('{"__proto__": "x", "format": "pt"}') as Record<string, string>;
    const tensors = JSON.parse('{"__proto__": 0, "w": 0}') as Record<string, HostTensor>;
    tensors.__proto__ = { dims: [1], data: new Float32Array([1]) };
    tensors.w = { dims: [1], data: new Float32Array([2]) };
    const bytes = writeSafetensors(tensors, metadata);
    const { tensors: got, stats } = await readAll(bytesFile('model.safetensors', bytes));
    expect(Object.keys(stats.metadata)).toEqual(['__proto__', 'format']);
    expect(stats.metadata.__proto__).toBe('x');
    expect(Object.getPrototypeOf(stats.metadata)).toBe(Object.prototype);
    expect([...got.keys()].sort()).toEqual(['__proto__', 'w']);
    expect(got.get('__proto__')!.data).toEqual(new Float32Array([1]));
  });

  it('converts float16 bit patterns exactly, across chunk boundaries', async () => {
    const patterns = [
      [0x0000, 0],
      [0x8000, -0],
      [0x0001, 2 ** -24], // smallest subnormal
      [0x0200, 2 ** -15],
      [0x03ff, 1023 * 2 ** -24], // largest subnormal
      [0x0400, 2 ** -14], // smallest normal
      [0x3c00, 1],
      [0x3555, 0.333251953125],
      [0xc000, -2],
      [0x7bff, 65504],
      [0xfbff, -65504],
      [0x7c00, Infinity],
      [0xfc00, -Infinity],
    ];
    const nans = [0x7e00, 0x7c01, 0xfe00];
    const bits = [...patterns.map((p) => p[0]), ...nans];
    const header = {
      h: { dtype: 'F16', shape: [bits.length], data_offsets: [0, bits.length * 2] },
    };
    for (const chunk of [1, 3, 4096]) {
      const { tensors } = await readAll(
        bytesFile('model.safetensors', rawFile(header, u16s(bits)), chunk),
      );
      const data = tensors.get('h')!.data;
      patterns.forEach(([, value], i) => expect(Object.is(data[i], value)).toBe(true));
      const out = new Uint32Array(data.buffer);
      expect(Array.from(out.slice(patterns.length))).toEqual([0x7fc00000, 0x7f802000, 0xffc00000]);
    }
  });

  it('rounds float32 to 16 bits chunk by chunk, as roundToHalf rounds the whole tensor', async () => {
    // Values in 1e-3..1 and, late in the tensor, larger ones that raise the scale twice: the
    // values rounded before are rescaled, exactly (none becomes a float16 subnormal).
    const n = 3001;
    const values = new Float32Array(n);
    let seed = 7;
    for (let i = 0; i < n; i++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      const u = seed / 2 ** 31;
      values[i] = (i % 2 ? -1 : 1) * (1e-3 + u);
    }
    values[1500] = 9.75;
    values[2990] = -300.3;
    values[10] = 0;
    const expected = roundToHalf(values);
    const header = { w: { dtype: 'F32', shape: [n], data_offsets: [0, 4 * n] } };
    const bytes = rawFile(header, new Uint8Array(values.buffer));
    for (const chunk of [1, 3, 4096, 65536]) {
      const { tensor, stats } = await readRounded(bytesFile('model.safetensors', bytes, chunk));
      expect(tensor.scale).toBe(expected.scale);
      expect(Array.from(tensor.half)).toEqual(Array.from(expected.bits));
      // Only the 16-bit result and one chunk are held, never the float32 tensor.
      expect(stats.peakBufferedBytes).toBeLessThanOrEqual(2 * n + chunk);
    }
  });

  it('rounds float32 to 16 bits chunk by chunk within one float16 subnormal step of roundToHalf', async () => {
    // Tiny values next to a large value that arrives last: rescaled, they become subnormal.
    const n = 4096;
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = (i % 3 ? 1 : -1) * (1 + i) * 1.37e-9;
    values[n - 1] = 4.1;
    const expected = decodeHalf(roundToHalf(values));
    const { tensor } = await readRounded(
      bytesFile('model.safetensors', rawFile(header1(n), new Uint8Array(values.buffer)), 1000),
    );
    const got = decodeHalf({ bits: tensor.half, scale: tensor.scale });
    const step = 2 ** -24 * tensor.scale;
    let differing = 0;
    for (let i = 0; i < n; i++) {
      expect(Math.abs(got[i] - expected[i])).toBeLessThanOrEqual(step);
      if (got[i] !== expected[i]) differing++;
    }
    expect(got[n - 1]).toBe(expected[n - 1]);
    expect(differing).toBeLessThan(n / 10);
  });

  it('converts bfloat16 bit patterns exactly', async () => {
    const bits = [0x3f80, 0xc049, 0x0001, 0x807f, 0x7f7f, 0x7f80, 0xff80, 0x7fc0, 0x8000];
    const header = {
      b: { dtype: 'BF16', shape: [bits.length], data_offsets: [0, bits.length * 2] },
    };
    const { tensors } = await readAll(
      bytesFile('model.safetensors', rawFile(header, u16s(bits)), 3),
    );
    const out = new Uint32Array(tensors.get('b')!.data.buffer);
    expect(Array.from(out)).toEqual(bits.map((b) => (b << 16) >>> 0));
    expect(tensors.get('b')!.data[1]).toBe(-3.140625);
    expect(tensors.get('b')!.data[2]).toBe(2 ** -133); // subnormal
  });

  it('emits only included tensors and stops reading after the last one', async () => {
    const big = new Float32Array(100_000);
    const bytes = writeSafetensors({
      a: { dims: [4], data: new Float32Array(4) },
      b: { dims: [100_000], data: big },
    });
    const { order, stats } = await readAll(bytesFile('model.safetensors', bytes, 1024), {
      include: (name) => name === 'a',
    });
    expect(order).toEqual(['a']);
    expect(stats.bytesRead).toBeLessThan(4096);
  });

  it('reports progress up to the file size', async () => {
    const bytes = writeSafetensors({ a: { dims: [1000], data: new Float32Array(1000) } });
    const seen: LoadProgress[] = [];
    await readAll(bytesFile('model.safetensors', bytes, 1000), { onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(3);
    expect(seen.every((p) => p.file === 'model.safetensors' && p.totalBytes === bytes.length)).toBe(
      true,
    );
    expect(seen.map((p) => p.loadedBytes)).toEqual(
      [...seen.map((p) => p.loadedBytes)].sort((x, y) => x - y),
    );
    expect(seen.at(-1)!.loadedBytes).toBe(bytes.length);
  });

  it('honours an abort signal between tensors and before starting', async () => {
    const bytes = writeSafetensors({
      a: { dims: [10], data: new Float32Array(10) },
      b: { dims: [10], data: new Float32Array(10) },
    });
    const controller = new AbortController();
    const seen: string[] = [];
    await expect(
      readSafetensors(
        bytesFile('model.safetensors', bytes, 8),
        (name) => {
          seen.push(name);
          controller.abort();
        },
        { signal: controller.signal },
      ),
    ).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen).toEqual(['a']);
    await expect(
      readAll(bytesFile('m.safetensors', bytes), { signal: controller.signal }),
    ).rejects.toMatchObject({
      name: 'AbortError',
    });
  });

  it('aborts a read that is waiting for data', async () => {
    const bytes = writeSafetensors({ a: { dims: [10], data: new Float32Array(10) } });
    const base = bytesFile('model.safetensors', bytes);
    let release = () => {};
    const stalled: ModelFile = {
      ...base,
      stream: () =>
        new ReadableStream<Uint8Array>(
          { pull: () => new Promise<void>((r) => (release = r)) },
          { highWaterMark: 0 },
        ),
    };
    const controller = new AbortController();
    const reading = readSafetensors(stalled, () => {}, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 10));
    controller.abort();
    await expect(reading).rejects.toMatchObject({ name: 'AbortError' });
    release();
  });

  it('detects a stream that ends before the size it claimed', async () => {
    const bytes = writeSafetensors({
      'layer.0.weight': { dims: [100], data: new Float32Array(100) },
    });
    const short = bytesFile('model.safetensors', bytes.slice(0, bytes.length - 40), 64);
    const lying: ModelFile = {
      ...short,
      size: bytes.length,
      slice: async (s, e) => bytes.slice(s, e),
    };
    const header = parse(bytes);
    await expect(readAll(lying)).rejects.toThrow(
      `model.safetensors is truncated: the data ended after ${bytes.length - 40} bytes, but tensor ` +
        `"layer.0.weight" ends at byte ${header.dataStart + 400} (the file should have ` +
        `${bytes.length} bytes); download it again.`,
    );
  });

  it('refuses integer tensors as weights unless they are skipped', async () => {
    const data = new Uint8Array(16 + 8);
    const header = {
      'embeddings.position_ids': { dtype: 'I64', shape: [1, 2], data_offsets: [0, 16] },
      w: { dtype: 'F32', shape: [2], data_offsets: [16, 24] },
    };
    const file = bytesFile('model.safetensors', rawFile(header, data));
    await expect(readAll(file)).rejects.toThrow(
      'model.safetensors: tensor "embeddings.position_ids" has dtype I64, which cannot be loaded ' +
        'as a weight (only F32, F16 and BF16 can); skip it with the include filter, or convert the ' +
        'checkpoint to a float dtype.',
    );
    const { order } = await readAll(file, { include: (n) => !n.endsWith('position_ids') });
    expect(order).toEqual(['w']);
  });

  it('streams a 50+ MB file holding at most the largest tensor plus one chunk', async () => {
    const chunkSize = 64 * 1024;
    const tensors: Record<string, { dtype?: 'F16'; dims: number[]; data: Float32Array }> = {};
    for (let i = 0; i < 12; i++) {
      const data = new Float32Array(1_000_000 + i * 1000);
      for (let j = 0; j < data.length; j += 997) data[j] = i + j / data.length;
      tensors[`layer.${String(i).padStart(2, '0')}.weight`] = { dims: [data.length], data };
    }
    tensors['embeddings.word'] = {
      dtype: 'F16',
      dims: [1500, 1000],
      data: new Float32Array(1_500_000).fill(0.5),
    };
    const bytes = writeSafetensors(tensors);
    expect(bytes.length).toBeGreaterThan(50_000_000);
    const header = parse(bytes);

    // Instrument the stream: count every byte handed to the reader.
    const base = bytesFile('model.safetensors', bytes, chunkSize);
    let pulled = 0;
    const file: ModelFile = {
      ...base,
      stream: () => {
        const reader = base.stream().getReader();
        return new ReadableStream<Uint8Array>(
          {
            async pull(controller) {
              const { done, value } = await reader.read();
              if (done) return controller.close();
              pulled += value.length;
              controller.enqueue(value);
            },
          },
          { highWaterMark: 0 },
        );
      },
    };
    let largest = 0;
    let checked = 0;
    const stats = await readSafetensors(file, (name, t) => {
      const entry = header.tensors.find((e) => e.name === name)!;
      // Read-ahead beyond the tensor just completed is less than one chunk.
      expect(pulled - (header.dataStart + entry.end)).toBeLessThan(chunkSize);
      largest = Math.max(largest, t.data.byteLength);
      const source = tensors[name].data;
      for (let j = 0; j < source.length; j += 997) expect(t.data[j]).toBe(source[j]);
      checked++;
    });
    expect(checked).toBe(13);
    expect(stats.bytesRead).toBe(bytes.length);
    expect(stats.peakBufferedBytes).toBeLessThanOrEqual(largest + chunkSize);
    expect(stats.peakBufferedBytes).toBeGreaterThan(largest);
  });
});

describe('parseSafetensorsHeader rejects hostile files before reading tensors', () => {
  const f32 = (begin: number, end: number, shape = [(end - begin) / 4]) => ({
    dtype: 'F32',
    shape,
    data_offsets: [begin, end],
  });

  it('accepts a valid header and sorts tensors by offset', () => {
    const bytes = rawFile(
      { __metadata__: { format: 'pt' }, b: f32(8, 16), a: f32(0, 8) },
      new Uint8Array(16),
    );
    const header = parse(bytes);
    expect(header.tensors.map((t) => t.name)).toEqual(['a', 'b']);
    expect(header.metadata).toEqual({ format: 'pt' });
    expect(header.dataStart).toBe(bytes.length - 16);
  });

  it('a file shorter than the length field', () => {
    expect(parseError(new Uint8Array(5)).message).toBe(
      'model.safetensors is too small to be a safetensors file (5 bytes; the header length alone ' +
        'takes 8); download it again.',
    );
  });

  it('a huge header length', () => {
    const bytes = rawFile('{}', undefined, 1n << 40n);
    expect(parseError(bytes).message).toBe(
      `model.safetensors is not a valid safetensors file: its header length field says ${2 ** 40} ` +
        `bytes, more than the ${MAX_HEADER_BYTES}-byte limit, so the file is corrupt or not ` +
        `safetensors; download it again.`,
    );
  });

  it('a header length beyond the file', () => {
    const bytes = rawFile('{}', undefined, 5000n);
    expect(parseError(bytes).message).toBe(
      'model.safetensors is truncated or not a safetensors file: its header length field says ' +
        `5000 bytes but only 2 bytes follow it; download it again.`,
    );
  });

  it('a header that is not JSON', () => {
    expect(parseError(rawFile('{"a": [1, 2')).message).toMatch(
      /^model\.safetensors has a damaged header: it is not valid JSON \(.+\); download it again\.$/,
    );
  });

  it('a header that is not UTF-8', () => {
    const bytes = rawFile('{"a":1}');
    bytes[10] = 0xff;
    expect(parseError(bytes).message).toBe(
      'model.safetensors has a damaged header: it is not valid UTF-8 text; download it again.',
    );
  });

  it('a header that is not an object', () => {
    expect(parseError(rawFile('[1,2]')).message).toBe(
      'model.safetensors has a damaged header: expected a JSON object of tensor entries, got an ' +
        'array; download it again.',
    );
  });

  it('an unknown dtype', () => {
    const bytes = rawFile(
      { w: { dtype: 'Q4', shape: [2], data_offsets: [0, 1] } },
      new Uint8Array(1),
    );
    expect(parseError(bytes).message).toBe(
      'model.safetensors has an invalid header: tensor "w" has unknown dtype "Q4" (known: BOOL, U8, ' +
        'I8, F8_E5M2, F8_E4M3, I16, U16, F16, BF16, I32, U32, F32, F64, I64, U64); the file is ' +
        'corrupt or was written by an incompatible tool, download it again or re-save it with the ' +
        'safetensors library.',
    );
  });

  it('a shape that is not a list of non-negative integers', () => {
    for (const shape of [[2, -1], [1.5], '3', [2 ** 60]]) {
      const bytes = rawFile(
        { w: { dtype: 'F32', shape, data_offsets: [0, 8] } },
        new Uint8Array(8),
      );
      expect(parseError(bytes).message).toContain(
        `tensor "w" has shape ${JSON.stringify(shape)}, not a list of non-negative integers`,
      );
    }
  });

  it('data_offsets that are not [begin, end]', () => {
    for (const offsets of [[8, 0], [0], [0, -8], null]) {
      const bytes = rawFile(
        { w: { dtype: 'F32', shape: [2], data_offsets: offsets } },
        new Uint8Array(8),
      );
      expect(parseError(bytes).message).toContain(
        `tensor "w" has data_offsets ${JSON.stringify(offsets)}, not`,
      );
    }
  });

  it('a shape that lies about the byte span', () => {
    const bytes = rawFile({ 'layer.0.w': f32(0, 16, [2, 3]) }, new Uint8Array(16));
    expect(parseError(bytes).message).toBe(
      'model.safetensors is corrupt: tensor "layer.0.w" has shape [2, 3] and dtype F32, which ' +
        'needs 24 bytes, but its data_offsets [0, 16] span 16 bytes; download it again.',
    );
  });

  it('a tensor that ends beyond the file (truncated)', () => {
    const header = { 'bert.encoder.layer.3.output.dense.weight': f32(0, 64) };
    const bytes = rawFile(header, new Uint8Array(40));
    const n = bytes.length - 40 - 8;
    expect(parseError(bytes).message).toBe(
      `model.safetensors is truncated: tensor "bert.encoder.layer.3.output.dense.weight" ends at ` +
        `byte ${8 + n + 64} but the file has ${bytes.length} bytes; download it again.`,
    );
  });

  it('overlapping spans', () => {
    const bytes = rawFile({ a: f32(0, 16), b: f32(8, 24) }, new Uint8Array(24));
    expect(parseError(bytes).message).toBe(
      'model.safetensors is corrupt: tensors "a" (data bytes 0-16) and "b" (data bytes 8-24) ' +
        'overlap; download it again.',
    );
  });

  it('a value nested too deeply to quote, or a huge name: a short message (found by fuzzing)', () => {
    const nested = `{"w": {"dtype": "F32", "shape": ${'['.repeat(20000)}${']'.repeat(20000)}, "data_offsets": [0, 0]}}`;
    const error = parseError(rawFile(nested));
    expect(error.message).toMatch(/tensor "w" has shape \[a deeply nested list\], not a list/);
    const long = 'w'.repeat(1_000_000);
    const named = parseError(
      rawFile({ [long]: { dtype: 'Q4', shape: [1], data_offsets: [0, 1] } }),
    );
    expect(named.message).toMatch(/^model\.safetensors has an invalid header: tensor "w{99}… has/);
    expect(named.message.length).toBeLessThan(500);
  });

  it('metadata that is not a string map', () => {
    const bytes = rawFile({ __metadata__: { format: 1 } });
    expect(parseError(bytes).message).toContain(
      '"__metadata__" value "format" is a number, not a string',
    );
  });

  it('an entry that is not an object', () => {
    expect(parseError(rawFile({ w: [1] })).message).toContain(
      'tensor "w" is an array, not an object',
    );
  });

  it('is what readSafetensors reports, without reading the stream', async () => {
    const bytes = rawFile({ a: f32(0, 16), b: f32(8, 24) }, new Uint8Array(24));
    let streamed = false;
    const file: ModelFile = {
      ...bytesFile('shard.safetensors', bytes),
      stream: () => {
        streamed = true;
        return new ReadableStream();
      },
    };
    await expect(readAll(file)).rejects.toThrow(/^shard\.safetensors is corrupt: tensors "a"/);
    expect(streamed).toBe(false);
  });
});
