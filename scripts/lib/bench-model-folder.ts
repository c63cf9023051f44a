/**
 * A randomly initialised model written as a Hugging Face folder (config.json, model.safetensors,
 * and a borrowed tokenizer), so the engine and other implementations load the very same weights.
 *
 *   node --import tsx scripts/lib/bench-model-folder.ts <folder> <ModelConfig JSON> <seed> <tokenizer folder>
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeSafetensors } from '../../src/weights/safetensors';
import type { ModelConfig } from '../../src/weights/types';
import { randomModel } from '../../tests/reference/random-model';

/** The config.json that src/weights/config.ts reads back as `config`. */
export function hfConfigJson(config: ModelConfig): Record<string, unknown> {
  if (config.family === 'gpt2')
    return {
      architectures: ['GPT2LMHeadModel'],
      model_type: config.modelType,
      vocab_size: config.vocabSize,
      n_embd: config.hiddenSize,
      n_layer: config.numLayers,
      n_head: config.numHeads,
      n_inner: config.intermediateSize,
      n_positions: config.maxPositions,
      activation_function: config.activation,
      layer_norm_epsilon: config.layerNormEps,
      tie_word_embeddings: config.tieWordEmbeddings,
      torch_dtype: 'float32',
    };
  return {
    architectures: [config.modelType === 'bert' ? 'BertForMaskedLM' : 'RobertaForMaskedLM'],
    model_type: config.modelType,
    vocab_size: config.vocabSize,
    hidden_size: config.hiddenSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: config.numHeads,
    intermediate_size: config.intermediateSize,
    hidden_act: config.activation,
    max_position_embeddings: config.maxPositions,
    type_vocab_size: config.typeVocabSize,
    layer_norm_eps: config.layerNormEps,
    // RoBERTa-style models number positions from pad_token_id + 1.
    pad_token_id: config.modelType === 'bert' ? 0 : config.positionOffset - 1,
    tie_word_embeddings: config.tieWordEmbeddings,
    torch_dtype: 'float32',
  };
}

/**
 * Writes `randomModel(config, seed)` into `folder` (which must exist) with the tokenizer files of
 * `tokenizerFolder`; returns the bytes of model.safetensors.
 */
export function writeRandomModelFolder(
  folder: string,
  config: ModelConfig,
  seed: number,
  tokenizerFolder: string,
): number {
  writeFileSync(join(folder, 'config.json'), JSON.stringify(hfConfigJson(config), null, 2));
  const bytes = writeSafetensors(Object.fromEntries(randomModel(config, seed)));
  writeFileSync(join(folder, 'model.safetensors'), bytes);
  for (const name of ['tokenizer.json', 'tokenizer_config.json'])
    if (existsSync(join(tokenizerFolder, name)))
      copyFileSync(join(tokenizerFolder, name), join(folder, name));
  return bytes.length;
}

/**
 * writeRandomModelFolder in a child process: the generated tensors and the serialised file never
 * enter the caller's heap, so its resident memory afterwards still measures only what it loads.
 */
export function writeRandomModelFolderApart(
  folder: string,
  config: ModelConfig,
  seed: number,
  tokenizerFolder: string,
): number {
  const self = fileURLToPath(import.meta.url);
  execFileSync(
    process.execPath,
    ['--import', 'tsx', self, folder, JSON.stringify(config), String(seed), tokenizerFolder],
    { stdio: 'inherit' },
  );
  return statSync(join(folder, 'model.safetensors')).size;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [folder, config, seed, tokenizerFolder] = process.argv.slice(2);
  writeRandomModelFolder(folder, JSON.parse(config) as ModelConfig, Number(seed), tokenizerFolder);
}
