export type * from './api';
export { createEngineClient, newRunId, type EngineClient } from './client';
