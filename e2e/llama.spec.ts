/**
 * The LLaMA family through the whole app, as a new user meets it: a tiny Llama-3.2-style folder
 * (bfloat16, grouped-query attention, llama3 rotary scaling, a beginning-of-sequence token,
 * untied head; written by the random real-layout generator), served as a Hub model, loads in
 * the explorer from a share link; its tap menu offers the coefficient and the gate (and not the
 * pre-activation), and a map with each tap agrees with onnxruntime-node's within the tolerance
 * of the other cross-runtime tests; on the WASM project and, as the other families have, on
 * WebGPU.
 */
import type { Page, TestInfo } from '@playwright/test';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MODEL_PRESETS } from '../scripts/lib/model-presets';
import { writeRandomModelFolder } from '../scripts/lib/random-model-folder';
import { DEFAULT_ANALYSIS } from '../src/app/analysis-state';
import { shareUrl } from '../src/app/share';
import type { ExplorerState } from '../src/app/state';
import { type AttributionResult, attribute } from '../src/attribution/attribute';
import { DEFAULT_SETTINGS } from '../src/attribution/settings';
import { loadModel } from '../src/model';
import type { TapMode } from '../src/model';
import { createNodeRuntime } from '../src/runtime/node';
import { NodeFolderSource } from '../src/weights/node-source';
import {
  downloaded,
  expectModelReady,
  fakeHub,
  folderFiles,
  keepPage,
  runAll,
} from './explorer-helpers';
import { expect, test } from './fixtures';

const PROMPT = { language: 'en', text: 'The capital of France is [MASK] .', object: 'Paris' };
const SETTINGS = { ...DEFAULT_SETTINGS, steps: 2 };
/** Llama 3.2's config.json, tiny, with its RoPE scaling and BOS; the head untied, as in 3.1-8B. */
const TINY_LLAMA = {
  ...MODEL_PRESETS['llama-3.2-1b'],
  vocab_size: 600,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  head_dim: 16,
  tie_word_embeddings: false,
  // The synthetic tokenizer puts its special tokens last.
  bos_token_id: 598,
  eos_token_id: 599,
};

/** The folder, written once per worker. */
let folder: string | undefined;
async function tinyLlamaFolder(): Promise<string> {
  if (folder) return folder;
  const dir = mkdtempSync(join(tmpdir(), 'kne-llama-'));
  await writeRandomModelFolder(dir, TINY_LLAMA, { dtype: 'bfloat16', seed: 5, std: 0.3 });
  return (folder = dir);
}

/** The map onnxruntime-node computes for the prompt with this tap. */
async function nodeMap(tapMode: TapMode): Promise<AttributionResult> {
  const runtime = createNodeRuntime({ threads: 1 });
  const model = await loadModel(new NodeFolderSource(await tinyLlamaFolder()), runtime);
  try {
    return await attribute(model, PROMPT.text, PROMPT.object, { ...SETTINGS, tapMode });
  } finally {
    await model.release();
  }
}

/** Opens the explorer on the folder, served as a Hub model, with one fact, by a share link. */
async function open(page: Page, backend: 'wasm' | 'webgpu') {
  await fakeHub(page, { 'kne-test/tiny-llama': { files: folderFiles(await tinyLlamaFolder()) } });
  const state: ExplorerState = {
    model: { kind: 'hub', id: 'kne-test/tiny-llama' },
    facts: [{ id: 'capital', prompts: [PROMPT] }],
    settings: SETTINGS,
    tau: {},
    view: {},
    analysis: DEFAULT_ANALYSIS,
  };
  const url = await shareUrl(state, `http://x/?backend=${backend}`);
  await page.goto(url.replace('http://x', ''));
  await expect(page.getByTestId('status-bar')).toHaveAttribute('data-backend', backend);
  // A link to a Hub model not in this browser yet asks before downloading it.
  await page.getByRole('button', { name: 'Download and load it' }).click();
  await expectModelReady(page, 'kne-test/tiny-llama');
}

/** Runs the fact with the tap chosen in the menu and returns the en map's JSON export. */
async function mapWithTap(page: Page, tapMode: TapMode) {
  await page.getByTestId('setting-tap').selectOption(tapMode);
  await runAll(page);
  const json = await downloaded(page, () =>
    page
      .getByRole('group', { name: 'Export the en map' })
      .getByRole('button', { name: 'JSON' })
      .click(),
  );
  return JSON.parse(json.bytes.toString('utf8')) as { scores: number[][]; probability: number };
}

/** The map agrees with onnxruntime-node's as the other cross-runtime tests require. */
function expectAgreement(
  testInfo: TestInfo,
  name: string,
  got: { scores: number[][]; probability: number },
  node: AttributionResult,
) {
  const reference = Array.from(node.scores);
  const scores = got.scores.flat();
  expect(scores, name).toHaveLength(reference.length);
  const scale = Math.max(...reference.map(Math.abs));
  expect(scale).toBeGreaterThan(0);
  const worst = Math.max(...scores.map((s, i) => Math.abs(s - reference[i])));
  testInfo.annotations.push({
    type: `${name} vs onnxruntime-node`,
    description: `largest difference ${worst.toExponential(2)} = ${(worst / scale).toExponential(2)} of the largest |score|`,
  });
  // As e2e/explorer.spec.ts: float32 kernels that sum in another order differ by ~3e-4 of the
  // largest score; a wrong gradient by orders of magnitude more.
  expect(worst / scale, `${name}: largest difference / largest score`).toBeLessThan(1e-3);
  expect(got.probability / node.probability, name).toBeCloseTo(1, 3);
}

for (const backend of ['wasm', 'webgpu'] as const) {
  test.describe(`LLaMA family in the explorer (${backend})`, () => {
    test.skip(({ backend: project }) => project !== backend, `the ${backend} project runs it`);
    // Two runs, each estimated (timed on this device) first for its tap, and two Node maps.
    test.setTimeout(300_000);

    test('a Llama folder from the Hub: the tap menu, and maps with both taps equal onnxruntime-node’s', async ({
      page,
    }, testInfo) => {
      await open(page, backend);
      // The family's taps: the coefficient and the gate; a gated FFN has no pre-activation.
      const offered = await page
        .getByTestId('setting-tap')
        .locator('option:not([disabled])')
        .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
      expect(offered).toEqual(['post-activation', 'gate']);

      const post = await mapWithTap(page, 'post-activation');
      await keepPage(page, testInfo, `llama-${backend}-map`);
      const gate = await mapWithTap(page, 'gate');
      expectAgreement(
        testInfo,
        `${backend} post-activation`,
        post,
        await nodeMap('post-activation'),
      );
      expectAgreement(testInfo, `${backend} gate`, gate, await nodeMap('gate'));
      // The two taps attribute different quantities.
      expect(gate.scores.flat()).not.toEqual(post.scores.flat());
    });
  });
}
