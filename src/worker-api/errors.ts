/**
 * Errors as the UI shows them. comlink passes only an error's `name` and `message` across the
 * worker boundary, so every failure is turned here into a message a user can act on, with a
 * `name` the UI can branch on. The engine's own errors (model files, prompts, ranges) already
 * say what to do and pass through; what onnxruntime or the browser throws is translated.
 */
import { ModelLoadError } from '../weights/errors';

export type EngineErrorName =
  'AbortError' | 'OutOfMemoryError' | 'DeviceLostError' | 'NoModelError' | 'EngineError';

export class EngineError extends Error {
  constructor(name: EngineErrorName, message: string) {
    super(message);
    this.name = name;
  }
}

/** Errors whose message is written for users already (src/weights, prompts, argument checks). */
const USER_FACING = new Set([
  'PromptError',
  'TemplateError',
  'RangeError',
  'ModelLoadError',
  'SafetensorsError',
  'CheckpointError',
  'ConfigError',
  'UnsupportedModelError',
  'TokenizerError',
  'ModelSourceError',
  'OutOfMemoryError',
  'DeviceLostError',
  'NoModelError',
  'AbortError',
]);

/** What allocation failures look like in V8, WebAssembly, onnxruntime and WebGPU. */
const OUT_OF_MEMORY =
  /out of memory|\boom\b|allocation failed|failed to allocate|bad_alloc|cannot allocate|memory\.grow|maximum memory size|GPUOutOfMemoryError|exceed the GPU's largest buffer/i;

export interface ErrorContext {
  /** Why the GPU device was lost, once it has been. */
  deviceLost?: string;
  /** What was being done, for the generic message ("loading the model"). */
  doing: string;
  /** Size of the model's weights, to say how much memory it needed. */
  checkpointBytes?: number;
}

export function isAbort(e: unknown): boolean {
  return e instanceof Error && e.name === 'AbortError';
}

function messageOf(e: unknown): string {
  if (e instanceof Error) return e.message;
  return typeof e === 'string' ? e : String(e);
}

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20).toLocaleString('en')} MB`;
}

/** The error to hand to the UI for `e`. */
export function toUserError(e: unknown, ctx: ErrorContext): Error {
  if (isAbort(e)) return new EngineError('AbortError', 'Cancelled.');
  if (ctx.deviceLost !== undefined)
    return new EngineError(
      'DeviceLostError',
      `The GPU device was lost (${ctx.deviceLost}), so the model's weights on it are gone. ` +
        'Reload the page to start the engine again; if it happens again, use the WASM backend ' +
        '(add ?backend=wasm to the address).',
    );
  const message = messageOf(e);
  if (e instanceof Error && e.name === 'QuotaExceededError')
    return new EngineError(
      'OutOfMemoryError',
      `The browser's storage is full while ${ctx.doing}: remove downloaded models you no longer ` +
        `need (Model, Downloaded models) or free disk space, then try again. (${message})`,
    );
  if (OUT_OF_MEMORY.test(message) || (e instanceof RangeError && /memory|buffer/i.test(message)))
    return new EngineError(
      'OutOfMemoryError',
      `Out of memory while ${ctx.doing}` +
        (ctx.checkpointBytes
          ? ` (the model's weights take ${megabytes(ctx.checkpointBytes)})`
          : '') +
        '. Pick a smaller model, fewer path steps, or shorter prompts, close other tabs, and ' +
        `reload the page. (${message})`,
    );
  if (e instanceof ModelLoadError || (e instanceof Error && USER_FACING.has(e.name))) {
    const out = new Error(message);
    out.name = (e as Error).name;
    return out;
  }
  return new EngineError('EngineError', `Something went wrong while ${ctx.doing}: ${message}`);
}
