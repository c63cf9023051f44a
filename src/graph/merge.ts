/**
 * Several ONNX models over the same weights as one model that holds the weights once.
 *
 * Why: onnxruntime-web's WASM backend copies every CPU tensor a session is fed into its heap at
 * each run, so weights fed as inputs are copied on every run. As initializers they are copied
 * once, when the session is made; but a weight that is an initializer of several sessions is
 * held by each. Here the models become the branches of a chain of If nodes selected by the
 * scalar input `graph_index`; the weights are initializers of the outer graph, which every
 * branch reads, so one session holds them once and runs any of the models.
 *
 * Inputs: `graph_index` (int64, []), and every model's inputs that are not weights (by name:
 * models that share an input name share the input). A run feeds the inputs of its model and an
 * empty tensor for each input only other models read. Outputs: `<model>/<output>` for every
 * model's outputs; the branch taken fills its own and leaves the others empty.
 */
import onnxProto from 'onnx-proto';
import type { onnx as proto } from 'onnx-proto';

const { onnx } = onnxProto;

export const GRAPH_INDEX = 'graph_index';

/**
 * A weight held by the merged model: float32 only (a 16-bit initializer's Cast is folded by
 * onnxruntime into a float32 copy held beside it, so 16-bit weights stay inputs).
 */
export interface ResidentTensor {
  name: string;
  dims: readonly number[];
  data: Float32Array;
}

/** An initializer's bytes outside the model (ONNX external data), by file name. */
export interface ExternalData {
  path: string;
  data: Uint8Array;
}

export interface MergedModel {
  model: Uint8Array;
  /** The weights' bytes, which the model refers to as external data files. */
  externalData: ExternalData[];
  /** Each model's inputs other than the weights, as the caller feeds them. */
  inputs: Record<string, { name: string; elemType: number }[]>;
  /** Each model's outputs (their names in the merged model: `<model>/<output>`). */
  outputs: Record<string, string[]>;
}

/** The inputs of an ONNX model (as toOnnx writes them: a stored weight's blocks and scale). */
export const modelInputNames = (model: Uint8Array): string[] =>
  (onnx.ModelProto.decode(model).graph?.input ?? []).map((i) => i.name!);

export const mergedOutputName = (model: string, output: string) => `${model}/${output}`;

/**
 * Merges `models` (name -> ONNX bytes, as toOnnx writes them), with the weights `resident` as
 * initializers of the outer graph. Every model must read its weights under the same input names.
 */
export function mergeModels(
  models: Record<string, Uint8Array>,
  resident: readonly ResidentTensor[],
): MergedModel {
  const names = Object.keys(models);
  if (names.length === 0) throw new Error('mergeModels: no models');
  const decoded = names.map((n) => onnx.ModelProto.decode(models[n]));
  const weights = new Set(resident.map((r) => r.name));
  const T = onnx.AttributeProto.AttributeType;

  const inputs: MergedModel['inputs'] = {};
  const outputs: MergedModel['outputs'] = {};
  const outer = new Map<string, number>(); // input name -> element type
  const outTypes: { name: string; elemType: number }[] = [];
  names.forEach((n, k) => {
    const g = decoded[k].graph!;
    inputs[n] = [];
    for (const i of g.input ?? []) {
      const name = i.name!;
      if (weights.has(name)) continue;
      const elemType = i.type!.tensorType!.elemType!;
      const seen = outer.get(name);
      if (seen !== undefined && seen !== elemType)
        throw new Error(`mergeModels: input ${name} has different types in different models`);
      outer.set(name, elemType);
      inputs[n].push({ name, elemType });
    }
    outputs[n] = (g.output ?? []).map((o) => {
      const name = mergedOutputName(n, o.name!);
      outTypes.push({ name, elemType: o.type!.tensorType!.elemType! });
      return name;
    });
  });

  const typeOf = (elemType: number): proto.ITypeProto => ({ tensorType: { elemType } });

  /** Model k as a branch: its own names prefixed, every merged output, others' left empty. */
  const branch = (k: number): proto.IGraphProto => {
    const g = decoded[k].graph!;
    const own = new Set((g.input ?? []).map((i) => i.name!));
    const prefix = `${names[k]}/`;
    const rename = (s: string) => (s === '' || own.has(s) ? s : `${prefix}${s}`);
    const node: proto.INodeProto[] = (g.node ?? []).map((n) => ({
      ...n,
      input: (n.input ?? []).map(rename),
      output: (n.output ?? []).map(rename),
    }));
    const initializer = (g.initializer ?? [])
      .filter((t) => !weights.has(t.name!))
      .map((t) => ({ ...t, name: rename(t.name!) }));
    const mine = new Set(outputs[names[k]]);
    const output = outTypes.map(({ name, elemType }) => {
      // Model k's output o is merged output `<model>/o`, which is also its renamed tensor.
      if (mine.has(name)) return { name, type: typeOf(elemType) };
      const empty = `${prefix}empty:${name}`;
      node.push({
        opType: 'Constant',
        input: [],
        output: [empty],
        attribute: [{ name: 'value', type: T.TENSOR, t: { dims: [0], dataType: elemType } }],
      });
      return { name: empty, type: typeOf(elemType) };
    });
    return { name: names[k], node, initializer, output };
  };

  const allOutputs = outTypes.map((o) => o.name);
  const index = (k: number) => ({
    name: `index:${k}`,
    dims: [],
    dataType: onnx.TensorProto.DataType.INT64,
    rawData: new Uint8Array(BigInt64Array.of(BigInt(k)).buffer),
  });

  /** The If chain from model k on: model k when graph_index = k, else the rest. */
  const chain = (k: number): proto.INodeProto[] => {
    const cond = `is:${k}`;
    const rest: proto.IGraphProto =
      k === names.length - 2
        ? branch(k + 1)
        : {
            name: `after:${k}`,
            node: chain(k + 1),
            output: allOutputs.map((name) => ({
              name: `${name}@${k + 1}`,
              type: typeOf(outTypes.find((o) => o.name === name)!.elemType),
            })),
          };
    return [
      { opType: 'Equal', input: [GRAPH_INDEX, `index:${k}`], output: [cond] },
      {
        opType: 'If',
        input: [cond],
        output: allOutputs.map((name) => (k === 0 ? name : `${name}@${k}`)),
        attribute: [
          { name: 'then_branch', type: T.GRAPH, g: branch(k) },
          { name: 'else_branch', type: T.GRAPH, g: rest },
        ],
      },
    ];
  };

  // The weights stay outside the model bytes (a view each, no copy): the runtime reads them
  // straight into the session's initializers.
  const externalData: ExternalData[] = resident.map((r, k) => ({
    path: `weight${k}.bin`,
    data: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength),
  }));
  const weightInit: proto.ITensorProto[] = resident.map((r, k) => ({
    name: r.name,
    dims: [...r.dims],
    dataType: onnx.TensorProto.DataType.FLOAT,
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: externalData[k].path },
      { key: 'offset', value: '0' },
      { key: 'length', value: String(externalData[k].data.byteLength) },
    ],
  }));

  const graphIndex: proto.IValueInfoProto = {
    name: GRAPH_INDEX,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [] } } },
  };
  const outerInputs = [...outer].map(([name, elemType]) => ({ name, type: typeOf(elemType) }));
  const only = names.length === 1 ? branch(0) : undefined;
  const graph: proto.IGraphProto = only
    ? // One model: no If (graph_index is fed and unused).
      {
        ...only,
        initializer: [...only.initializer!, ...weightInit],
        input: [...outerInputs, graphIndex],
      }
    : {
        name: 'merged',
        node: chain(0),
        initializer: [...weightInit, ...names.slice(0, -1).map((_, k) => index(k))],
        input: [...outerInputs, graphIndex],
        output: outTypes.map(({ name, elemType }) => ({ name, type: typeOf(elemType) })),
      };
  const model = onnx.ModelProto.encode({ ...decoded[0], graph }).finish();
  return { model, externalData, inputs, outputs };
}

/**
 * The model with its external data files' bytes put inside it (for runtimes that cannot be
 * given external data from memory, as onnxruntime-node).
 */
export function inlineExternalData(model: Uint8Array, files: readonly ExternalData[]): Uint8Array {
  const byPath = new Map(files.map((f) => [f.path, f.data]));
  const m = onnx.ModelProto.decode(model);
  for (const t of m.graph?.initializer ?? []) {
    if (t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL) continue;
    const field = (key: string) => t.externalData?.find((e) => e.key === key)?.value;
    const data = byPath.get(field('location') ?? '');
    if (!data) throw new Error(`inlineExternalData: no file ${field('location')} for ${t.name}`);
    const offset = Number(field('offset') ?? 0);
    const length = Number(field('length') ?? data.byteLength - offset);
    t.rawData = data.subarray(offset, offset + length);
    t.dataLocation = onnx.TensorProto.DataLocation.DEFAULT;
    t.externalData = [];
  }
  return onnx.ModelProto.encode(m).finish();
}
