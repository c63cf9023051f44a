export { Graph, Tensor, type DType } from './graph';
export type { Dim, Shape } from './shape';
export type { InputStorage } from './storage';
export * as ops from './ops';
export * as nn from './nn';
export { OPSET, toOnnx } from './onnx';
