// The device model: weights on the runtime's device, sessions for the graphs, and runs.
export {
  Executor,
  addCounts,
  type AttentionFeeds,
  noCounts,
  type BlockCounts,
  type PastFeeds,
  type RunContext,
  type SetupResult,
  type SpawnFeeds,
} from './executor';
export { WeightCollector, loadModel, modelFromTensors, type LoadOptions } from './load';
export { Model, type ModelWeights, type Sessions, type TapMode } from './model';
