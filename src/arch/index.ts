import type { ArchFamily } from '../weights/types';
import type { Architecture } from './architecture';
import { bert } from './bert';
import { gpt2 } from './gpt2';

export type { Architecture } from './architecture';
export type { Tap, WeightSpec, Weights } from './common';
export {
  GRAPH_IO,
  buildModelGraphs,
  type GraphFeeds,
  type GraphName,
  type GraphOptions,
  type GraphResults,
  type ModelGraphs,
  type WeightStorage,
} from './graphs';

export const architectures: Record<ArchFamily, Architecture> = { bert, gpt2 };
