/**
 * A hand-encoded one-node ONNX model, `y = Neg(x)` over float32 [n], used by the browser
 * runtime to start a backend (onnxruntime-web creates its WebGPU device with the first
 * session) and check that it computes, before anything else is loaded. Encoding it by hand
 * keeps the runtime free of a protobuf dependency; the graph builder (src/graph) emits real
 * models.
 */

const WIRE_VARINT = 0;
const WIRE_BYTES = 2;
const utf8 = new TextEncoder();

function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return out;
}

function field(num: number, wire: number): number[] {
  return varint(num * 8 + wire);
}

function intField(num: number, value: number): number[] {
  return [...field(num, WIRE_VARINT), ...varint(value)];
}

function bytesField(num: number, body: number[] | Uint8Array): number[] {
  return [...field(num, WIRE_BYTES), ...varint(body.length), ...body];
}

function stringField(num: number, text: string): number[] {
  return bytesField(num, utf8.encode(text));
}

/** ValueInfoProto for a float32 tensor with a symbolic 1-D shape. */
function floatValueInfo(name: string, dimParam: string): number[] {
  const dim = stringField(2, dimParam); // Dimension.dim_param
  const shape = bytesField(1, dim); // TensorShapeProto.dim
  const tensorType = [...intField(1, 1 /* FLOAT */), ...bytesField(2, shape)];
  const type = bytesField(1, tensorType); // TypeProto.tensor_type
  return [...stringField(1, name), ...bytesField(2, type)];
}

/** ModelProto bytes (IR 8, opset 17): input `x` float32 ['n'], output `y` = -x. */
export function negModel(): Uint8Array {
  const node = [
    ...stringField(1, 'x'),
    ...stringField(2, 'y'),
    ...stringField(3, 'neg'),
    ...stringField(4, 'Neg'),
  ];
  const graph = [
    ...bytesField(1, node),
    ...stringField(2, 'warmup'),
    ...bytesField(11, floatValueInfo('x', 'n')),
    ...bytesField(12, floatValueInfo('y', 'n')),
  ];
  const opset = [...stringField(1, ''), ...intField(2, 17)];
  const model = [
    ...intField(1, 8), // ir_version
    ...stringField(2, 'knowledge-neuron-explorer'), // producer_name
    ...bytesField(7, graph),
    ...bytesField(8, opset),
  ];
  return new Uint8Array(model);
}
