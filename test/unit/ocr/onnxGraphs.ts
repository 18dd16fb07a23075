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
