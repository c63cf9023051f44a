import type { ArchFamily } from '../weights/types';
import type { Architecture } from './architecture';
import { bert } from './bert';
import { gpt2 } from './gpt2';
import { llama } from './llama';

export { type Architecture, runBlock } from './architecture';
export type { BlockContext, Tap, TapMode, WeightSpec, Weights } from './common';
export { inverseFrequencies, ropeTables, type RopeTables } from './rope';
export {
  GRAPH_IO,
  ROTARY_INPUTS,
  buildModelGraphs,
  graphNames,
  type GraphFeeds,
  type GraphName,
  type GraphOptions,
  type GraphResults,
  type ModelGraphs,
  type WeightStorage,
} from './graphs';

export const architectures: Record<ArchFamily, Architecture> = { bert, gpt2, llama };
