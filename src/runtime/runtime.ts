import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { ExternalData } from '../graph/merge';

export type BackendName = 'node' | 'wasm' | 'webgpu';

/** What the engine runs on, as shown in the explorer's status bar. */
export interface BackendInfo {
  backend: BackendName;
  /** WebGPU adapter description (vendor, architecture, fallback flag); absent elsewhere. */
  adapter?: string;
  /** Whether the WebGPU adapter is a software fallback (e.g. SwiftShader). */
  fallbackAdapter?: boolean;
  /** WASM threads in use (1 when the page is not cross-origin isolated). */
  threads?: number;
  /** Why a requested backend was not used, e.g. "WebGPU: no adapter". */
  fallbackReason?: string;
}

/** onnxruntime-web's WASM heap: a 32-bit WebAssembly memory grows to 4 GiB at most. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

export type NumericArray = Float32Array | Int32Array | BigInt64Array;

/** float16 bit patterns (onnxruntime's JavaScript float16 tensors hold them in a Uint16Array). */
export type Float16Bits = Uint16Array;

/** What the device can hold: decides how weights are stored (src/model/load.ts). */
export interface RuntimeLimits {
  /**
   * Whether float16 tensors can be uploaded and decoded by the graphs (Cast to float32). WebGPU
   * needs the adapter's `shader-f16` feature; without it weights are widened to float32.
   */
  float16: boolean;
  /**
   * The largest tensor the device holds, in bytes: under WebGPU the smaller of the adapter's
   * maxBufferSize and maxStorageBufferBindingSize. Larger vocabulary tables are split by rows.
   */
  maxTensorBytes: number;
  /** All the memory the engine's tensors may use, where it is bounded: the WASM heap. */
  heapBytes?: number;
  /**
   * Whether sessions copy every CPU tensor they are fed at each run (onnxruntime-web's WASM
   * backend copies them into its heap): then the model makes the weights its largest graphs
   * read initializers of one session (src/graph/merge.ts), copied once instead of at each run.
   */
  copiesFeeds?: boolean;
  /**
   * Whether 16-bit weights are decoded to float32 on the host before each run and fed to
   * float32 graphs (src/model/host-decode.ts), rather than decoded by the graphs: on
   * onnxruntime-node a graph's Cast allocates fresh memory for the whole weight at every run.
   */
  decodesOnHost?: boolean;
  /**
   * The largest float32 copy a graph makes of a 16-bit table, where smaller than the loader's
   * default (DECODE_BLOCK_BYTES): the table is split by rows into blocks of this size. On
   * onnxruntime-node a large copy is fresh memory at every run (a 147 MiB table took 1.4 to 2.2 s
   * to decode whole, 0.19 to 0.29 s in 19 blocks of 7.7 MiB, which the allocator reuses).
   */
  decodeBlockBytes?: number;
}

/**
 * One interface over onnxruntime-node and onnxruntime-web (WebGPU or WASM). Everything above
 * this layer is runtime-agnostic.
 */
export interface Runtime {
  readonly info: BackendInfo;
  readonly limits: RuntimeLimits;
  /**
   * A session of an ONNX model; `externalData`: the files its initializers refer to as external
   * data, given from memory (read into the session, not kept).
   */
  createSession(
    model: Uint8Array,
    externalData?: readonly ExternalData[],
  ): Promise<InferenceSession>;
  /**
   * Makes a tensor that sessions read without further copies where the backend allows it: a
   * GPU buffer under WebGPU (uploaded once, e.g. weights), a CPU tensor otherwise.
   */
  upload(data: NumericArray | Float16Bits, dims: readonly number[]): Tensor;
  /** A CPU tensor (for small per-run inputs); a Uint16Array makes a float16 tensor. */
  tensor(data: NumericArray | Float16Bits, dims: readonly number[]): Tensor;
  /** Reads a tensor back to the host, wherever it lives (float16 as its bits). */
  read(t: Tensor): Promise<NumericArray | Float16Bits>;
  /** Frees device memory held by a tensor this runtime made or a session returned. */
  dispose(t: Tensor): void;
}
