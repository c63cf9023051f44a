import type { InferenceSession, Tensor } from 'onnxruntime-common';

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
  /** Memory limits known before anything is allocated; absent where there are none (Node). */
  memory?: RuntimeMemory;
}

/** What the device can hold, in bytes. */
export interface RuntimeMemory {
  /** The largest single buffer (WebGPU's maxBufferSize and maxStorageBufferBindingSize). */
  largestBuffer?: number;
  /** All the memory the engine may use (the WASM heap). */
  heap?: number;
}

/** onnxruntime-web's WASM heap: a 32-bit WebAssembly memory grows to 4 GiB at most. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

export type NumericArray = Float32Array | Int32Array | BigInt64Array;

/**
 * One interface over onnxruntime-node and onnxruntime-web (WebGPU or WASM). Everything above
 * this layer is runtime-agnostic.
 */
export interface Runtime {
  readonly info: BackendInfo;
  createSession(model: Uint8Array): Promise<InferenceSession>;
  /**
   * Makes a tensor that sessions read without further copies where the backend allows it: a
   * GPU buffer under WebGPU (uploaded once, e.g. weights), a CPU tensor otherwise.
   */
  upload(data: NumericArray, dims: readonly number[]): Tensor;
  /** A CPU tensor (for small per-run inputs). */
  tensor(data: NumericArray, dims: readonly number[]): Tensor;
  /** Reads a tensor back to the host, wherever it lives. */
  read(t: Tensor): Promise<NumericArray>;
  /** Frees device memory held by a tensor this runtime made or a session returned. */
  dispose(t: Tensor): void;
}
