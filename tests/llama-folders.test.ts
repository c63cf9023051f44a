/**
 * LLaMA-family model folders in the layout the Hub serves (config.json, tokenizer.json,
 * tokenizer_config.json, safetensors, possibly sharded, in bfloat16), written by the random
 * real-shape generator (scripts/lib/random-model-folder.ts) for tiny versions of the real
 * presets, loaded through the explorer's own loading code: logits against the float64
 * reference, the beginning-of-sequence token as each tokenizer adds it, and bad folders refused
 * from config.json and the checkpoint headers before any tensor data is read.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MODEL_PRESETS } from '../scripts/lib/model-presets';
import { writeRandomModelFolder } from '../scripts/lib/random-model-folder';
import { predict } from '../src/attribution/predict';
import { encodePrompt } from '../src/attribution/prompt';
import { loadModel } from '../src/model';
import { createNodeRuntime } from '../src/runtime/node';
import { loadCheckpoint } from '../src/weights/checkpoint';
import { NodeFolderSource } from '../src/weights/node-source';
import type { HostTensor, ModelSource } from '../src/weights/types';
import { llamaForward, probabilities } from './reference';

const runtime = createNodeRuntime({ threads: 1 });
const folders: string[] = [];
afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

/** A real preset with tiny sizes; its layout, RoPE, biases, norms and head tying kept. */
function tinyPreset(name: string): Record<string, unknown> {
  const preset = MODEL_PRESETS[name];
  return {
    ...preset,
    vocab_size: 600,
    hidden_size: 32,
    intermediate_size: 48,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    ...(preset.head_dim ? { head_dim: 16 } : {}),
    // The synthetic tokenizer puts its special tokens last.
    bos_token_id: 600 - 2,
    eos_token_id: 600 - 1,
  };
}

async function folderOf(config: Record<string, unknown>, sharded: boolean): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'llama-folder-'));
  folders.push(folder);
  await writeRandomModelFolder(folder, config, {
    dtype: 'bfloat16',
    seed: 3,
    std: 0.3,
    maxShardBytes: sharded ? 20_000 : undefined,
  });
  return folder;
}

/** A folder source that counts the bytes of safetensors data streamed. */
function counting(source: ModelSource) {
  const reads = { streamed: 0 };
  const wrapped: ModelSource = {
    id: source.id,
    has: (n) => source.has(n),
    open: async (n) => {
      const file = await source.open(n);
      return {
        ...file,
        name: file.name,
        size: file.size,
        slice: (a, b) => file.slice(a, b),
        stream: () => {
          if (n.endsWith('.safetensors')) reads.streamed++;
          return file.stream();
        },
      };
    },
  };
  return { source: wrapped, reads };
}

describe('LLaMA-family folders from the real-shape generator', () => {
  for (const [name, sharded] of [
    ['llama-3.2-1b', true],
    ['qwen2.5-0.5b', false],
    ['qwen3-0.6b', true],
  ] as const) {
    it(`${name} (tiny, bfloat16${sharded ? ', sharded' : ''}) loads and agrees with the reference`, async () => {
      const config = tinyPreset(name);
      const folder = await folderOf(config, sharded);
      const model = await loadModel(new NodeFolderSource(folder), runtime);
      expect(model.config.family).toBe('llama');
      const tensors = new Map<string, HostTensor>();
      await loadCheckpoint(new NodeFolderSource(folder), (n, t) => void tensors.set(n, t));

      const enc = encodePrompt(
        model.config,
        model.tokenizer,
        'The capital of France is [MASK] .',
        'Paris',
      );
      const { bos, eos } = model.tokenizer.special;
      if (name.startsWith('llama')) {
        // Llama 3 adds <|begin_of_text|>; its end of text is the baseline token.
        expect(enc.tokens[0]).toBe('<|begin_of_text|>');
        expect(enc.ids[0]).toBe(bos);
        expect(model.tokenizer.idToToken(eos!)).toBe('<|end_of_text|>');
      } else {
        expect(bos).toBeUndefined();
        expect(enc.ids).not.toContain(model.tokenizer.tokenToId('<|endoftext|>'));
      }
      expect(enc.baselineToken).toBe(eos);

      const [pred] = await predict(model, enc, [[]], { topK: 600 });
      const logits = llamaForward(config, tensors, enc.ids).logits;
      for (const slot of pred.slots) {
        const p = probabilities(logits, 600, slot.position);
        for (const t of slot.top) expect(t.probability).toBeCloseTo(p[t.id], 5);
      }
      await model.release();
    });
  }

  it('refuses a folder from config.json or the headers, naming the field, before reading data', async () => {
    const good = tinyPreset('llama-3.2-1b');
    const folder = await folderOf(good, false);
    const cases: [Record<string, unknown>, RegExp][] = [
      [
        { ...good, rope_scaling: { rope_type: 'yarn', factor: 4 } },
        /llama models with rope_scaling of type "yarn" are not supported/,
      ],
      [
        { ...good, num_key_value_heads: 3 },
        /num_attention_heads 4 is not a multiple of num_key_value_heads 3/,
      ],
      [
        { ...good, head_dim: 8 },
        /tensor "model\.layers\.0\.self_attn\.\w_proj\.weight" has shape .* but config\.json's .*head_dim imply/,
      ],
    ];
    for (const [config, message] of cases) {
      await writeFile(join(folder, 'config.json'), JSON.stringify(config));
      const { source, reads } = counting(new NodeFolderSource(folder));
      await expect(loadModel(source, runtime)).rejects.toThrow(message);
      expect(reads.streamed).toBe(0);
    }
  });
});
