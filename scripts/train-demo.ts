/**
 * Trains the bundled demo models from the fact set and writes them as Hugging Face folders
 * under public/models/: demo-bert (masked LM) and demo-gpt2 (causal LM). It also trains a
 * LLaMA-family demo, demo-qwen3, on request; that one is not bundled yet (docs/demo-models.md).
 *
 *   npm run train:demo                 # the bundled two, full schedule (about 30 minutes each, 2 cores)
 *   npm run train:demo -- --only qwen3 # the LLaMA-family demo (hours on 2 cores)
 *   npm run train:demo -- --only bert --steps 200 --out /tmp/models   # a quick trial
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { architectures } from '../src/arch';
import { checkpointTensors } from '../src/arch/weights';
import { loadModel } from '../src/model';
import { recallAccuracy } from '../src/analysis/recall';
import { type FactSet, loadFactSet } from '../src/facts';
import { createNodeRuntime } from '../src/runtime/node';
import { parseConfig } from '../src/weights/config';
import { NodeFolderSource } from '../src/weights/node-source';
import { writeSafetensors } from '../src/weights/safetensors';
import { loadTokenizer, type ModelTokenizer } from '../src/weights/tokenizer';
import { buildCorpus, type Example } from './demo/corpus';
import {
  buildByteLevelBpeTokenizer,
  buildWordPieceTokenizer,
  byteLevelBpeTokenizerConfig,
  qwenTokenizerConfig,
  wordPieceTokenizerConfig,
} from './lib/tokenizer-build';
import { trainingGraph } from './lib/train-graph';
import { type TokenisedExample, type TrainOptions, initialWeights, train } from './lib/trainer';

const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    steps: { type: 'string' },
    out: { type: 'string', default: 'public/models' },
  },
});

const SIZE = { layers: 4, hidden: 128, heads: 4, ffn: 512, positions: 64 };
/** demo-qwen3: grouped-query attention, two key/value heads for the four query heads. */
const KV_HEADS = 2;
const SEED = 42;
/** The masked LM learns slower: each step supervises only the answer's slots (and few others). */
const STEPS = { bert: 6000, gpt2: 3000, qwen3: 3000 };

type Kind = keyof typeof STEPS;

function hfConfig(kind: Kind, vocabSize: number, eosId: number) {
  if (kind === 'qwen3')
    return {
      architectures: ['Qwen3ForCausalLM'],
      model_type: 'qwen3',
      vocab_size: vocabSize,
      hidden_size: SIZE.hidden,
      num_hidden_layers: SIZE.layers,
      num_attention_heads: SIZE.heads,
      num_key_value_heads: KV_HEADS,
      head_dim: SIZE.hidden / SIZE.heads,
      intermediate_size: SIZE.ffn,
      hidden_act: 'silu',
      max_position_embeddings: SIZE.positions,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      rope_scaling: null,
      attention_bias: false,
      use_sliding_window: false,
      sliding_window: null,
      max_window_layers: SIZE.layers,
      bos_token_id: null,
      eos_token_id: eosId,
      tie_word_embeddings: true,
      initializer_range: 0.02,
      torch_dtype: 'float32',
    };
  if (kind === 'bert')
    return {
      architectures: ['BertForMaskedLM'],
      model_type: 'bert',
      vocab_size: vocabSize,
      hidden_size: SIZE.hidden,
      num_hidden_layers: SIZE.layers,
      num_attention_heads: SIZE.heads,
      intermediate_size: SIZE.ffn,
      hidden_act: 'gelu',
      max_position_embeddings: SIZE.positions,
      type_vocab_size: 2,
      layer_norm_eps: 1e-12,
      pad_token_id: 0,
      initializer_range: 0.02,
      torch_dtype: 'float32',
    };
  return {
    architectures: ['GPT2LMHeadModel'],
    model_type: 'gpt2',
    vocab_size: vocabSize,
    n_embd: SIZE.hidden,
    n_layer: SIZE.layers,
    n_head: SIZE.heads,
    n_inner: SIZE.ffn,
    n_positions: SIZE.positions,
    activation_function: 'gelu_new',
    layer_norm_epsilon: 1e-5,
    bos_token_id: eosId,
    eos_token_id: eosId,
    tie_word_embeddings: true,
    torch_dtype: 'float32',
  };
}

/** Token ids the way the engine builds them at inference (src/attribution/prompt.ts). */
function tokenise(kind: Kind, tok: ModelTokenizer, ex: Example): TokenisedExample {
  const enc = (text: string) => (text ? tok.encode(text, { addSpecialTokens: false }).ids : []);
  if (kind === 'bert') {
    const left = enc(ex.left);
    const answer = enc(ex.answer);
    const ids = [tok.special.cls!, ...left, ...answer, ...enc(ex.right), tok.special.sep!];
    return { ids, answer: answer.map((_, j) => 1 + left.length + j) };
  }
  const spaced = /\s$/.test(ex.left);
  // The beginning-of-sequence token where the tokenizer adds one (none here: GPT-2, Qwen).
  const start = tok.special.bos === undefined ? [] : [tok.special.bos];
  const left = [...start, ...enc(ex.left.replace(/\s+$/, ''))];
  const answer = enc((spaced ? ' ' : '') + ex.answer);
  const ids = [...left, ...answer, ...enc(ex.right), tok.special.eos!];
  return { ids, answer: answer.map((_, j) => left.length + j) };
}

async function trainModel(kind: Kind, set: FactSet) {
  const started = Date.now();
  const runtime = createNodeRuntime();
  const corpus = buildCorpus(set);
  const tokenizerJson =
    kind === 'bert'
      ? buildWordPieceTokenizer(corpus.texts, { vocabSize: 4000, minFrequency: 2 })
      : buildByteLevelBpeTokenizer(corpus.texts, { vocabSize: 4000 });
  const tokenizerConfig =
    kind === 'bert'
      ? wordPieceTokenizerConfig(tokenizerJson as never, SIZE.positions)
      : kind === 'qwen3'
        ? qwenTokenizerConfig(tokenizerJson as never, SIZE.positions)
        : byteLevelBpeTokenizerConfig(tokenizerJson as never, SIZE.positions);
  const tokenizer = loadTokenizer(tokenizerJson, tokenizerConfig);
  const eos = tokenizer.special.eos ?? 0;
  const configJson = hfConfig(kind, tokenizer.vocabSize, eos);
  const config = parseConfig(configJson);
  const arch = architectures[config.family];
  const examples = corpus.examples.map((ex) => tokenise(kind, tokenizer, ex));
  console.log(`${kind}: ${examples.length} examples, vocabulary ${tokenizer.vocabSize}`);

  const options: TrainOptions = {
    objective: kind === 'bert' ? 'mlm' : 'clm',
    steps: Number(args.steps ?? STEPS[kind]),
    batch: 64,
    peakLr: 3e-3,
    warmup: 300,
    weightDecay: 0.01,
    seed: SEED,
    contextWeight: 0.3,
    contextMaskRate: 0.05,
    maskId: tokenizer.special.mask ?? 0,
    padId: tokenizer.special.pad ?? eos,
    log: (line) => console.log(`${kind}: ${line}`),
  };
  const { weights } = trainingGraph(arch, config, 1, 16);
  const params = await train(
    arch,
    config,
    runtime,
    examples,
    initialWeights(weights, SEED),
    options,
  );

  const dir = join(args.out!, `demo-${kind}`);
  mkdirSync(dir, { recursive: true });
  const tensors = checkpointTensors(arch, config, (input, layer) =>
    params.get(layer === null ? input : `l${layer}.${input}`)!,
  );
  writeFileSync(join(dir, 'config.json'), JSON.stringify(configJson, null, 2) + '\n');
  writeFileSync(join(dir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  writeFileSync(
    join(dir, 'tokenizer_config.json'),
    JSON.stringify(tokenizerConfig, null, 2) + '\n',
  );
  writeFileSync(
    join(dir, 'model.safetensors'),
    writeSafetensors(Object.fromEntries(tensors), { format: 'pt' }),
  );

  // Evaluate the written folder through the same loading code the explorer uses.
  const model = await loadModel(new NodeFolderSource(dir), runtime);
  const recall = await recallAccuracy(model, set.facts, set.languages);
  const minutes = (Date.now() - started) / 60000;
  const report = {
    kind,
    seed: SEED,
    size: SIZE,
    vocabulary: tokenizer.vocabSize,
    examples: examples.length,
    options: { ...options, log: undefined },
    minutes: Number(minutes.toFixed(1)),
    accuracy: recall.byLanguage,
    accuracyByRelation: recall.byRelation,
  };
  writeFileSync(join(dir, 'training.json'), JSON.stringify(report, null, 2) + '\n');
  console.log(`${kind}: recall ${JSON.stringify(recall.byLanguage)} in ${minutes.toFixed(1)} min`);
}

async function main() {
  const root = 'data/factset';
  const set = await loadFactSet(async (path) => readFileSync(join(root, path), 'utf8'));
  const kinds = args.only ? [args.only] : ['bert', 'gpt2'];
  for (const kind of ['bert', 'gpt2', 'qwen3'] as const)
    if (kinds.includes(kind)) await trainModel(kind, set);
}

await main();
