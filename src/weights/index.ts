// The browser-safe public API of the weights layer. NodeFolderSource lives in ./node-source
// (it imports node:fs) and is imported from there by Node-only code.
export type {
  Activation,
  ArchFamily,
  HalfTensor,
  HostTensor,
  LoadProgress,
  ModelConfig,
  ModelFile,
  ModelSource,
  StoredTensor,
} from './types';
export { isHalf } from './types';
export {
  CheckpointError,
  ConfigError,
  ModelLoadError,
  ModelSourceError,
  SafetensorsError,
  TokenizerError,
  UnsupportedModelError,
} from './errors';
export {
  MAX_HEADER_BYTES,
  parseSafetensorsHeader,
  readSafetensors,
  readSafetensorsHeader,
  streamTensors,
  writeSafetensors,
  type Precision,
  type ReadOptions,
  type ReadStats,
  type SafetensorsDtype,
  type SafetensorsHeader,
  type StoredTensorCallback,
  type TensorCallback,
  type TensorEntry,
  type WeightDtype,
  type WritableTensor,
} from './safetensors';
export {
  INDEX_FILE,
  SINGLE_FILE,
  loadCheckpoint,
  type CheckpointOptions,
  type CheckpointPlan,
  type CheckpointSummary,
  type CheckpointTensor,
} from './checkpoint';
export { checkpointSizeFromIndex, configDtype, type CheckpointSize } from './checkpoint-size';
export { CONFIG_BOUNDS, SUPPORTED_MODEL_TYPES, parseConfig } from './config';
export {
  loadTokenizer,
  type ModelTokenizer,
  type SpecialTokenIds,
  type SpecialTokenRole,
} from './tokenizer';
export { blobFile, bytesFile, readJsonFile } from './files';
export { FileListSource } from './file-list-source';
export { MemorySource, type MemorySourceOptions } from './memory-source';
export {
  BUNDLED_NAME,
  MAIN_REVISION,
  checkHubId,
  modelId,
  modelLabel,
  parseHubRef,
  sameModel,
  type HubRef,
  type ModelRef,
} from './model-ref';
export {
  HUB_URL,
  UrlSource,
  cachedModels,
  hubSource,
  removeCachedModel,
  type CachedModel,
  type UrlSourceOptions,
} from './url-source';
