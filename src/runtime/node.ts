/** The Runtime on onnxruntime-node (tests, benchmarks, the command line). CPU tensors throughout. */
import * as ort from 'onnxruntime-node';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { inlineExternalData } from '../graph/merge';
import type { Float16Bits, NumericArray, Runtime } from './runtime';

export interface NodeRuntimeOptions {
  /** Intra-op threads (default: onnxruntime's choice, all cores). */
  threads?: number;
  /**
   * Pretend the device holds no tensor above this many bytes (default: no limit), so that the
   * splitting of large tables (as under WebGPU's buffer limits) is tested on the CPU.
   */
  maxTensorBytes?: number;
  /** Pretend float16 cannot be decoded (as on a GPU without shader-f16): weights widen. */
  noFloat16?: boolean;
  /** Treat fed tensors as copied at each run (as onnxruntime-web's WASM backend does). */
  copiesFeeds?: boolean;
  /**
   * Decode 16-bit weights to float32 on the host before each run (default true); false: the
   * graphs decode them, as under onnxruntime-web (to compare the two).
   */
  decodesOnHost?: boolean;
  /** The float32 bytes of a 16-bit table's decode block (default NODE_DECODE_BLOCK_BYTES). */
  decodeBlockBytes?: number;
}

/**
 * 16-bit tables are decoded in row blocks of at most this many float32 bytes: below glibc's
 * largest mmap threshold (32 MiB), so the allocator reuses the memory of the last run's blocks
 * instead of mapping (and faulting in) fresh pages at every run.
 */
export const NODE_DECODE_BLOCK_BYTES = 8 * 2 ** 20;

export function createNodeRuntime(opts: NodeRuntimeOptions = {}): Runtime {
  const sessionOptions: InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    // Without the arena, freed activations return to the system: resident memory follows use.
    enableCpuMemArena: false,
    ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
  };
  const tensor = (data: NumericArray | Float16Bits, dims: readonly number[]): Tensor =>
    (data instanceof Uint16Array
      ? new ort.Tensor('float16', data, dims)
      : new ort.Tensor(data, dims)) as unknown as Tensor;
  return {
    info: { backend: 'node', threads: opts.threads },
    limits: {
      float16: !opts.noFloat16,
      maxTensorBytes: opts.maxTensorBytes ?? Number.POSITIVE_INFINITY,
      ...(opts.copiesFeeds ? { copiesFeeds: true } : {}),
      decodesOnHost: opts.decodesOnHost ?? true,
      decodeBlockBytes: opts.decodeBlockBytes ?? NODE_DECODE_BLOCK_BYTES,
    },
    createSession: (model, externalData) =>
      ort.InferenceSession.create(
        externalData?.length ? inlineExternalData(model, externalData) : model,
        sessionOptions,
      ) as unknown as Promise<InferenceSession>,
    upload: tensor,
    tensor,
    read: async (t) => t.data as NumericArray | Float16Bits,
    dispose: (t) => t.dispose(),
  };
}
