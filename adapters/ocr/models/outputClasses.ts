import onnxProto from 'onnx-proto';
import { integer } from './graphRewrite.ts';

const { onnx } = onnxProto;
type GraphProto = InstanceType<typeof onnx.GraphProto>;
type NodeProto = InstanceType<typeof onnx.NodeProto>;

/**
 * The recogniser ends in a softmax over 6625 classes, of which the decoder reads 187 in `latin`
 * mode (pipeline/recognition/ctc.ts). A `Gather` after the softmax keeps only those: the probabilities are the
 * very ones the whole output holds, but each frame (8 pixels of strip width) shrinks from 26 kB to
 * under 1 kB, which onnxruntime allocates and copies, lanes hand between threads and the decoder
 * reads. Measured on the 2-core CPU, one thread, 30 strips of the int8 recogniser (6 alternated
 * rounds, median): 266 → 256 ms.
 *
 * `classes` are model class indices along the output's last axis ([strips, frames, classes]); the
 * output keeps its name. All the classes in order leave the model as it is.
 */
export function keepOutputClasses(bytes: Uint8Array, classes: readonly number[]): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as GraphProto;
  const output = graph.output[0];
  const dims = output?.type?.tensorType?.shape?.dim ?? [];
  if (!output || dims.length !== 3) throw new Error('the recogniser has no [strips, frames, classes] output');
  const declared = dims[2]?.dimValue ? integer(dims[2].dimValue) : undefined;
  if (declared !== undefined && classes.some((value) => value < 0 || value >= declared)) {
    throw new Error(`output classes must lie in [0, ${declared})`);
  }
  if (declared !== undefined && classes.length === declared && classes.every((value, index) => value === index)) {
    return bytes;
  }

  const whole = `${output.name}/all_classes`;
  // Decoded messages are class instances: their repeated fields are arrays, never absent.
  for (const node of graph.node as NodeProto[]) {
    node.output = (node.output as string[]).map((name) => (name === output.name ? whole : name));
  }
  const indices = new BigInt64Array(classes.map((value) => BigInt(value)));
  graph.initializer.push(
    onnx.TensorProto.create({
      name: `${output.name}/kept_classes`,
      dataType: onnx.TensorProto.DataType.INT64,
      dims: [classes.length],
      rawData: new Uint8Array(indices.buffer),
    }),
  );
  graph.node.push(
    onnx.NodeProto.create({
      opType: 'Gather',
      name: `${output.name}/keep_classes`,
      input: [whole, `${output.name}/kept_classes`],
      output: [output.name as string],
      attribute: [onnx.AttributeProto.create({ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 2 })],
    }),
  );
  dims[2] = onnx.TensorShapeProto.Dimension.create({ dimValue: classes.length });
  return onnx.ModelProto.encode(model).finish();
}
