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
  /** The model loaded or being loaded (its id), to say which one ran out of memory. */
  model?: string;
  /** The backend it runs on. */
  backend?: 'webgpu' | 'wasm' | 'node';
  /** The call's settings, when it has them: the number of steps sets the batch's size. */
  settings?: { method: string; steps: number };
  /** Whether float32 weights are (or would be) held as float32, the 16-bit setting being off. */
  float32Weights?: boolean;
}

/** What to try when memory runs out, most helpful first, for the message. */
export function memoryRemedies(ctx: ErrorContext): string[] {
  const out: string[] = [];
  if (ctx.settings && ctx.settings.method !== 'grad-x-act' && ctx.settings.steps > 1)
    out.push(`fewer steps (m = ${ctx.settings.steps} now: the path's rows are run as one batch)`);
  if (ctx.float32Weights)
    out.push('the setting "Load float32 weights as 16-bit", which halves the weights\' memory');
  if (ctx.backend === 'webgpu')
    out.push(
      "the WASM backend (add ?backend=wasm to the address), which uses the computer's memory " +
        "rather than the GPU's",
    );
  out.push('a smaller model', 'closing other tabs, then reloading the page');
  return out;
}

/** "a, b or c". */
const either = (items: string[]) =>
  items.length < 2 ? items.join('') : `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;

const SETTING_NAMES: Record<string, string> = {
  amig: 'AMIG',
  ig: 'integrated gradients',
  'grad-x-act': 'gradient × activation',
};

/** "demo-gpt2 (weights 3.7 MB, on WebGPU) with AMIG at 20 steps", as far as it is known. */
function whatRan(ctx: ErrorContext): string {
  const about = [
    ctx.checkpointBytes ? `the model's weights take ${megabytes(ctx.checkpointBytes)}` : '',
    ctx.backend ? `on ${ctx.backend === 'webgpu' ? 'WebGPU' : ctx.backend.toUpperCase()}` : '',
  ].filter(Boolean);
  const method = ctx.settings && (SETTING_NAMES[ctx.settings.method] ?? ctx.settings.method);
  return (
    (ctx.model ? ` of ${ctx.model}` : '') +
    (about.length ? ` (${about.join(', ')})` : '') +
    (method
      ? ` with ${method}${ctx.settings!.method === 'grad-x-act' ? '' : ` at ${ctx.settings!.steps} steps`}`
      : '')
  );
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
  if (ctx.deviceLost !== undefined) return deviceLostError(ctx.deviceLost, ctx.doing);
  const message = messageOf(e);
  if (e instanceof Error && e.name === 'QuotaExceededError')
    return new EngineError(
      'OutOfMemoryError',
      `The browser's storage is full while ${ctx.doing}: remove downloaded models you no longer ` +
        `need (Model, Downloaded models) or free disk space, then try again. (${message})`,
    );
  if (e instanceof Error && e.name === 'OutOfMemoryError') return passOn(e);
  if (OUT_OF_MEMORY.test(message) || (e instanceof RangeError && /memory|buffer/i.test(message)))
    return new EngineError(
      'OutOfMemoryError',
      `Out of memory while ${ctx.doing}${whatRan(ctx)}. Try ${either(memoryRemedies(ctx))}. ` +
        `(${message})`,
    );
  if (e instanceof ModelLoadError || (e instanceof Error && USER_FACING.has(e.name)))
    return passOn(e as Error);
  return new EngineError('EngineError', `Something went wrong while ${ctx.doing}: ${message}`);
}

/** A user-facing error as it crosses the worker boundary: its name and message. */
function passOn(e: Error): Error {
  const out = new Error(e.message);
  out.name = e.name;
  return out;
}

/**
 * The error of a call the lost GPU device stopped (`doing` what), also used by the client for
 * the calls its worker could not answer any more.
 */
export function deviceLostError(reason: string, doing?: string): EngineError {
  return new EngineError(
    'DeviceLostError',
    `Stopped${doing ? ` while ${doing}` : ''}: the GPU device was lost (${reason}), and the ` +
      "model's weights with it. The engine restarts (on WASM if the GPU does not come back) and " +
      'loads the model again; finished results are kept: run this again then.',
  );
}
