// Shapes of real checkpoints for random-weight benchmark models: the config.json of each Hub model
// the app lists (src/app/hub-models.ts, the one place they are written), by a short name. The
// generator sets the dtype.
import { HUB_MODELS } from '../../src/app/hub-models';

const published = (id: string): Record<string, unknown> => {
  const entry = HUB_MODELS.find((m) => m.id === id);
  if (!entry) throw new Error(`model-presets: ${id} is not among the app's Hub models`);
  return entry.config;
};

export const MODEL_PRESETS: Record<string, Record<string, unknown>> = {
  /** bert-base-multilingual-cased, with BertForMaskedLM's tensors. */
  'mbert-base': published('google-bert/bert-base-multilingual-cased'),
  /** xlm-roberta-base. */
  'xlmr-base': published('FacebookAI/xlm-roberta-base'),
  /** gpt2 (GPT-2 small). */
  'gpt2-small': published('openai-community/gpt2'),
  /**
   * mGPT (GPT-2 architecture, 24 x 2048, FFN 4 x 2048), with the synthetic tokenizer's
   * special-token ids (<|endoftext|> last), not mGPT's own.
   */
  mgpt: { ...published('ai-forever/mGPT'), bos_token_id: 99999, eos_token_id: 99999 },
  /** Qwen/Qwen2.5-0.5B. */
  'qwen2.5-0.5b': published('Qwen/Qwen2.5-0.5B'),
  /** Qwen/Qwen3-0.6B. */
  'qwen3-0.6b': published('Qwen/Qwen3-0.6B'),
  /** meta-llama/Llama-3.2-1B. */
  'llama-3.2-1b': published('meta-llama/Llama-3.2-1B'),
};
