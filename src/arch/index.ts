import type { ArchFamily } from '../weights/types';
import type { Architecture } from './architecture';
import { bert } from './bert';
import { gpt2 } from './gpt2';

export { type Architecture, runBlock } from './architecture';
export type { Tap, WeightSpec, Weights } from './common';
export {
  GRAPH_IO,
  buildModelGraphs,
  graphNames,
  type GraphFeeds,
  type GraphName,
  type GraphOptions,
  type GraphResults,
  type ModelGraphs,
} from './graphs';

export const architectures: Record<ArchFamily, Architecture> = { bert, gpt2 };
