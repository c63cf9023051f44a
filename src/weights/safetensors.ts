import { quoted } from '../facts/text';
import { SafetensorsError } from './errors';
import {
  StreamingHalfRounder,
  bf16ToHalf,
  floatToBf16Bits,
  floatToHalfBits,
  halfTable,
} from './half';
import type { HalfTensor, HostTensor, LoadProgress, ModelFile, StoredTensor } from './types';

/**
 * safetensors: an 8-byte little-endian header length N, N bytes of JSON header, then the tensor
 * data. Offsets in the header are relative to the start of the data section (byte 8 + N).
 * Tensor data is little-endian, like every platform browsers and Node run on, so float32 data is
 * copied as bytes.
 */

/** The largest header the reference implementation accepts (its MAX_HEADER_SIZE). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of every dtype the reference implementation knows (byte-sized ones). */
const ITEM_SIZE = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

export type SafetensorsDtype = keyof typeof ITEM_SIZE;

/** The dtypes that can be loaded as weights (converted to float32). */
export type WeightDtype = 'F32' | 'F16' | 'BF16';

const WEIGHT_DTYPES: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16'];

/** The reference writer orders tensors by descending dtype alignment (its Dtype enum order). */
const WRITE_RANK: Record<WeightDtype, number> = { F32: 2, BF16: 1, F16: 0 };

export interface TensorEntry {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  /** Byte offsets [begin, end) relative to the data section. */
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  fileName: string;
  fileSize: number;
  /** File offset of the data section: 8 + header length. */
  dataStart: number;
  metadata: Record<string, string>;
  /** Sorted by offset: the order tensors are streamed in. */
  tensors: TensorEntry[];
}

export interface ReadOptions {
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
  /** Tensors to load; the others are skipped without being converted. Default: all. */
  include?: (name: string) => boolean;
}

/** Which tensors are kept at 16 bits (src/weights/half.ts); without it, all become float32. */
export interface Precision {
  /** F16 tensors stay float16; BF16 tensors become float16 exactly, else float32. */
  keep16: boolean;
  /** F32 tensors are rounded to float16 (the user's "load as 16-bit" setting). */
  round32: boolean;
}

/** ReadOptions for a reader that takes 16-bit tensors (`HalfTensor`) too. */
export interface StoredReadOptions extends ReadOptions {
  precision: Precision;
}

export interface ReadStats {
  metadata: Record<string, string>;
  /** Tensors emitted. */
  tensors: number;
  /** Bytes pulled from the stream (reading stops after the last wanted tensor). */
  bytesRead: number;
  /**
   * Most bytes the reader held at once: the tensor being filled plus the current chunk. It never
   * exceeds the largest wanted tensor (as float32) plus the largest chunk.
   */
  peakBufferedBytes: number;
}

/** Receives each tensor read, with the name of the file it came from. */
export type TensorCallback = (
  name: string,
  tensor: HostTensor,
  file: string,
) => void | Promise<void>;

/** A TensorCallback that takes 16-bit tensors too (a reader given a `Precision`). */
export type StoredTensorCallback = (
  name: string,
  tensor: StoredTensor,
  file: string,
) => void | Promise<void>;

export type WritableTensor =
  HostTensor | { dtype: WeightDtype; dims: number[]; data: Float32Array };

const EMPTY: Uint8Array = new Uint8Array(0);

/** Reads and checks the 8-byte header length at the start of `prefix` (the file's first bytes). */
export function readHeaderLength(prefix: Uint8Array, fileSize: number, fileName: string): number {
  if (fileSize < 8 || prefix.length < 8) {
    throw new SafetensorsError(
      `${fileName} is too small to be a safetensors file (${fileSize} bytes; the header length ` +
        `alone takes 8); download it again.`,
      fileName,
    );
  }
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw new SafetensorsError(
      `${fileName} is not a valid safetensors file: its header length field says ${length} bytes, ` +
        `more than the ${MAX_HEADER_BYTES}-byte limit, so the file is corrupt or not ` +
        `safetensors; download it again.`,
      fileName,
    );
  }
  const n = Number(length);
  if (8 + n > fileSize) {
    throw new SafetensorsError(
      `${fileName} is truncated or not a safetensors file: its header length field says ${n} ` +
        `bytes but only ${fileSize - 8} bytes follow it; download it again.`,
      fileName,
    );
  }
  return n;
}

/**
 * Validates a safetensors header before any tensor is read. `headerBytes` are the file's first
 * bytes (at least 8 + header length); `fileSize` is the whole file's size.
 */
export function parseSafetensorsHeader(
  headerBytes: Uint8Array,
  fileSize: number,
  fileName: string,
): SafetensorsHeader {
  const n = readHeaderLength(headerBytes, fileSize, fileName);
  if (headerBytes.length < 8 + n) {
    throw new SafetensorsError(
      `${fileName}: parseSafetensorsHeader got ${headerBytes.length} bytes but the header ends at ` +
        `byte ${8 + n}; pass the file's first ${8 + n} bytes.`,
      fileName,
    );
  }
  const damaged = (problem: string) =>
    new SafetensorsError(
      `${fileName} has a damaged header: ${problem}; download it again.`,
      fileName,
    );
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(headerBytes.subarray(8, 8 + n));
  } catch {
    throw damaged('it is not valid UTF-8 text');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw damaged(`it is not valid JSON (${(e as Error).message})`);
  }
  if (!isPlainObject(json)) {
    throw damaged(`expected a JSON object of tensor entries, got ${describe(json)}`);
  }

  const dataSize = fileSize - 8 - n;
  const invalid = (problem: string) =>
    new SafetensorsError(
      `${fileName} has an invalid header: ${problem}; the file is corrupt or was written by an ` +
        `incompatible tool, download it again or re-save it with the safetensors library.`,
      fileName,
    );
  const metadata: Record<string, string> = {};
  const tensors: TensorEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') {
      if (!isPlainObject(value))
        throw invalid(`"__metadata__" is ${describe(value)}, not an object`);
      for (const [key, v] of Object.entries(value)) {
        if (typeof v !== 'string')
          throw invalid(`"__metadata__" value ${quoted(key)} is ${describe(v)}, not a string`);
        own(metadata, key, v);
      }
      continue;
    }
    tensors.push(parseEntry(name, value, invalid));
  }

  for (const t of tensors) {
    const elements = t.shape.reduce((a, d) => a * BigInt(d), 1n);
    const needed = elements * BigInt(ITEM_SIZE[t.dtype]);
    if (needed !== BigInt(t.end - t.begin)) {
      throw new SafetensorsError(
        `${fileName} is corrupt: tensor ${quoted(t.name)} has shape ${shapeText(t.shape)} and dtype ` +
          `${t.dtype}, which needs ${needed} bytes, but its data_offsets [${t.begin}, ${t.end}] ` +
          `span ${t.end - t.begin} bytes; download it again.`,
        fileName,
      );
    }
    if (t.end > dataSize) {
      throw new SafetensorsError(
        `${fileName} is truncated: tensor ${quoted(t.name)} ends at byte ${8 + n + t.end} but the file ` +
          `has ${fileSize} bytes; download it again.`,
        fileName,
      );
    }
  }

  // Offset order is the stream order. Unlike the reference reader, gaps between tensors and
  // trailing bytes are tolerated: they cannot make a tensor read the wrong bytes.
  tensors.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let previous: TensorEntry | undefined;
  for (const t of tensors) {
    if (t.end === t.begin) continue;
    if (previous && t.begin < previous.end) {
      throw new SafetensorsError(
        `${fileName} is corrupt: tensors ${quoted(previous.name)} (data bytes ${previous.begin}-` +
          `${previous.end}) and ${quoted(t.name)} (data bytes ${t.begin}-${t.end}) overlap; download ` +
          `it again.`,
        fileName,
      );
    }
    previous = t;
  }
  return { fileName, fileSize, dataStart: 8 + n, metadata, tensors };
}

function parseEntry(
  name: string,
  value: unknown,
  invalid: (problem: string) => SafetensorsError,
): TensorEntry {
  if (!isPlainObject(value))
    throw invalid(`tensor ${quoted(name)} is ${describe(value)}, not an object`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string' || !Object.hasOwn(ITEM_SIZE, dtype)) {
    throw invalid(
      `tensor ${quoted(name)} has unknown dtype ${quoted(dtype)} (known: ` +
        `${Object.keys(ITEM_SIZE).join(', ')})`,
    );
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    throw invalid(
      `tensor ${quoted(name)} has shape ${quoted(shape)}, not a list of ` + `non-negative integers`,
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every(isNonNegativeInteger) ||
    offsets[0] > offsets[1]
  ) {
    throw invalid(
      `tensor ${quoted(name)} has data_offsets ${quoted(offsets)}, not ` +
        `[begin, end] with 0 <= begin <= end`,
    );
  }
  return {
    name,
    dtype: dtype as SafetensorsDtype,
    shape: shape as number[],
    begin: offsets[0],
    end: offsets[1],
  };
}

/** Reads and validates a file's header with two small slices (length, then JSON). */
export async function readSafetensorsHeader(file: ModelFile): Promise<SafetensorsHeader> {
  const prefix = await file.slice(0, Math.min(8, file.size));
  const n = readHeaderLength(prefix, file.size, file.name);
  return parseSafetensorsHeader(await file.slice(0, 8 + n), file.size, file.name);
}

/**
 * Streams a safetensors file: validates the header, then consumes `file.stream()` once, in
 * order, emitting each wanted tensor converted to float32 as soon as its bytes are in. Bytes are
 * decoded straight from each chunk into the tensor's Float32Array, so the reader holds at most
 * one tensor and one chunk.
 */
export async function readSafetensors(
  file: ModelFile,
  onTensor: TensorCallback,
  opts: ReadOptions = {},
): Promise<ReadStats> {
  opts.signal?.throwIfAborted();
  return streamTensors(file, await readSafetensorsHeader(file), onTensor, opts);
}

/** Throws unless every tensor of `fileName` listed can be loaded as a weight. */
export function checkWeightDtypes(fileName: string, tensors: readonly TensorEntry[]): void {
  for (const t of tensors) {
    if (!WEIGHT_DTYPES.includes(t.dtype)) {
      throw new SafetensorsError(
        `${fileName}: tensor ${quoted(t.name)} has dtype ${t.dtype}, which cannot be loaded as a ` +
          `weight (only F32, F16 and BF16 can); skip it with the include filter, or convert the ` +
          `checkpoint to a float dtype.`,
        fileName,
      );
    }
  }
}

/** The streaming half of readSafetensors, for callers that validated the header already. */
export function streamTensors(
  file: ModelFile,
  header: SafetensorsHeader,
  onTensor: TensorCallback,
  opts?: ReadOptions,
): Promise<ReadStats>;
export function streamTensors(
  file: ModelFile,
  header: SafetensorsHeader,
  onTensor: StoredTensorCallback,
  opts: StoredReadOptions,
): Promise<ReadStats>;
export async function streamTensors(
  file: ModelFile,
  header: SafetensorsHeader,
  onTensor: TensorCallback | StoredTensorCallback,
  opts: ReadOptions & { precision?: Precision } = {},
): Promise<ReadStats> {
  const { signal, onProgress, include, precision } = opts;
  signal?.throwIfAborted();
  const wanted = header.tensors.filter((t) => !include || include(t.name));
  checkWeightDtypes(file.name, wanted);

  const reader = file.stream().getReader();
  // Cancelling the reader ends a pending read(), so an abort takes effect mid-download.
  const onAbort = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener('abort', onAbort, { once: true });
  let chunk: Uint8Array = EMPTY;
  let chunkStart = 0; // file offset of chunk[0]
  let peak = 0;
  let emitted = 0;

  const nextChunk = async (pending: TensorEntry) => {
    chunkStart += chunk.length;
    chunk = EMPTY; // consumed: drop it before the next one arrives
    const { done, value } = await reader.read();
    signal?.throwIfAborted();
    if (done) {
      throw new SafetensorsError(
        `${file.name} is truncated: the data ended after ${chunkStart} bytes, but tensor ` +
          `${quoted(pending.name)} ends at byte ${header.dataStart + pending.end} (the file should ` +
          `have ${file.size} bytes); download it again.`,
        file.name,
      );
    }
    chunk = value;
    onProgress?.({
      file: file.name,
      loadedBytes: Math.min(chunkStart + chunk.length, file.size),
      totalBytes: file.size,
    });
  };

  try {
    for (const entry of wanted) {
      const sink = new TensorSink(entry, precision);
      const end = header.dataStart + entry.end;
      let pos = header.dataStart + entry.begin;
      peak = Math.max(peak, sink.byteLength + chunk.length);
      while (pos < end) {
        if (pos >= chunkStart + chunk.length) {
          await nextChunk(entry);
          peak = Math.max(peak, sink.byteLength + chunk.length);
          continue;
        }
        const to = Math.min(chunk.length, end - chunkStart);
        sink.write(chunk, pos - chunkStart, to);
        pos = chunkStart + to;
      }
      // Without a precision every tensor is float32, as a TensorCallback expects.
      await (onTensor as StoredTensorCallback)(entry.name, sink.tensor(), file.name);
      emitted++;
      signal?.throwIfAborted();
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Stops the download of bytes no wanted tensor needs; a no-op once the stream is done.
    await reader.cancel().catch(() => {});
  }
  onProgress?.({ file: file.name, loadedBytes: file.size, totalBytes: file.size });
  return {
    metadata: header.metadata,
    tensors: emitted,
    bytesRead: chunkStart + chunk.length,
    peakBufferedBytes: peak,
  };
}

/**
 * Receives one tensor's bytes as they arrive, carrying a split element across chunks. Without a
 * precision, or for a tensor that becomes float32, 16-bit values are decoded straight into the
 * float32 result; a tensor kept at 16 bits is read as it is stored and converted once complete;
 * an F32 tensor to be rounded is rounded chunk by chunk, so no float32 copy of it is ever held.
 */
class TensorSink {
  private readonly data: Float32Array | Uint16Array;
  /** The stored bytes are copied as they are (F32 kept, or 16-bit converted afterwards). */
  private readonly raw: boolean;
  private readonly bits: Uint32Array;
  /** F32 rounded to 16 bits as it streams (the "load float32 as 16-bit" setting). */
  private readonly rounder?: StreamingHalfRounder;
  /** The first bytes of a float32 value split across chunks (rounded tensors). */
  private readonly partial = new Uint8Array(4);
  private partialBytes = 0;
  private filled = 0;
  private carry = -1;

  constructor(
    private readonly entry: TensorEntry,
    precision?: Precision,
  ) {
    const n = (entry.end - entry.begin) / ITEM_SIZE[entry.dtype];
    const dtype = entry.dtype;
    const keep16 = !!precision?.keep16 && (dtype === 'F16' || dtype === 'BF16');
    if (dtype === 'F32' && precision?.round32) this.rounder = new StreamingHalfRounder(n);
    this.raw = dtype === 'F32' || keep16;
    this.data = this.rounder?.bits ?? (keep16 ? new Uint16Array(n) : new Float32Array(n));
    this.bits = this.data instanceof Float32Array ? new Uint32Array(this.data.buffer) : EMPTY_U32;
  }

  get byteLength(): number {
    return this.data.byteLength;
  }

  write(chunk: Uint8Array, from: number, to: number): void {
    if (this.rounder) return this.round(chunk, from, to);
    if (this.raw) {
      new Uint8Array(this.data.buffer).set(chunk.subarray(from, to), this.filled);
      this.filled += to - from;
      return;
    }
    const bits = this.bits;
    let k = this.filled >> 1;
    let i = from;
    this.filled += to - from;
    if (this.carry >= 0) {
      bits[k++] = this.widen(this.carry | (chunk[i++] << 8));
      this.carry = -1;
    }
    if (this.entry.dtype === 'BF16') {
      // bfloat16 is the top half of a float32: exact by construction.
      for (; i + 1 < to; i += 2) bits[k++] = (chunk[i] | (chunk[i + 1] << 8)) << 16;
    } else {
      const table = halfTable();
      for (; i + 1 < to; i += 2) bits[k++] = table[chunk[i] | (chunk[i + 1] << 8)];
    }
    if (i < to) this.carry = chunk[i];
  }

  /** Rounds the whole float32 values in chunk[from, to), keeping a split one for the next. */
  private round(chunk: Uint8Array, from: number, to: number): void {
    const rounder = this.rounder!;
    let i = from;
    if (this.partialBytes > 0) {
      while (this.partialBytes < 4 && i < to) this.partial[this.partialBytes++] = chunk[i++];
      if (this.partialBytes < 4) return;
      rounder.push(new Float32Array(this.partial.buffer));
      this.partialBytes = 0;
    }
    const whole = (to - i) & ~3;
    if (whole > 0) {
      const at = chunk.byteOffset + i;
      // A Float32Array view needs 4-byte alignment; a misaligned run is copied (one chunk).
      rounder.push(
        at % 4 === 0
          ? new Float32Array(chunk.buffer, at, whole / 4)
          : new Float32Array(chunk.slice(i, i + whole).buffer),
      );
      i += whole;
    }
    while (i < to) this.partial[this.partialBytes++] = chunk[i++];
  }

  private widen(h: number): number {
    return this.entry.dtype === 'BF16' ? h << 16 : halfTable()[h];
  }

  tensor(): StoredTensor {
    const dims = [...this.entry.shape];
    if (this.rounder) {
      const h = this.rounder.finish();
      return { dims, half: h.bits, scale: h.scale } satisfies HalfTensor;
    }
    const data = this.data;
    if (data instanceof Float32Array) return { dims, data };
    if (this.entry.dtype === 'F16') return { dims, half: data, scale: 1 };
    const h = bf16ToHalf(data);
    if (h) return { dims, half: h.bits, scale: h.scale };
    // No scale holds every value as float16: keep this tensor as float32 (exact).
    const wide = new Float32Array(data.length);
    const bits = new Uint32Array(wide.buffer);
    for (let i = 0; i < data.length; i++) bits[i] = data[i] << 16;
    return { dims, data: wide };
  }
}

const EMPTY_U32 = new Uint32Array(0);

/**
 * Serialises tensors like the reference writer: tensors sorted by descending dtype alignment
 * then name, `__metadata__` first, the JSON header padded with spaces to a multiple of 8 bytes.
 */
export function writeSafetensors(
  tensors: Record<string, WritableTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const entries = Object.entries(tensors).map(([name, t]) => {
    const dtype: WeightDtype = 'dtype' in t ? t.dtype : 'F32';
    const count = t.dims.reduce((a, d) => a * d, 1);
    if (name === '__metadata__' || count !== t.data.length || !t.dims.every(isNonNegativeInteger)) {
      throw new SafetensorsError(
        `writeSafetensors: tensor "${name}" has dims [${t.dims.join(', ')}] and ` +
          `${t.data.length} values; the name must not be __metadata__ and the values must ` +
          `match the dims.`,
      );
    }
    return { name, dtype, dims: t.dims, data: t.data };
  });
  entries.sort(
    (a, b) =>
      WRITE_RANK[b.dtype] - WRITE_RANK[a.dtype] || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );

  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const e of entries) {
    const bytes = e.data.length * ITEM_SIZE[e.dtype];
    own(header, e.name, { dtype: e.dtype, shape: e.dims, data_offsets: [offset, offset + bytes] });
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const n = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + n + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);

  let pos = 8 + n;
  for (const e of entries) {
    if (e.dtype === 'F32') {
      out.set(new Uint8Array(e.data.buffer, e.data.byteOffset, e.data.byteLength), pos);
      pos += e.data.byteLength;
      continue;
    }
    const convert = e.dtype === 'F16' ? floatToHalfBits : floatToBf16Bits;
    for (let i = 0; i < e.data.length; i++, pos += 2) view.setUint16(pos, convert(e.data[i]), true);
  }
  return out;
}

/** A shape for a message: a hostile header's may have a million dimensions. */
export function shapeText(dims: readonly number[]): string {
  return `[${dims.slice(0, 8).join(', ')}${dims.length > 8 ? ', …' : ''}]`;
}

/** Sets `key` as an own property: a plain assignment of "__proto__" would set the prototype. */
function own(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonNegativeInteger(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
