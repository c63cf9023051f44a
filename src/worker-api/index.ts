export type * from './api';
export type * from './analysis-api';
export { BUNDLED_NAME } from './api';
export { createEngineClient, newRunId, type EngineClient } from './client';
