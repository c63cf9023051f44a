import type { SafetensorsDtype } from '../../src/weights/safetensors';
import type { ModelFile } from '../../src/weights/types';

const ITEM: Partial<Record<SafetensorsDtype, number>> = { F32: 4, F16: 2, BF16: 2 };

export interface HeaderEntry {
  name: string;
  shape: number[];
  dtype?: SafetensorsDtype;
  /** The span its data_offsets claim, when the header lies about it (default: what it needs). */
  bytes?: number;
}

/** Attempts to read tensor data: a check that must run from headers alone leaves both at 0. */
export interface DataReads {
  streams: number;
  dataBytes: number;
}

/**
 * A safetensors file that has only its header: it claims the size its tensors need (like a
 * sparse file, or a download not made yet), and counts every attempt to read tensor data.
 */
export function headerOnlyFile(name: string, entries: HeaderEntry[], reads: DataReads): ModelFile {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const e of entries) {
    const dtype = e.dtype ?? 'F32';
    const bytes = e.bytes ?? e.shape.reduce((a, d) => a * d, 1) * ITEM[dtype]!;
    header[e.name] = { dtype, shape: e.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(8 + json.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(json.length), true);
  head.set(json, 8);
  return {
    name,
    size: head.length + offset,
    stream: () => {
      reads.streams++;
      throw new Error(`${name}: tensor data was read`);
    },
    slice: async (start, end) => {
      reads.dataBytes += Math.max(0, end - Math.max(start, head.length));
      return head.slice(start, Math.min(end, head.length));
    },
  };
}
