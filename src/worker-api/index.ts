export type { EngineApi, EngineInfo, InitOptions, SelfTestResult } from './api';
export { createEngineClient, type EngineClient } from './client';
