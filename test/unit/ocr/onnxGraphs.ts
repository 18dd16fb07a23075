import onnxProto from 'onnx-proto';

/** Pieces for the small ONNX graphs the graph tests build. */
const { onnx } = onnxProto;

/** A float tensor's name, type and shape, as graph inputs and outputs declare them. */
export const valueInfo = (name: string, dims: number[]) =>
  onnx.ValueInfoProto.create({
    name,
    type: onnx.TypeProto.create({
      tensorType: onnx.TypeProto.Tensor.create({
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: onnx.TensorShapeProto.create({ dim: dims.map((dimValue) => ({ dimValue })) }),
      }),
    }),
  });

/** Reproducible values in [-spread, spread] (a Lehmer generator), for weights and inputs. */
export const seeded = (length: number, seed: number, spread = 2) => {
  const values = new Float32Array(length);
  let state = seed;
  for (let index = 0; index < length; index++) {
    state = (state * 16807) % 2147483647;
    values[index] = ((state / 2147483647) * 2 - 1) * spread;
  }
  return values;
};

/** A model of one graph at the given version of the default opset, encoded. */
export const encodedModel = (opset: number, graph: Parameters<typeof onnx.GraphProto.create>[0]) =>
  onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: opset }],
      graph: onnx.GraphProto.create(graph),
    }),
  ).finish();
