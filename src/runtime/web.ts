/**
 * The `Runtime` on onnxruntime-web, for the browser (it runs inside the engine's Web Worker).
 *
 * Backend: WebGPU or WASM, chosen by `decideBackend` from the request (`?backend=`) and the
 * adapter the browser offers. Under WebGPU, float tensors made with `upload` live in GPU
 * buffers created on onnxruntime's own device, so weights are uploaded once and fed to every
 * session, and sessions leave their outputs on the GPU (`preferredOutputLocation:
 * 'gpu-buffer'`) so that one graph's output feeds the next without a round trip. WASM uses up
 * to 4 threads where the page is cross-origin isolated. docs/runtime.md explains the choices.
 */
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import type * as OrtModule from 'onnxruntime-web';
import type { ExternalData } from '../graph/merge';
import {
  decideBackend,
  describeAdapter,
  ortBuild,
  wasmThreads,
  type AdapterProbe,
  type BackendDecision,
  type BackendRequest,
  type OrtBuild,
  type OrtEngine,
  type OrtLogLevel,
} from './backend-choice';
import {
  type BackendInfo,
  type Float16Bits,
  type NumericArray,
  type Runtime,
  type RuntimeLimits,
  WASM_HEAP_BYTES,
} from './runtime';
import { negModel } from './tiny-onnx';

type Ort = typeof OrtModule;
export type { OrtLogLevel };

export interface WebRuntimeOptions {
  /** `auto` (default): WebGPU on a hardware adapter, WASM otherwise. */
  backend?: BackendRequest;
  /** The WebGPU engine, `native` or `jsep`; when given, its build runs WASM too (ortBuild). */
  engine?: OrtEngine;
  /** onnxruntime's log level (it logs to console.error at every level). Default `error`. */
  logLevel?: OrtLogLevel;
  /** WASM threads asked for (`?threads=`); default: wasmThreads's choice. */
  threads?: number;
  /** How to ask for a WebGPU adapter (tests make it fail); default `navigator.gpu`'s. */
  requestAdapter?: (options: GPURequestAdapterOptions) => Promise<GPUAdapter | null>;
}

/** `BackendInfo` plus what the browser runtime knows beyond it. */
export interface WebBackendInfo extends BackendInfo {
  backend: 'webgpu' | 'wasm';
  requested: BackendRequest;
  /** The onnxruntime-web build loaded. */
  build: OrtBuild;
  ortVersion: string;
  crossOriginIsolated: boolean;
  /** Whether the WebGPU adapter offers `shader-f16` (fp16 models need it). */
  shaderF16?: boolean;
}

/** Loads one onnxruntime-web build; each is its own chunk with its own .wasm asset. */
async function loadOrt(build: OrtBuild): Promise<Ort> {
  if (build === 'wasm') return import('onnxruntime-web/wasm');
  return build === 'jsep' ? import('onnxruntime-web') : import('onnxruntime-web/webgpu');
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

async function probeAdapter(
  request?: WebRuntimeOptions['requestAdapter'],
): Promise<{ probe: AdapterProbe; adapter?: GPUAdapter }> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) return { probe: { api: false, adapter: false, fallbackAdapter: false } };
  let adapter: GPUAdapter | null = null;
  try {
    const options: GPURequestAdapterOptions = { powerPreference: 'high-performance' };
    adapter = await (request ? request(options) : gpu.requestAdapter(options));
  } catch {
    adapter = null;
  }
  if (!adapter) return { probe: { api: true, adapter: false, fallbackAdapter: false } };
  return { probe: { api: true, adapter: true, fallbackAdapter: isFallback(adapter) }, adapter };
}

function isFallback(adapter: GPUAdapter): boolean {
  // `info.isFallbackAdapter` is current; `GPUAdapter.isFallbackAdapter` is the older place.
  const legacy = (adapter as unknown as { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return adapter.info?.isFallbackAdapter ?? legacy ?? false;
}

/**
 * Creates a session of the one-node model on `ep` and checks its output: starts the backend.
 * The session is returned to be kept open: the native WebGPU EP destroys its device when its
 * last session is released, and a later session would get a new device that the buffers made
 * by `upload` do not belong to.
 */
async function warmUp(ort: Ort, ep: 'webgpu' | 'wasm'): Promise<InferenceSession> {
  const session = await ort.InferenceSession.create(negModel(), { executionProviders: [ep] });
  try {
    const x = new ort.Tensor('float32', Float32Array.of(1, -2, 3), [3]);
    const { y } = await session.run({ x });
    const data = (await y.getData()) as Float32Array;
    if (data[0] !== -1 || data[1] !== 2 || data[2] !== -3) {
      throw new Error(`the ${ep} backend computed Neg(1, -2, 3) = ${Array.from(data)}`);
    }
    return session;
  } catch (e) {
    await session.release();
    throw e;
  }
}

/** Starts onnxruntime-web on the requested backend (falling back to WASM) and returns the runtime. */
export async function createWebRuntime(options: WebRuntimeOptions = {}): Promise<WebRuntime> {
  const requested = options.backend ?? 'auto';
  let decision: BackendDecision = { backend: 'wasm' };
  let adapter: GPUAdapter | undefined;
  if (requested !== 'wasm') {
    const probed = await probeAdapter(options.requestAdapter);
    decision = decideBackend(requested, probed.probe);
    adapter = probed.adapter;
  }
  // (A WebGPU build that fails below runs WASM itself: one build per worker.)
  const build = ortBuild(decision.backend, options.engine);
  const ort = await loadOrt(build);
  ort.env.logLevel = options.logLevel ?? 'error';
  const isolated = globalThis.crossOriginIsolated === true;
  const threads = wasmThreads(isolated, globalThis.navigator?.hardwareConcurrency, options.threads);
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false; // already off the main thread

  let device: GPUDevice | undefined;
  let keepAlive: InferenceSession | undefined;
  if (decision.backend === 'webgpu' && adapter) {
    try {
      // Both engines take the adapter from here and create their device on the first WebGPU
      // session; the device is readable only after that, hence the warm-up.
      ort.env.webgpu.adapter = adapter;
      keepAlive = await warmUp(ort, 'webgpu');
      device = await ort.env.webgpu.device;
      if (!device) throw new Error('onnxruntime created no GPU device');
    } catch (e) {
      decision = { backend: 'wasm', fallbackReason: `WebGPU: ${errorText(e)}` };
      device = undefined;
      await keepAlive?.release();
      keepAlive = undefined;
    }
  }
  if (decision.backend === 'wasm') keepAlive = await warmUp(ort, 'wasm');

  const info: WebBackendInfo = {
    backend: decision.backend,
    requested,
    build,
    ortVersion: ort.env.versions.web ?? ort.env.versions.common,
    crossOriginIsolated: isolated,
    threads,
  };
  if (decision.fallbackReason) info.fallbackReason = decision.fallbackReason;
  if (device && adapter) {
    const fallbackAdapter = isFallback(adapter);
    const shaderF16 = adapter.features.has('shader-f16');
    // The device's own adapterInfo names the adapter onnxruntime actually used.
    const adapterInfo =
      (device as Partial<Pick<GPUDevice, 'adapterInfo'>>).adapterInfo ?? adapter.info;
    info.adapter = describeAdapter(adapterInfo ?? {}, fallbackAdapter, shaderF16);
    info.fallbackAdapter = fallbackAdapter;
    info.shaderF16 = shaderF16;
    // The engine's WASM threads still run CPU-placed ops, but the status bar shows the GPU.
  }
  return new WebRuntime(ort, info, device, keepAlive);
}

/** Reads the first `bytes` bytes of a GPU buffer back to the host. */
async function download(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<ArrayBuffer> {
  const size = buffer.size;
  const staging = device.createBuffer({
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  try {
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, size);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    return staging.getMappedRange().slice(0, bytes);
  } finally {
    staging.destroy();
  }
}

/** Whether a WebGPU error is an allocation failure (the class exists only where WebGPU does). */
const isGpuOutOfMemory = (e: GPUError | null): e is GPUError =>
  !!e && typeof GPUOutOfMemoryError !== 'undefined' && e instanceof GPUOutOfMemoryError;

export class WebRuntime implements Runtime {
  readonly limits: RuntimeLimits;

  /**
   * A GPU allocation that failed since the last check: WebGPU reports them asynchronously (error
   * scopes, uncaptured errors), so the next session or read throws it instead of computing on a
   * buffer that was never made.
   */
  private gpuOutOfMemory: string | undefined;

  constructor(
    private readonly ort: Ort,
    readonly info: WebBackendInfo,
    /** onnxruntime's GPU device under WebGPU; undefined under WASM. */
    readonly device: GPUDevice | undefined,
    /** The warm-up session, kept open so that onnxruntime keeps its device (see warmUp). */
    readonly keepAlive?: InferenceSession,
  ) {
    this.limits = device
      ? {
          // Cast from float16 needs f16 shaders (SwiftShader lacks them): widen without.
          float16: device.features.has('shader-f16'),
          maxTensorBytes: Math.min(
            device.limits.maxBufferSize,
            device.limits.maxStorageBufferBindingSize,
          ),
        }
      : {
          float16: true,
          maxTensorBytes: WASM_HEAP_BYTES,
          heapBytes: WASM_HEAP_BYTES,
          copiesFeeds: true,
        };
    // onnxruntime's own buffers: an allocation it makes without an error scope lands here.
    device?.addEventListener('uncapturederror', (e) => {
      if (isGpuOutOfMemory(e.error)) this.noteOutOfMemory(e.error);
    });
  }

  private noteOutOfMemory(e: GPUError): void {
    this.gpuOutOfMemory ??= e.message || 'a GPU buffer could not be allocated';
  }

  /** Throws the GPU allocation failure noted since the last check, once. */
  private checkGpuMemory(): void {
    const message = this.gpuOutOfMemory;
    if (message === undefined) return;
    this.gpuOutOfMemory = undefined;
    throw new Error(`GPUOutOfMemoryError: ${message}`);
  }

  /**
   * onnxruntime-web's WebGPU EP refuses to create a session while another is being created, and
   * a model creates its graphs' sessions together: queue them.
   */
  createSession(
    model: Uint8Array,
    externalData?: readonly ExternalData[],
  ): Promise<InferenceSession> {
    const next = this.sessionQueue.then(() => this.createSessionNow(model, externalData));
    this.sessionQueue = next.catch(() => {});
    return next;
  }

  private sessionQueue: Promise<unknown> = Promise.resolve();

  private async createSessionNow(
    model: Uint8Array,
    externalData?: readonly ExternalData[],
  ): Promise<InferenceSession> {
    this.checkGpuMemory();
    const options: InferenceSession.SessionOptions = {
      executionProviders: [this.info.backend],
      graphOptimizationLevel: 'all',
    };
    if (externalData?.length) options.externalData = externalData;
    if (this.device) options.preferredOutputLocation = 'gpu-buffer';
    const session = await this.ort.InferenceSession.create(model, options);
    if (this.device && (await this.ort.env.webgpu.device) !== this.device) {
      await session.release();
      throw new Error('onnxruntime changed its GPU device: uploaded tensors are no longer usable');
    }
    return session;
  }

  upload(data: NumericArray | Float16Bits, dims: readonly number[]): Tensor {
    const device = this.device;
    const float = data instanceof Float32Array || data instanceof Uint16Array;
    if (!device || !float || data.length === 0) return this.tensor(data, dims);
    checkSize(data.length, dims);
    if (data.byteLength > this.limits.maxTensorBytes) {
      throw new Error(
        `upload: ${data.byteLength} bytes exceed the GPU's largest buffer (${this.limits.maxTensorBytes})`,
      );
    }
    // WebGPU buffer sizes are multiples of 4 bytes: an odd count of float16 values pads one.
    const size = Math.ceil(data.byteLength / 4) * 4;
    device.pushErrorScope('out-of-memory');
    const buffer = device.createBuffer({
      size,
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
    if (size === data.byteLength)
      device.queue.writeBuffer(buffer, 0, data.buffer, data.byteOffset, data.byteLength);
    else {
      const padded = new Uint8Array(size);
      padded.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
      device.queue.writeBuffer(buffer, 0, padded);
    }
    void device.popErrorScope().then(
      (e) => isGpuOutOfMemory(e) && this.noteOutOfMemory(e),
      () => {}, // a lost device: its own event reports it
    );
    const byteLength = data.byteLength;
    if (data instanceof Uint16Array)
      return this.ort.Tensor.fromGpuBuffer(buffer, {
        dataType: 'float16',
        dims,
        download: async () => new Uint16Array(await download(device, buffer, byteLength)),
        dispose: () => buffer.destroy(),
      });
    return this.ort.Tensor.fromGpuBuffer(buffer, {
      dataType: 'float32',
      dims,
      download: async () => new Float32Array(await download(device, buffer, byteLength)),
      dispose: () => buffer.destroy(),
    });
  }

  tensor(data: NumericArray | Float16Bits, dims: readonly number[]): Tensor {
    checkSize(data.length, dims);
    if (data instanceof Float32Array) return new this.ort.Tensor('float32', data, dims);
    if (data instanceof Uint16Array) return new this.ort.Tensor('float16', data, dims);
    if (data instanceof Int32Array) return new this.ort.Tensor('int32', data, dims);
    return new this.ort.Tensor('int64', data, dims);
  }

  async read(t: Tensor): Promise<NumericArray | Float16Bits> {
    this.checkGpuMemory();
    const data = await t.getData();
    if (
      data instanceof Float32Array ||
      data instanceof Int32Array ||
      data instanceof BigInt64Array
    ) {
      return data;
    }
    // float16 data comes as a Float16Array where the browser has one: the same bits.
    if (t.type === 'float16') {
      const view = data as unknown as Uint16Array;
      return new Uint16Array(view.buffer, view.byteOffset, view.length);
    }
    throw new Error(`read: tensor of type ${t.type} is not float32, float16, int32 or int64`);
  }

  dispose(t: Tensor): void {
    t.dispose();
  }
}

function checkSize(length: number, dims: readonly number[]): void {
  const n = dims.reduce((a, d) => a * d, 1);
  if (n !== length)
    throw new Error(`tensor of ${length} values does not fill dims [${dims.join(', ')}]`);
}
