/** The Runtime on onnxruntime-node (tests, benchmarks, the command line). CPU tensors throughout. */
import * as ort from 'onnxruntime-node';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type { NumericArray, Runtime } from './runtime';

export interface NodeRuntimeOptions {
  /** Intra-op threads (default: onnxruntime's choice, all cores). */
  threads?: number;
}

export function createNodeRuntime(opts: NodeRuntimeOptions = {}): Runtime {
  const sessionOptions: InferenceSession.SessionOptions = {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    // Without the arena, freed activations return to the system: resident memory follows use.
    enableCpuMemArena: false,
    ...(opts.threads ? { intraOpNumThreads: opts.threads } : {}),
  };
  const tensor = (data: NumericArray, dims: readonly number[]): Tensor =>
    new ort.Tensor(data, dims) as unknown as Tensor;
  return {
    info: { backend: 'node', threads: opts.threads },
    createSession: (model) =>
      ort.InferenceSession.create(model, sessionOptions) as unknown as Promise<InferenceSession>,
    upload: tensor,
    tensor,
    read: async (t) => t.data as NumericArray,
    dispose: (t) => t.dispose(),
  };
}
