/** Writes a `Graph` as an ONNX model (IR 8, opset 17) with the maintained onnx-proto schema. */
import onnxProto from 'onnx-proto';
import type { onnx as proto } from 'onnx-proto';
import { type DType, type Graph, type Tensor, topoOrder } from './graph';
import type { Emitter } from './ops';
import type { Dim, Shape } from './shape';
import {
  type InputStorage,
  type StoredBlock,
  blockNames,
  scaleName,
  storedValueInfos,
} from './storage';

const { onnx } = onnxProto;

export const OPSET = 17;
const IR_VERSION = 8;

const ELEM_TYPE: Record<DType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

function valueInfo(name: string, dtype: DType, shape: Shape): proto.IValueInfoProto {
  return typedValueInfo(name, ELEM_TYPE[dtype], shape);
}

function typedValueInfo(name: string, elemType: number, shape: Shape): proto.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: {
          dim: shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

function rawBytes(data: Float32Array | BigInt64Array): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

function attributes(
  ints: Record<string, number | number[]> = {},
  floats: Record<string, number> = {},
  strings: Record<string, string> = {},
): proto.IAttributeProto[] {
  const T = onnx.AttributeProto.AttributeType;
  return [
    ...Object.entries(ints).map(([name, v]) =>
      Array.isArray(v) ? { name, type: T.INTS, ints: v } : { name, type: T.INT, i: v },
    ),
    ...Object.entries(floats).map(([name, f]) => ({ name, type: T.FLOAT, f })),
    ...Object.entries(strings).map(([name, s]) => ({
      name,
      type: T.STRING,
      s: new TextEncoder().encode(s),
    })),
  ];
}

/** Serialises a graph (the part its outputs need) to ONNX ModelProto bytes. */
export function toOnnx(graph: Graph): Uint8Array {
  if (graph.outputs.length === 0) throw new Error(`graph ${graph.name} has no outputs`);
  const nodes: proto.INodeProto[] = [];
  const initializers: proto.ITensorProto[] = [];
  const cache = new Map<string, string>();
  let temps = 0;

  // Where each named dimension can be read at run time: the first graph input declaring it (a
  // stored input's first block; not axis 0 of one split into row blocks).
  const dimSource = new Map<string, { input: string; axis: number }>();
  for (const inp of graph.inputs) {
    const storage = storageOf(inp);
    const onnxName = storage ? blockNames(inp.name, storage)[0] : inp.name;
    inp.shape.forEach((d, axis) => {
      if (axis === 0 && storage?.rowBlocks) return;
      if (typeof d === 'string' && !dimSource.has(d)) dimSource.set(d, { input: onnxName, axis });
    });
  }

  const cached = (key: string, make: () => string) => {
    let name = cache.get(key);
    if (!name) cache.set(key, (name = make()));
    return name;
  };
  const constant = (base: string, data: Float32Array | BigInt64Array, dims: number[]) => {
    const name = `${base}__${temps++}`;
    const dataType = data instanceof BigInt64Array ? ELEM_TYPE.int64 : ELEM_TYPE.float32;
    initializers.push({ name, dims, dataType, rawData: rawBytes(data) });
    return name;
  };

  const e: Emitter = {
    node(opType, inputs, outputs, ints, floats, strings) {
      nodes.push({
        opType,
        input: inputs,
        output: outputs,
        attribute: attributes(ints, floats, strings),
      });
    },
    int64: (values) =>
      cached(`i64:${values}`, () =>
        constant('i64', BigInt64Array.from(values.map(BigInt)), [values.length]),
      ),
    float: (value) => cached(`f32:${value}`, () => constant('f32', Float32Array.of(value), [])),
    shapeOf: (name) =>
      cached(`shape:${name}`, () => {
        const out = e.temp(`shape_${name}`);
        e.node('Shape', [name], [out]);
        return out;
      }),
    dims(dims: Shape) {
      if (dims.every((d) => typeof d === 'number')) return e.int64(dims as number[]);
      return cached(`dims:${dims}`, () => {
        const named = (d: string): string => {
          // Concat names an axis after its parts ('P+S'): add the parts' sizes.
          if (d.includes('+'))
            return cached(`dim:${d}`, () => {
              const [first, ...rest] = d
                .split('+')
                .map((p) => (/^\d+$/.test(p) ? e.int64([Number(p)]) : named(p)));
              return rest.reduce((acc, p) => {
                const out = e.temp('dim_sum');
                e.node('Add', [acc, p], [out]);
                return out;
              }, first);
            });
          const src = dimSource.get(d);
          if (!src) throw new Error(`graph ${graph.name}: no input declares dimension '${d}'`);
          return cached(`dim:${d}`, () => {
            const out = e.temp(`dim_${d}`);
            e.node('Gather', [e.shapeOf(src.input), e.int64([src.axis])], [out], { axis: 0 });
            return out;
          });
        };
        const parts = dims.map((d: Dim) => (typeof d === 'number' ? e.int64([d]) : named(d)));
        const out = e.temp('dims');
        e.node('Concat', parts, [out], { axis: 0 });
        return out;
      });
    },
    temp: (base) => `${base}__${temps++}`,
  };

  const stored = new StoredInputs(e);
  const outputs = graph.outputs.map((o) => o.tensor);
  for (const t of topoOrder(outputs, true)) emitTensor(e, t, initializers, stored);

  // Graph outputs get their own names through Identity, so one tensor may be output twice and
  // an input may be an output.
  for (const { name, tensor } of graph.outputs) e.node('Identity', [tensor.name], [name]);

  const model: proto.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'knowledge-neuron-explorer',
    graph: {
      name: graph.name,
      node: nodes,
      initializer: initializers,
      input: graph.inputs.flatMap((t) => {
        const storage = storageOf(t);
        return storage
          ? storedValueInfos(t.name, t.shape, storage, typedValueInfo, STORED_ELEM)
          : [valueInfo(t.name, t.dtype, t.shape)];
      }),
      output: graph.outputs.map((o) => valueInfo(o.name, o.tensor.dtype, o.tensor.shape)),
    },
  };
  return onnx.ModelProto.encode(model).finish();
}

const STORED_ELEM = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
};

function storageOf(t: Tensor): InputStorage | undefined {
  return t.origin.kind === 'input' ? t.origin.storage : undefined;
}

/** The blocks of the graph's stored inputs, and their whole-tensor decodes (once per graph). */
class StoredInputs {
  private readonly whole = new Map<Tensor, string>();

  constructor(private readonly e: Emitter) {}

  blocks(t: Tensor, storage: InputStorage): StoredBlock[] {
    const e = this.e;
    let start = 0;
    return blockNames(t.name, storage).map((raw, k) => {
      const rows = storage.rowBlocks?.[k] ?? -1;
      const block: StoredBlock = {
        raw,
        start,
        rows,
        decodeValues: (values, out) => {
          let v = values;
          if (storage.dtype === 'float16') {
            const cast = out && !storage.scaled ? out : e.temp(`${raw}_f32`);
            e.node('Cast', [v], [cast], { to: onnx.TensorProto.DataType.FLOAT });
            v = cast;
          }
          if (storage.scaled) {
            const scaled = out ?? e.temp(`${raw}_scaled`);
            e.node('Mul', [v, scaleName(t.name)], [scaled]);
            v = scaled;
          }
          if (out && v !== out) e.node('Identity', [v], [out]);
          return v;
        },
        decode: () => block.decodeValues(raw),
      };
      start += rows;
      return block;
    });
  }

  /** The whole input as one float32 value, for ops that read it as an ordinary tensor. */
  decoded(t: Tensor, storage: InputStorage, reader: string): string {
    let name = this.whole.get(t);
    if (!name) {
      if (storage.rowBlocks)
        throw new Error(
          `${reader} cannot read input ${t.name}, which is split into row blocks (only Gather, ` +
            `Gemm with transB and MatMul as the right operand read blocks)`,
        );
      name = this.blocks(t, storage)[0].decode();
      this.whole.set(t, name);
    }
    return name;
  }
}

function emitTensor(
  e: Emitter,
  t: Tensor,
  initializers: proto.ITensorProto[],
  stored: StoredInputs,
): void {
  const o = t.origin;
  if (o.kind === 'input') return;
  if (o.kind === 'constant') {
    const dataType = ELEM_TYPE[t.dtype];
    initializers.push({
      name: t.name,
      dims: t.shape as number[],
      dataType,
      rawData: rawBytes(o.data),
    });
    return;
  }
  const { def, inputs, attrs } = o.node;
  const storages = inputs.map(storageOf);
  if (def.emitStored && storages.some(Boolean)) {
    const args = inputs.map((i, k) => (storages[k] ? stored.blocks(i, storages[k]) : i.name));
    def.emitStored(e, args, t.name, attrs as never, inputs);
    return;
  }
  def.emit(
    e,
    inputs.map((i, k) => (storages[k] ? stored.decoded(i, storages[k], def.onnx) : i.name)),
    t.name,
    attrs as never,
    inputs,
  );
}
