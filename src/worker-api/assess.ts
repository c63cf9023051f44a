/**
 * A model's memory and time before its checkpoint is downloaded: config.json (a few KB) and the
 * checkpoint's size (a one-byte range request for model.safetensors, or the shards' index) are
 * all it reads. The verdict compares them with what this browser's backends allow
 * (src/attribution/fit.ts).
 */
import {
  type BackendLimits,
  type FitReport,
  fitReport,
  flopPerSecond,
  memoryBudget,
} from '../attribution/fit';
import { OutOfMemoryError } from '../model/memory';
import type { RuntimeLimits } from '../runtime/runtime';
import { checkpointSizeFromIndex, configDtype } from '../weights/checkpoint-size';
import { INDEX_FILE, SINGLE_FILE } from '../weights/checkpoint';
import { parseConfig } from '../weights/config';
import { readJsonFile } from '../weights/files';
import type { ModelConfig, ModelSource } from '../weights/types';
import type { WeightDtype } from '../weights/safetensors';

export interface ModelAssessment {
  id: string;
  config: ModelConfig;
  /** The checkpoint's dtype as config.json declares it, if it does. */
  dtype?: WeightDtype;
  /** Bytes the download would take (the safetensors files). */
  checkpointBytes: number;
  report: FitReport;
}

/** What this page's engine runs on, for the backends it could use. */
export interface PageLimits {
  /** The backend the engine started on, its limits and WASM threads. */
  backend: 'webgpu' | 'wasm' | 'node';
  limits: RuntimeLimits;
  threads: number;
  /** navigator.deviceMemory (GiB), when the browser tells it. */
  deviceMemoryGiB?: number;
  /** The WASM heap's size. */
  wasmHeapBytes: number;
}

/** The backends to compare: the running one (WebGPU when it is), and WASM, the fallback. */
export function backendsOf(page: PageLimits): BackendLimits[] {
  const wasm: BackendLimits = {
    backend: 'wasm',
    heapBytes: page.wasmHeapBytes,
    memoryBudget: memoryBudget('wasm', page.deviceMemoryGiB),
    flopPerSecond: flopPerSecond.wasm(page.threads),
  };
  if (page.backend !== 'webgpu') return [wasm];
  const gpu: BackendLimits = {
    backend: 'webgpu',
    // The runtime keeps the smaller of maxBufferSize and maxStorageBufferBindingSize.
    maxBufferSize: page.limits.maxTensorBytes,
    maxStorageBufferBindingSize: page.limits.maxTensorBytes,
    memoryBudget: memoryBudget('webgpu', page.deviceMemoryGiB),
    shaderF16: page.limits.float16,
    flopPerSecond: flopPerSecond.webgpu,
  };
  return [gpu, wasm];
}

/** Reads config.json and the checkpoint's size from `source`, and says whether it fits. */
export async function assessSource(
  source: ModelSource,
  backends: BackendLimits[],
  opts: { float32As16?: boolean } = {},
): Promise<ModelAssessment> {
  const raw = await readJsonFile(source, 'config.json');
  const config = parseConfig(raw);
  const dtype = configDtype(raw);
  const checkpointBytes = await checkpointBytesOf(source);
  const report = fitReport(config, backends, {
    dtype,
    checkpointBytes,
    float32As16: opts.float32As16,
  });
  return { id: source.id, config, ...(dtype ? { dtype } : {}), checkpointBytes, report };
}

/**
 * The checkpoint's size: model.safetensors's, or the index's `metadata.total_size`, else (an
 * index written without it) the sum of its shards' sizes.
 */
async function checkpointBytesOf(source: ModelSource): Promise<number> {
  if (await source.has(SINGLE_FILE)) return (await source.open(SINGLE_FILE)).size;
  if (!(await source.has(INDEX_FILE)))
    throw new Error(
      `"${source.id}" has neither ${SINGLE_FILE} nor ${INDEX_FILE}: this app reads safetensors ` +
        'checkpoints only',
    );
  const index = await readJsonFile(source, INDEX_FILE);
  const size = checkpointSizeFromIndex(index);
  if (size.bytes !== undefined) return size.bytes;
  let bytes = 0;
  for (const name of size.files) bytes += (await source.open(name)).size;
  return bytes;
}

const BACKEND_NAMES: Record<string, string> = { wasm: 'WASM', webgpu: 'WebGPU', node: 'Node' };

/**
 * Throws an OutOfMemoryError when the assessed model does not fit `backend`, the one the engine
 * runs on: what takes too much and what to do, before any tensor data is read.
 */
export function refuseUnfit(a: ModelAssessment, backend: string): void {
  const fit = a.report.fits.find((f) => f.backend === backend);
  if (!fit || fit.fits) return;
  const elsewhere = a.report.best
    ? ` It fits ${BACKEND_NAMES[a.report.best.backend]}: add ?backend=${a.report.best.backend} ` +
      'to the address.'
    : '';
  throw new OutOfMemoryError(
    `${a.id} cannot run on ${BACKEND_NAMES[backend] ?? backend} here: ${fit.problems.join('; ')}. ` +
      `Nothing was read from its checkpoint.${elsewhere}`,
  );
}
