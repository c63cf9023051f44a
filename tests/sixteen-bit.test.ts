/**
 * 16-bit weights end to end: checkpoints stored as BF16 or F16 (and F32 loaded as 16-bit on
 * request) stay 16-bit on the device, and their maps, predictions, projections and edits agree
 * with float32 arithmetic on the very same rounded weights, loaded as a float32 checkpoint.
 * Maps are checked with the weights decoded both ways: on the host before each run (as
 * onnxruntime-node does) and by the graphs (as onnxruntime-web does). Also: tables split into row
 * blocks (a device tensor limit) and a device without float16.
 */
import { readFileSync } from 'node:fs';
import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { describe, expect, it } from 'vitest';
import { attribute } from '../src/attribution/attribute';
import { predict } from '../src/attribution/predict';
import { encodePrompt } from '../src/attribution/prompt';
import { type WeightEdit, editValueVectors } from '../src/analysis/edits';
import { ValueProjector } from '../src/analysis/projection';
import { type LoadOptions, type Model, loadModel } from '../src/model';
import { createNodeRuntime, type NodeRuntimeOptions } from '../src/runtime/node';
import type { Runtime } from '../src/runtime/runtime';
import { MemorySource, type WeightDtype, writeSafetensors } from '../src/weights';
import {
  bf16ToHalf,
  decodeHalf,
  floatToBf16Bits,
  floatToHalfBits,
  halfTable,
  roundToHalf,
} from '../src/weights/half';
import type { HostTensor, ModelConfig } from '../src/weights/types';
import { hfConfigJson } from '../scripts/lib/bench-model-folder';
import { parseConfig } from '../src/weights/config';
import {
  randomLlamaModel,
  randomModel,
  tinyConfig,
  tinyLlamaConfig,
} from './reference/random-model';
import { fixtureTokenizer } from './reference/tiny-model';

type Family = 'bert' | 'gpt2';

const FIXTURE: Record<Family, string> = { bert: 'bert', gpt2: 'gpt2' };
const PROMPT: Record<Family, [string, string]> = {
  bert: ['The capital of France is [MASK] .', 'Paris'],
  gpt2: ['The capital of France is [MASK]', 'Paris'],
};

function tokenizerJson(family: Family): string {
  return readFileSync(
    new URL(`../src/weights/fixtures/${FIXTURE[family]}-tokenizer.json`, import.meta.url),
    'utf8',
  );
}

function configOf(family: Family, overrides: Partial<ModelConfig> = {}): ModelConfig {
  const vocabSize = Object.keys(JSON.parse(tokenizerJson(family)).model.vocab).length;
  return tinyConfig(family, {
    vocabSize,
    maxPositions: 32,
    intermediateSize: 16,
    numLayers: 3,
    ...overrides,
  });
}

/** A model folder in memory: config.json, tokenizer.json and one checkpoint. */
function folder(
  family: Family,
  tensors: Record<string, HostTensor>,
  dtype: WeightDtype,
  cfg: ModelConfig = configOf(family),
) {
  const checkpoint = writeSafetensors(
    Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, { ...t, dtype }])),
  );
  return new MemorySource(`tiny-${family}-${dtype}`, {
    'config.json': JSON.stringify(hfConfigJson(cfg)),
    'tokenizer.json': tokenizerJson(family),
    'model.safetensors': checkpoint,
  });
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);
const bf16Value = (v: number) => ((U32[0] = floatToBf16Bits(v) << 16), F32[0]);
const f16Value = (v: number) => ((U32[0] = halfTable()[floatToHalfBits(v)]), F32[0]);

/** Each tensor's values as `round` makes them: the weights a 16-bit checkpoint holds. */
function rounded(
  tensors: Map<string, HostTensor>,
  round: (data: Float32Array) => Float32Array,
): Record<string, HostTensor> {
  return Object.fromEntries(
    [...tensors].map(([name, t]) => [name, { dims: t.dims, data: round(t.data) }]),
  );
}

const relativeDiff = (a: Float32Array, b: Float32Array) => {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(b[i]));
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
  }
  return worst / scale;
};

async function load(source: MemorySource, opts: LoadOptions = {}, rt: NodeRuntimeOptions = {}) {
  return loadModel(source, createNodeRuntime({ threads: 1, ...rt }), opts);
}

async function mapOf(model: Model, family: Family) {
  const [prompt, object] = PROMPT[family];
  return attribute(model, prompt, object, { steps: 6 });
}

interface Pair {
  sixteen: Model;
  float32: Model;
}

/**
 * The three ways to 16-bit weights, each with its float32 twin on the same rounded values;
 * `rt` is how the 16-bit model's runtime is made (e.g. whether it decodes on the host).
 */
async function pairs(family: Family, rt: NodeRuntimeOptions = {}): Promise<[string, Pair][]> {
  const weights = randomModel(configOf(family), 11, { std: 0.5 });
  const plain = Object.fromEntries(weights);
  return [
    [
      'a BF16 checkpoint',
      {
        sixteen: await load(folder(family, plain, 'BF16'), {}, rt),
        float32: await load(
          folder(
            family,
            rounded(weights, (d) => d.map(bf16Value)),
            'F32',
          ),
        ),
      },
    ],
    [
      'an F16 checkpoint',
      {
        sixteen: await load(folder(family, plain, 'F16'), {}, rt),
        float32: await load(
          folder(
            family,
            rounded(weights, (d) => d.map(f16Value)),
            'F32',
          ),
        ),
      },
    ],
    [
      'an F32 checkpoint loaded as 16-bit',
      {
        sixteen: await load(folder(family, plain, 'F32'), { float32As16: true }, rt),
        float32: await load(
          folder(
            family,
            rounded(weights, (d) => decodeHalf(roundToHalf(d))),
            'F32',
          ),
        ),
      },
    ],
  ];
}

/** Both ways of decoding 16-bit weights: on the host (onnxruntime-node), in the graphs (web). */
const DECODES = [
  ['decoded on the host', { decodesOnHost: true }],
  ['decoded by the graphs', { decodesOnHost: false }],
] as const;

describe.each(['bert', 'gpt2'] as const)('16-bit weights, %s', (family) => {
  it.each(DECODES)(
    'stay 16-bit on the device and give the maps of float32 arithmetic on the same weights, %s',
    async (_, rt) => {
      for (const [label, { sixteen, float32 }] of await pairs(family, rt)) {
        // Every weight is 16-bit on the device: half the float32 bytes.
        expect(sixteen.summary.float16Bytes, label).toBe(sixteen.summary.deviceBytes);
        expect(sixteen.summary.deviceBytes * 2, label).toBe(float32.summary.deviceBytes);
        expect(sixteen.storage.fc_w.dtype, label).toBe('float16');
        expect(float32.summary.float16Bytes, label).toBe(0);
        expect(sixteen.summary.rounded, label).toBe(label.includes('F32'));
        const a = await mapOf(sixteen, family);
        const b = await mapOf(float32, family);
        expect(relativeDiff(a.scores, b.scores), label).toBeLessThan(1e-4);
        expect(Math.abs(a.probability - b.probability) / b.probability, label).toBeLessThan(1e-4);
        await sixteen.release();
        await float32.release();
      }
    },
  );

  it('predict, project value vectors and edit them as float32 does on the same weights', async () => {
    const [, [, { sixteen, float32 }]] = await pairs(family); // the F16 checkpoint
    const [prompt, object] = PROMPT[family];
    const enc = encodePrompt(sixteen.config, sixteen.tokenizer, prompt, object);
    const top = async (m: Model) =>
      (await predict(m, enc, [[]], { topK: 5 }))[0].slots[0].top.map((t) => t.id);
    expect(await top(sixteen)).toEqual(await top(float32));
    const project = async (m: Model) => {
      const p = new ValueProjector(m);
      const ids = (await p.tokens(1, 3, 5)).map((t) => t.id);
      await p.release();
      return ids;
    };
    expect(await project(sixteen)).toEqual(await project(float32));
    const neurons = [
      { layer: 1, unit: 3 },
      { layer: 2, unit: 0 },
    ];
    const edit: WeightEdit = { kind: 'update', from: [5], to: [9], lambda: 2 };
    const editedTop = async (m: Model) => {
      const handle = await editValueVectors(m, neurons, edit);
      const ids = await top(m);
      const p = (await predict(m, enc, [[]], { topK: 1 }))[0].probability;
      await handle.revert();
      return { ids, p };
    };
    const e16 = await editedTop(sixteen);
    const e32 = await editedTop(float32);
    expect(e16.ids).toEqual(e32.ids);
    // The edited rows are rounded to float16 (float32 keeps them as computed).
    expect(Math.abs(e16.p - e32.p) / e32.p).toBeLessThan(1e-2);
    // Reverted, the 16-bit model is the model it was.
    expect(
      relativeDiff((await mapOf(sixteen, family)).scores, (await mapOf(float32, family)).scores),
    ).toBeLessThan(1e-4);
  });
});

describe('bfloat16 tensors float16 cannot hold', () => {
  it('are converted exactly with a scale when their range allows, else kept float32', () => {
    const bits = (values: number[]) => Uint16Array.from(values, floatToBf16Bits);
    // Tiny and large values together, 30 binades apart: one scale holds them all.
    const fits = bits([0.5, -3e-9, 7.25e-5, 0, -0.0123]);
    const h = bf16ToHalf(fits)!;
    expect(Array.from(decodeHalf({ bits: h.bits, scale: h.scale }))).toEqual(
      Array.from(fits, (b) => ((U32[0] = b << 16), F32[0])),
    );
    // 50 binades apart: no float16 scale holds both exactly.
    expect(bf16ToHalf(bits([3e4, 1e-11]))).toBeNull();
  });

  it('leave that weight float32 in every layer, exactly, and say so', async () => {
    const family = 'gpt2';
    const weights = randomModel(configOf(family), 5, { std: 0.5 });
    // One layer's MLP output weights span 2^-40 .. 2^10: float32 it must be, in every layer.
    const proj = weights.get('transformer.h.1.mlp.c_proj.weight')!;
    proj.data[0] = 1024;
    proj.data[1] = 2 ** -40;
    const sixteen = await load(folder(family, Object.fromEntries(weights), 'BF16'));
    const float32 = await load(
      folder(
        family,
        rounded(weights, (d) => d.map(bf16Value)),
        'F32',
      ),
    );
    expect(sixteen.storage.proj_w.dtype).toBe('float32');
    expect(sixteen.storage.fc_w.dtype).toBe('float16');
    expect(sixteen.summary.notes.join('\n')).toMatch(/1 bfloat16 tensor\(s\) kept as float32/);
    expect(sixteen.summary.notes.join('\n')).toMatch(/proj_w is float32 in every layer/);
    const a = await mapOf(sixteen, family);
    const b = await mapOf(float32, family);
    expect(relativeDiff(a.scores, b.scores)).toBeLessThan(1e-4);
  });
});

describe('tables past the device tensor limit', () => {
  it.each(['bert', 'gpt2'] as const)(
    '%s: the embedding and head are split by rows, with the same maps, projections and edits',
    async (family) => {
      // An FFN as narrow as the hidden size, so that every matrix but the tables fits the limit
      // below even with bert's 28-token vocabulary.
      const cfg = configOf(family, { intermediateSize: 8 });
      const weights = Object.fromEntries(randomModel(cfg, 3, { std: 0.5 }));
      const tableBytes = 4 * cfg.vocabSize * cfg.hiddenSize;
      expect(4 * cfg.hiddenSize * cfg.intermediateSize).toBeLessThanOrEqual(tableBytes / 3);
      for (const dtype of ['F32', 'F16'] as const) {
        const whole = await load(folder(family, weights, dtype, cfg));
        // A limit a third of the vocabulary table: it is uploaded as three blocks or more.
        const split = await load(
          folder(family, weights, dtype, cfg),
          {},
          {
            maxTensorBytes: Math.ceil(tableBytes / 3),
          },
        );
        expect(whole.storage.word_emb.rowBlocks).toBeUndefined();
        expect(split.storage.word_emb.rowBlocks!.length).toBeGreaterThanOrEqual(3);
        expect(split.weights.global['word_emb.0']).toBeDefined();
        const a = await mapOf(split, family);
        const b = await mapOf(whole, family);
        expect(relativeDiff(a.scores, b.scores)).toBeLessThan(1e-5);
        const project = async (m: Model) => {
          const p = new ValueProjector(m);
          const ids = (await p.tokens(0, 2, 4)).map((t) => t.id);
          await p.release();
          return ids;
        };
        expect(await project(split)).toEqual(await project(whole));
        const [prompt, object] = PROMPT[family];
        const enc = encodePrompt(cfg, split.tokenizer, prompt, object);
        const edited = async (m: Model) => {
          const h = await editValueVectors(m, [{ layer: 1, unit: 2 }], {
            kind: 'update',
            from: [4],
            to: [cfg.vocabSize - 1], // a row of the last block
          });
          const p = (await predict(m, enc, [[]], { topK: 1 }))[0].probability;
          await h.revert();
          return p;
        };
        expect(await edited(split)).toBeCloseTo(await edited(whole), 5);
      }
    },
  );

  it('refuses a weight that is not a table and does not fit, naming it', async () => {
    const family = 'gpt2';
    const cfg = configOf(family);
    const weights = Object.fromEntries(randomModel(cfg, 3));
    await expect(
      load(folder(family, weights, 'F32'), {}, { maxTensorBytes: 4 * cfg.hiddenSize * 2 }),
    ).rejects.toThrow(/weight .* more than the largest tensor this device holds/);
  });
});

describe('a device without float16 (a GPU without shader-f16)', () => {
  it('widens 16-bit weights to float32 with the same values, and says so', async () => {
    const family = 'bert';
    const weights = Object.fromEntries(randomModel(configOf(family), 2, { std: 0.5 }));
    const sixteen = await load(folder(family, weights, 'BF16'));
    const widened = await load(folder(family, weights, 'BF16'), {}, { noFloat16: true });
    expect(widened.summary.float16Bytes).toBe(0);
    expect(widened.storage.fc_w).toEqual({ dtype: 'float32', scaled: false });
    expect(widened.summary.notes[0]).toMatch(/widened to float32: .*\(shader-f16\)/);
    const a = await mapOf(widened, family);
    const b = await mapOf(sixteen, family);
    expect(relativeDiff(a.scores, b.scores)).toBeLessThan(1e-6);
  });
});

describe.each(['llama', 'qwen3'] as const)('16-bit weights, the LLaMA family: %s', (variant) => {
  const tokenizer = readFileSync(
    new URL(
      `../src/weights/fixtures/${variant === 'qwen3' ? 'qwen2' : 'llama3'}-tokenizer.json`,
      import.meta.url,
    ),
    'utf8',
  );
  const { vocabSize } = fixtureTokenizer(variant === 'qwen3' ? 'qwen2' : 'llama3');
  const configJson = tinyLlamaConfig(variant, { vocab_size: vocabSize });
  const [prompt, object] = PROMPT.gpt2;
  const llamaFolder = (tensors: Record<string, HostTensor>, dtype: WeightDtype) =>
    new MemorySource(`tiny-${variant}-${dtype}`, {
      'config.json': JSON.stringify(configJson),
      'tokenizer.json': tokenizer,
      'model.safetensors': writeSafetensors(
        Object.fromEntries(Object.entries(tensors).map(([n, t]) => [n, { ...t, dtype }])),
      ),
    });
  const weights = randomLlamaModel(configJson, 13, { std: 0.5 });
  const plain = Object.fromEntries(weights);

  it('stay 16-bit and give the maps of float32 arithmetic on the same weights, both taps', async () => {
    const cases: [string, MemorySource, LoadOptions, (d: Float32Array) => Float32Array][] = [
      ['BF16', llamaFolder(plain, 'BF16'), {}, (d) => d.map(bf16Value)],
      ['F16', llamaFolder(plain, 'F16'), {}, (d) => d.map(f16Value)],
      [
        'F32 as 16-bit',
        llamaFolder(plain, 'F32'),
        { float32As16: true },
        (d) => decodeHalf(roundToHalf(d)),
      ],
    ];
    for (const [label, source, opts, round] of cases)
      for (const [decode, rt] of DECODES) {
        const sixteen = await load(source, opts, rt);
        const float32 = await load(llamaFolder(rounded(weights, round), 'F32'));
        expect(sixteen.summary.float16Bytes, label).toBe(sixteen.summary.deviceBytes);
        expect(sixteen.summary.deviceBytes * 2, label).toBe(float32.summary.deviceBytes);
        for (const tapMode of ['post-activation', 'gate'] as const) {
          const a = await attribute(sixteen, prompt, object, { steps: 6, tapMode });
          const b = await attribute(float32, prompt, object, { steps: 6, tapMode });
          expect(relativeDiff(a.scores, b.scores), `${label} ${tapMode} ${decode}`).toBeLessThan(
            1e-4,
          );
        }
        await sixteen.release();
        await float32.release();
      }
  });

  it('split the embedding (and an untied head) by rows, with the same maps', async () => {
    const cfg = parseConfig(configJson);
    const tableBytes = 4 * cfg.vocabSize * cfg.hiddenSize;
    for (const dtype of ['F32', 'BF16'] as const) {
      const whole = await load(llamaFolder(plain, dtype));
      const split = await load(llamaFolder(plain, dtype), {}, { maxTensorBytes: tableBytes / 3 });
      expect(split.storage.word_emb.rowBlocks!.length).toBeGreaterThanOrEqual(3);
      if (!cfg.tieWordEmbeddings)
        expect(split.storage.decoder_w.rowBlocks!.length).toBeGreaterThanOrEqual(3);
      const a = await attribute(split, prompt, object, { steps: 6 });
      const b = await attribute(whole, prompt, object, { steps: 6 });
      expect(relativeDiff(a.scores, b.scores), dtype).toBeLessThan(1e-5);
    }
  });
});

describe('16-bit weights decoded on the host (onnxruntime-node)', () => {
  /** A node runtime that records what every session run is fed. */
  function recording(rt: NodeRuntimeOptions) {
    const inner = createNodeRuntime({ threads: 1, ...rt });
    const fed: [string, Tensor][] = [];
    const runtime: Runtime = {
      ...inner,
      createSession: async (model, externalData) => {
        const s = await inner.createSession(model, externalData);
        const run = s.run.bind(s) as (...a: unknown[]) => Promise<InferenceSession.ReturnType>;
        const recorded = Object.create(s) as InferenceSession;
        (recorded as unknown as { run: typeof run }).run = (...a) => {
          fed.push(...Object.entries(a[0] as Record<string, Tensor>));
          return run(...a);
        };
        return recorded;
      },
    };
    return { runtime, fed };
  }

  it('feed float32 block graphs, each block weight from one buffer reused by every layer', async () => {
    const family = 'gpt2';
    const weights = Object.fromEntries(randomModel(configOf(family), 11, { std: 0.5 }));
    const host = recording({ decodesOnHost: true });
    const graphs = recording({ decodesOnHost: false });
    const a = await loadModel(folder(family, weights, 'BF16'), host.runtime);
    const b = await loadModel(folder(family, weights, 'BF16'), graphs.runtime);
    expect(a.storage.fc_w).toEqual({ dtype: 'float16', scaled: true });
    const x = await mapOf(a, family);
    const y = await mapOf(b, family);
    // By the graphs: 16-bit block weights and their scales are fed. On the host: neither, and
    // the tables stay 16-bit (a float32 copy of a whole table is more than the fit check allows).
    const blockInputs = new Set(Object.keys(a.weights.layers[0]));
    const is16 = ([n, t]: [string, Tensor]) => blockInputs.has(n) && t.type === 'float16';
    expect(graphs.fed.some(is16)).toBe(true);
    expect(graphs.fed.some(([n]) => n === 'fc_w.scale')).toBe(true);
    expect(host.fed.filter(is16)).toEqual([]);
    expect(host.fed.filter(([n]) => blockInputs.has(n) && n.endsWith('.scale'))).toEqual([]);
    expect(host.fed.some(([n, t]) => n === 'word_emb' && t.type === 'float16')).toBe(true);
    const buffers = (name: string) =>
      new Set(host.fed.filter(([n]) => n === name).map(([, t]) => (t.data as Float32Array).buffer));
    expect(host.fed.filter(([n]) => n === 'fc_w').length).toBeGreaterThan(a.numLayers);
    expect(buffers('fc_w').size).toBe(1);
    // What is fed is the 16-bit weight's exact values.
    const layer = a.weights.layers[1];
    const decoded = await a.graphWeights(['fc_w'], 1, {});
    expect(decoded.feeds.fc_w.data).toEqual(
      decodeHalf({
        bits: layer.fc_w.data as Uint16Array,
        scale: (layer['fc_w.scale'].data as Float32Array)[0],
      }),
    );
    decoded.release();
    expect(relativeDiff(x.scores, y.scores)).toBeLessThan(1e-6);
    await a.release();
    await b.release();
  });

  it('split a 16-bit table into row blocks whose float32 copies fit the decode block', async () => {
    const family = 'gpt2';
    const cfg = configOf(family);
    const weights = Object.fromEntries(randomModel(cfg, 3, { std: 0.5 }));
    const decodeBlockBytes = Math.ceil((4 * cfg.vocabSize * cfg.hiddenSize) / 3);
    const split = await load(folder(family, weights, 'F16'), {}, { decodeBlockBytes });
    const whole = await load(folder(family, weights, 'F16'));
    const blocks = split.storage.word_emb.rowBlocks!;
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const rows of blocks)
      expect(4 * rows * cfg.hiddenSize).toBeLessThanOrEqual(decodeBlockBytes);
    expect(whole.storage.word_emb.rowBlocks).toBeUndefined();
    // float32 tables are not decoded: not split.
    const f32 = await load(folder(family, weights, 'F32'), {}, { decodeBlockBytes });
    expect(f32.storage.word_emb).toEqual({ dtype: 'float32', scaled: false });
    const a = await mapOf(split, family);
    const b = await mapOf(whole, family);
    expect(relativeDiff(a.scores, b.scores)).toBeLessThan(1e-5);
    for (const m of [split, whole, f32]) await m.release();
  });
});
