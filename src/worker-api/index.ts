export type * from './api';
export { BUNDLED_NAME } from './api';
export { createEngineClient, newRunId, type EngineClient } from './client';
