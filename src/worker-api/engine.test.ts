import { countingRuntime } from '../../tests/util/counting-runtime';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { randomModel, tinyConfig } from '../../tests/reference/random-model';
import { attribute } from '../attribution/attribute';
import type { Runtime } from '../runtime/runtime';
import { createNodeRuntime } from '../runtime/node';
import { MemorySource, type ModelSource, writeSafetensors } from '../weights';
import type { AttributionSettings } from '../attribution/settings';
import type { LoadEvent, ModelRequest } from './api';
import { OutOfMemoryError } from '../model/memory';
import { MODEL_PRESETS } from '../../scripts/lib/model-presets';
import { backendsOf } from './assess';
import { Engine } from './engine';
import { toUserError } from './errors';
import { keepBodyErrors } from './model-cache';
import { Runs } from './runs';

const tokenizerJson = readFileSync(
  new URL('../weights/fixtures/gpt2-tokenizer.json', import.meta.url),
  'utf8',
);
const vocabSize = Object.keys(JSON.parse(tokenizerJson).model.vocab).length;
const config = tinyConfig('gpt2', { vocabSize, maxPositions: 32, intermediateSize: 16 });
const PROMPT = 'The capital of France is [MASK] .';
const SETTINGS: AttributionSettings = {
  method: 'amig',
  steps: 4,
  score: 'activation',
  tapMode: 'post-activation',
  multiToken: 'per-token',
};

function hfConfig(overrides: Record<string, unknown> = {}) {
  return JSON.stringify({
    model_type: 'gpt2',
    vocab_size: config.vocabSize,
    n_embd: config.hiddenSize,
    n_layer: config.numLayers,
    n_head: config.numHeads,
    n_inner: config.intermediateSize,
    n_positions: config.maxPositions,
    activation_function: 'gelu_new',
    layer_norm_epsilon: config.layerNormEps,
    ...overrides,
  });
}

const checkpoint = writeSafetensors(Object.fromEntries(randomModel(config, 3, { std: 0.5 })));

function files(overrides: Record<string, Uint8Array | string | undefined> = {}) {
  const all: Record<string, Uint8Array | string | undefined> = {
    'config.json': hfConfig(),
    'tokenizer.json': tokenizerJson,
    'model.safetensors': checkpoint,
    ...overrides,
  };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined)) as Record<
    string,
    Uint8Array | string
  >;
}

function engineWith(sources: Record<string, ModelSource>, runtime?: Runtime) {
  return new Engine(runtime ?? createNodeRuntime({ threads: 1 }), async (req: ModelRequest) => {
    const name = req.kind === 'bundled' ? req.name : req.kind === 'hub' ? req.id : req.label;
    const s = sources[name];
    if (!s) throw new Error(`no test source ${name}`);
    return s;
  });
}

const signal = () => new AbortController().signal;

describe('Engine', () => {
  it('loads a model, reports progress and info, and keys it by its files', async () => {
    const engine = engineWith({
      a: new MemorySource('a', files()),
      b: new MemorySource('a', files({ 'config.json': hfConfig({ layer_norm_epsilon: 1e-6 }) })),
    });
    const events: LoadEvent[] = [];
    const info = await engine.load({ kind: 'bundled', name: 'a' }, signal(), (e) => events.push(e));
    expect(info).toMatchObject({
      id: 'a',
      kind: 'bundled',
      config: {
        family: 'gpt2',
        numLayers: config.numLayers,
        intermediateSize: config.intermediateSize,
        vocabSize,
      },
      backend: 'node',
      checkpointBytes: checkpoint.length,
    });
    expect(info.key).toMatch(/^a#\w+$/);
    const read = events.filter((e) => e.phase === 'read');
    expect(read.at(-1)).toMatchObject({
      loadedBytes: checkpoint.length,
      totalBytes: checkpoint.length,
    });
    expect(events.at(-1)?.phase).toBe('prepare');

    const again = await engine.load({ kind: 'bundled', name: 'a' }, signal());
    expect(again.key).toBe(info.key);
    const other = await engine.load({ kind: 'bundled', name: 'b' }, signal());
    expect(other.id).toBe('a');
    expect(other.key).not.toBe(info.key);
    await engine.unloadModel();
    expect(engine.info).toBeUndefined();
  });

  it('loads float32 weights as 16-bit on request: half the bytes, a key and a name of their own', async () => {
    const engine = engineWith({ a: new MemorySource('a', files()) });
    const plain = await engine.load({ kind: 'bundled', name: 'a' }, signal());
    expect(plain.label).toBe('a');
    expect(plain.weights).toMatchObject({ float16Bytes: 0, rounded: false });
    const half = await engine.load({ kind: 'bundled', name: 'a', float32As16: true }, signal());
    expect(half.id).toBe('a');
    expect(half.label).toBe('a (float32 weights as 16-bit)');
    expect(half.weights).toMatchObject({ rounded: true, float16Bytes: half.weights.deviceBytes });
    expect(half.weights.deviceBytes * 2).toBe(plain.weights.deviceBytes);
    // Results of rounded weights are never taken for the float32 model's.
    expect(half.key).not.toBe(plain.key);
    const map = await engine.attribute(
      { runId: 'r', prompt: PROMPT, object: 'Paris', settings: SETTINGS },
      signal(),
    );
    expect(map.model).toBe(half.label);
  });

  it('refuses a folder from disk that does not fit the backend before reading its tensors', async () => {
    // mGPT's shapes as float32 on WASM in a tab that may use 4 GiB; its checkpoint unreadable.
    const big = new MemorySource('local:mgpt', {
      'config.json': JSON.stringify({ ...MODEL_PRESETS.mgpt, torch_dtype: 'float32' }),
      'tokenizer.json': tokenizerJson,
    });
    const streamed: string[] = [];
    const unreadable = (name: string, size: number) => ({
      name,
      size,
      stream: () => {
        streamed.push(name);
        throw new Error('tensor data must not be read');
      },
      slice: async () => {
        streamed.push(name);
        throw new Error('tensor data must not be read');
      },
    });
    const mgpt: ModelSource = {
      id: 'local:mgpt',
      has: async (n) => n === 'model.safetensors' || big.has(n),
      open: async (n) => (n === 'model.safetensors' ? unreadable(n, 5_300_000_000) : big.open(n)),
    };
    const wasm: Runtime = { ...createNodeRuntime({ threads: 1 }), info: { backend: 'wasm' } };
    const backends = backendsOf({
      backend: 'wasm',
      limits: wasm.limits,
      threads: 1,
      deviceMemoryGiB: 4,
      wasmHeapBytes: 4 * 2 ** 30,
    });
    const sources: Record<string, ModelSource> = { mgpt, tiny: new MemorySource('a', files()) };
    const engine = new Engine(wasm, async (req) => sources[(req as { label: string }).label], {
      backends,
    });
    const refused = await engine.load({ kind: 'files', label: 'mgpt' }, signal()).catch((e) => e);
    expect(refused).toBeInstanceOf(OutOfMemoryError);
    expect(refused.message).toMatch(
      /^local:mgpt cannot run on WASM here: .+ more than the 4\.0 GiB this tab may use: load the float32 weights as 16-bit\. Nothing was read/,
    );
    expect(streamed).toEqual([]);
    expect(engine.info).toBeUndefined();
    // A folder that fits loads as before.
    const info = await engine.load({ kind: 'files', label: 'tiny' }, signal());
    expect(info.weights.deviceBytes).toBeGreaterThan(0);
  });

  it('passes load errors through with messages that say what to do, and frees what it uploaded', async () => {
    const { runtime, live } = countingRuntime();
    const engine = engineWith(
      {
        gemma: new MemorySource('gemma', files({ 'config.json': '{"model_type": "gemma"}' })),
        notok: new MemorySource('notok', files({ 'tokenizer.json': undefined })),
        cut: new MemorySource('cut', files({ 'model.safetensors': checkpoint.slice(0, 5000) })),
      },
      runtime,
    );
    const load = (name: string) => engine.load({ kind: 'bundled', name }, signal());
    await expect(load('gemma')).rejects.toMatchObject({
      name: 'UnsupportedModelError',
      message: expect.stringMatching(/"gemma" is not supported; supported model types: bert/),
    });
    await expect(load('notok')).rejects.toThrow(/tokenizer\.json/);
    await expect(load('cut')).rejects.toMatchObject({ name: 'SafetensorsError' });
    expect(live.size).toBe(0);
    // Cancelled halfway through the checkpoint: the tensors uploaded so far are freed.
    const abort = new AbortController();
    const slow = engineWith({ a: new MemorySource('a', files(), { chunkSize: 1024 }) }, runtime);
    const cancelled = slow.load({ kind: 'bundled', name: 'a' }, abort.signal, (e) => {
      if (e.phase === 'read' && live.size > 0) abort.abort(new DOMException('x', 'AbortError'));
    });
    await expect(cancelled).rejects.toMatchObject({ name: 'AbortError' });
    expect(live.size).toBe(0);
    expect(engine.info).toBeUndefined();
  });

  it('estimates the counts the attribution will execute, and says why a prompt cannot run', async () => {
    const engine = engineWith({ a: new MemorySource('a', files()) });
    await engine.load({ kind: 'bundled', name: 'a' }, signal());
    const est = await engine.estimate({
      prompts: [
        { prompt: PROMPT, object: 'Paris' },
        { prompt: 'no mask here', object: 'Paris' },
      ],
      settings: SETTINGS,
    });
    const [good, bad] = est.items;
    if (!good.ok || bad.ok) throw new Error('expected one good and one bad prompt');
    expect(bad.error).toMatch(/has no \[MASK\]/);
    expect(good.counts.forwardTokens).toBeGreaterThan(good.counts.forward);
    expect(good.seconds).toBeGreaterThan(0);
    expect(est.total).toMatchObject({ prompts: 1, passes: good.passes, counts: good.counts });
    expect(est.benchmark.forwardSeconds).toBeGreaterThan(0);
    expect(est.benchmark.backwardSeconds).toBeGreaterThan(0);
    expect(await engine.benchmark()).toBe(est.benchmark); // measured once per model

    const result = await engine.attribute(
      { runId: 'r', prompt: PROMPT, object: 'Paris', settings: SETTINGS },
      signal(),
    );
    expect(result.counts).toEqual(good.counts);
  });

  it('attributes like the engine called directly, and stops when cancelled', async () => {
    const runtime = createNodeRuntime({ threads: 1 });
    const engine = engineWith({ a: new MemorySource('a', files()) }, runtime);
    await engine.load({ kind: 'bundled', name: 'a' }, signal());
    const progress: number[] = [];
    const result = await engine.attribute(
      { runId: 'r', prompt: PROMPT, object: 'Paris', settings: SETTINGS },
      signal(),
      (p) => progress.push(p.done / p.total),
    );
    expect(progress.at(-1)).toBe(1);
    const { loadModel } = await import('../model');
    const direct = await attribute(
      await loadModel(new MemorySource('a', files()), runtime),
      PROMPT,
      'Paris',
      SETTINGS,
    );
    expect(Array.from(result.scores)).toEqual(Array.from(direct.scores));
    expect(result.probability).toBeCloseTo(direct.probability, 6);

    const runs = new Runs();
    let started = 0;
    const running = runs.run('x', (s) =>
      engine.attribute(
        { runId: 'x', prompt: PROMPT, object: 'Paris', settings: SETTINGS },
        s,
        () => {
          if (++started === 1) runs.cancel('x');
        },
      ),
    );
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('predicts and projects value vectors on the loaded model', async () => {
    const engine = engineWith({ a: new MemorySource('a', files()) });
    await expect(engine.valueVectorTokens({ layer: 0, unit: 0, k: 3 })).rejects.toMatchObject({
      name: 'NoModelError',
    });
    await engine.load({ kind: 'bundled', name: 'a' }, signal());
    const [plain, suppressed] = await engine.predict({
      prompt: PROMPT,
      object: 'Paris',
      topK: 3,
      variants: [[], [{ layer: 0, unit: 1, factor: 0 }]],
    });
    expect(plain.slots[0].top).toHaveLength(3);
    expect(suppressed.probability).not.toBe(plain.probability);
    const tokens = await engine.valueVectorTokens({ layer: 1, unit: 2, k: 4 });
    expect(tokens).toHaveLength(4);
    expect(tokens[0].score).toBeGreaterThanOrEqual(tokens[3].score);
  });
});

describe('Runs', () => {
  it('runs calls one after another and rejects a call cancelled while it waits', async () => {
    const runs = new Runs();
    const order: string[] = [];
    let release!: () => void;
    const first = runs.run('a', async () => {
      order.push('a start');
      await new Promise<void>((r) => (release = r));
      order.push('a end');
    });
    const second = runs.run('b', async () => void order.push('b'));
    const third = runs.run('c', async () => void order.push('c'));
    runs.cancel('b');
    await Promise.resolve();
    release();
    await first;
    await expect(second).rejects.toMatchObject({ name: 'AbortError' });
    await third;
    expect(order).toEqual(['a start', 'a end', 'c']);
    expect(() => runs.run('c', async () => {})).not.toThrow(); // ids are free again
  });
});

describe('toUserError', () => {
  const ctx = { doing: 'running the attribution', checkpointBytes: 700 * 2 ** 20 };
  it('explains running out of memory', () => {
    const e = toUserError(new RangeError('Array buffer allocation failed'), ctx);
    expect(e.name).toBe('OutOfMemoryError');
    expect(e.message).toMatch(
      /^Out of memory while running the attribution \(the model's weights take 700 MB\)/,
    );
    expect(toUserError(new Error('Aborted(OOM)'), ctx).name).toBe('OutOfMemoryError');
  });
  it('explains a lost GPU device, whatever the error it caused', () => {
    const e = toUserError(new Error('Buffer is invalid'), {
      ...ctx,
      deviceLost: 'unknown: GPU hung',
    });
    expect(e.name).toBe('DeviceLostError');
    expect(e.message).toMatch(
      /^Stopped while running the attribution: the GPU device was lost \(unknown: GPU hung\).*The engine restarts \(on WASM if the GPU does not come back\)/,
    );
  });
  it('keeps cancellations and user-facing errors, and wraps the rest', () => {
    expect(toUserError(new DOMException('x', 'AbortError'), ctx).name).toBe('AbortError');
    const prompt = Object.assign(new Error('The prompt has no [MASK].'), { name: 'PromptError' });
    expect(toUserError(prompt, ctx)).toMatchObject({
      name: 'PromptError',
      message: prompt.message,
    });
    expect(toUserError(new TypeError('x is undefined'), ctx)).toMatchObject({
      name: 'EngineError',
      message: 'Something went wrong while running the attribution: x is undefined',
    });
  });
});

describe('keepBodyErrors', () => {
  it("rethrows the body's own error when the cache refuses a failed body", async () => {
    const stored: Response[] = [];
    // A stand-in for Cache Storage: reads the body like the browser, and fails like it.
    const cache = {
      async put(_req: RequestInfo | URL, res: Response) {
        try {
          await res.arrayBuffer();
        } catch {
          throw new TypeError("Failed to execute 'put' on 'Cache': network error");
        }
        stored.push(res);
      },
      async match() {
        return undefined;
      },
    } as unknown as Cache;
    const kept = keepBodyErrors(cache);
    const cut = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array(3));
        c.error(new Error('The download of x was cut short: 3 of 9 bytes arrived'));
      },
    });
    await expect(kept.put('https://x/a', new Response(cut))).rejects.toThrow(/cut short: 3 of 9/);
    await kept.put('https://x/b', new Response('fine'));
    expect(stored).toHaveLength(1);
    expect(await kept.match('https://x/b')).toBeUndefined(); // other methods pass through
  });
});
