// The device model: weights on the runtime's device, sessions for the graphs, and runs.
export { Executor, type BlockCounts, type RunContext } from './executor';
export { WeightCollector, loadModel, modelFromTensors, type LoadOptions } from './load';
export { OutOfMemoryError, checkWeightsFit } from './memory';
export { Model, type ModelWeights, type Sessions, type TapMode } from './model';
