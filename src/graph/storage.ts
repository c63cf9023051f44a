/**
 * Graph inputs stored other than as one float32 tensor: at 16 bits (float16 with a power-of-two
 * scale, src/weights/half.ts), and/or split by rows into blocks (a vocabulary-sized embedding
 * larger than a GPU buffer may be). In the graph such an input is an ordinary float32 tensor;
 * only its ONNX emission differs:
 *
 * - the ONNX inputs are `<name>` (or `<name>.0`, `<name>.1`, ... for row blocks), float16 or
 *   float32, plus a float32 scalar `<name>.scale` when scaled;
 * - ops that read rows or multiply by the matrix (Gather, Gemm with transB, MatMul as the right
 *   operand) read it block by block and decode each block where they use it, so no float32 copy
 *   of the whole matrix exists at once (Gather decodes only the rows it picked);
 * - any other op reads one float32 copy, decoded once per graph; a split input read by such an
 *   op is an error, raised when the graph is written.
 *
 * Decoding is Cast to float32 and, when scaled, one Mul by the scale: exact, so every value the
 * arithmetic sees is the stored value, and all arithmetic and accumulation stay float32.
 */
import type { onnx as proto } from 'onnx-proto';
import type { Shape } from './shape';

/** How a float32 graph input is stored; see the module comment. */
export interface InputStorage {
  dtype: 'float16' | 'float32';
  /** The values are multiplied by the float32 scalar input `<name>.scale` when read. */
  scaled: boolean;
  /** Rows of each block when axis 0 is split into inputs `<name>.0`, `<name>.1`, ... */
  rowBlocks?: number[];
}

/** One block of a stored input, as an op's `emitStored` sees it. */
export interface StoredBlock {
  /** The ONNX input holding the block as stored. */
  raw: string;
  /** Its first row in the whole matrix and its row count. */
  start: number;
  rows: number;
  /** Emits a fresh float32 decode of the whole block (each call its own) and returns its name. */
  decode(): string;
  /** Emits the float32 decode of `values`, a tensor taken from this block (e.g. gathered rows). */
  decodeValues(values: string, out?: string): string;
}

/** Whether an input stored so is just one float32 tensor, read by its own name. */
export function isPlain(s: InputStorage | undefined): boolean {
  return !s || (s.dtype === 'float32' && !s.scaled && !s.rowBlocks);
}

/** The ONNX input names of a stored input's blocks (one name when it is not split). */
export function blockNames(name: string, s: InputStorage): string[] {
  return s.rowBlocks ? s.rowBlocks.map((_, k) => `${name}.${k}`) : [name];
}

/** The ONNX input that holds a scaled input's scale. */
export const scaleName = (name: string) => `${name}.scale`;

/** Checks a storage against the input's shape: blocks must cover axis 0 exactly. */
export function checkStorage(name: string, shape: Shape, s: InputStorage): void {
  if (!s.rowBlocks) return;
  const rows = shape[0];
  const total = s.rowBlocks.reduce((a, b) => a + b, 0);
  if (typeof rows !== 'number' || total !== rows || s.rowBlocks.some((r) => !(r > 0)))
    throw new Error(
      `input ${name}: row blocks [${s.rowBlocks.join(', ')}] do not split its ${String(rows)} rows`,
    );
}

/** The ONNX value infos of a stored input (its blocks, then its scale). */
export function storedValueInfos(
  name: string,
  shape: Shape,
  s: InputStorage,
  valueInfo: (name: string, elemType: number, shape: Shape) => proto.IValueInfoProto,
  elem: { float32: number; float16: number },
): proto.IValueInfoProto[] {
  const type = s.dtype === 'float16' ? elem.float16 : elem.float32;
  const infos = s.rowBlocks
    ? s.rowBlocks.map((rows, k) => valueInfo(`${name}.${k}`, type, [rows, ...shape.slice(1)]))
    : [valueInfo(name, type, shape)];
  if (s.scaled) infos.push(valueInfo(scaleName(name), elem.float32, []));
  return infos;
}
