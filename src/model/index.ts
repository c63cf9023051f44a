// The device model: weights on the runtime's device, sessions for the graphs, and runs.
export {
  Executor,
  addCounts,
  type AttentionFeeds,
  noCounts,
  type BlockCounts,
  type LastBlockFeeds,
  type PastFeeds,
  type RunContext,
  type SetupResult,
  type SpawnFeeds,
} from './executor';
export {
  DECODE_BLOCK_BYTES,
  WeightCollector,
  loadModel,
  modelFromTensors,
  rowBlocks,
  weightsLabel,
  type LoadOptions,
} from './load';
export {
  Model,
  type LoadedWeights,
  type ModelWeights,
  type Sessions,
  type TapMode,
  type WeightPrecision,
  type WeightSummary,
} from './model';
export { readRows, readWeight, replaceRows, storageOf, weightFeeds } from './weight-access';
export { OutOfMemoryError, checkWeightsFit } from './memory';
