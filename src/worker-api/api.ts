/**
 * The engine's API: what the Web Worker (workers/engine.worker.ts) exposes over comlink and the
 * UI calls through `createEngineClient()`. Arguments and results cross the worker boundary by
 * structured clone, so they are plain data (typed arrays included), never tensors or sessions.
 *
 * Shaped for growth: `init` once per worker, then calls that use the engine (today only the
 * pipeline proof; models and attribution come next).
 */
import type { BackendRequest, OrtEngine, OrtLogLevel } from '../runtime/backend-choice';
import type { ProofResult } from '../runtime/proof';
import type { WebBackendInfo } from '../runtime/web';

export interface InitOptions {
  /** `?backend=`: auto (default), webgpu or wasm. */
  backend?: BackendRequest;
  /** `?ort=`: native (default, onnxruntime-web/webgpu) or jsep (onnxruntime-web). */
  engine?: OrtEngine;
  /** `?ortlog=`: onnxruntime's log level (default error); verbose shows op placement. */
  logLevel?: OrtLogLevel;
}

/** The backend the engine runs on, as the status bar shows it. */
export type EngineInfo = WebBackendInfo;

/** The pipeline proof's result (see src/runtime/proof.ts). */
export type SelfTestResult = ProofResult;

export interface EngineApi {
  /**
   * Starts onnxruntime-web on the requested backend and reports what it uses. Once per worker:
   * calling it again with the same options returns the same info; other options throw (make a
   * new client instead, since onnxruntime's settings are fixed once it has started).
   */
  init(options?: InitOptions): Promise<EngineInfo>;
  /** Builds, runs and checks the pipeline-proof graphs on the engine's backend. */
  selfTest(): Promise<SelfTestResult>;
}
