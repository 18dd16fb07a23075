import onnxProto from 'onnx-proto';
import { floatTensor, floatValues, integer } from './graphRewrite.ts';

const { onnx } = onnxProto;
type NodeProto = InstanceType<typeof onnx.NodeProto>;
type TensorProto = InstanceType<typeof onnx.TensorProto>;
type GraphProto = InstanceType<typeof onnx.GraphProto>;
const { DataType } = onnx.TensorProto;

/**
 * Static 8-bit quantisation of a network's convolutions, for the CPU. Each `Conv` whose input and
 * output value ranges are known (from calibration/calibration.ts) becomes
 * `QuantizeLinear → QLinearConv → DequantizeLinear`: activations as uint8 with the calibrated range,
 * weights as int8 per output channel, the bias as int32. Everything else stays in float.
 * onnxruntime removes the Dequantize/Quantize pairs between two quantised convolutions and runs
 * QLinearConv on its integer kernels (VNNI where the CPU has it).
 *
 * Only convolutions that do at least `MIN_MULTIPLY_ADDS` multiply-adds per output value are
 * quantised. A cheap one (depthwise, or pointwise over few channels) gains less from integer
 * arithmetic than the Quantize and Dequantize passes over its activations cost: PP-LCNetV3 has an
 * activation after every convolution, so those passes do not cancel out.
 *
 * Measured on the 2-core CPU (median of 6 alternated rounds; scratch benchmark, random inputs):
 *
 * | quantised                          | recogniser, 48×320, 1 thread | detector, 960×608, 2 threads |
 * |------------------------------------|------------------------------|------------------------------|
 * | none (fp32)                        | 17.3 ms                      | 64.9 ms                      |
 * | every convolution but depthwise    | 10.6 ms                      | 59.6 ms                      |
 * | ≥ 100 multiply-adds per output     | 10.1 ms                      | 49.4 ms                      |
 * | ≥ 200                              | 10.8 ms                      | 50.2 ms                      |
 * | ≥ 500                              | 16.8 ms                      | 53.2 ms                      |
 *
 * With every convolution quantised, depthwise ones included, the recogniser took 11.2–11.7 ms.
 */

/**
 * Whether onnxruntime's uint8 × int8 kernels compute exactly on this CPU. On x86-64 without VNNI
 * they multiply with `vpmaddubsw`, whose 16-bit pair sums can saturate for large activations and
 * weights (onnxruntime's quantisation guide warns of an accuracy drop); with AVX-512 VNNI or
 * AVX-VNNI they do not, nor do the ARM kernels. The int8 figures were measured with VNNI only.
 * `cpuinfo` is the text of /proc/cpuinfo.
 */
export function int8KernelsExact(arch: string, cpuinfo: string): boolean {
  return arch !== 'x64' || /^flags\s*:.*\b(avx512_vnni|avx_vnni)\b/m.test(cpuinfo);
}

/** Calibrated [min, max] of a tensor, by name. */
export type ValueRanges = Readonly<Record<string, readonly [number, number]>>;

/** Convolutions quantised, kept in float as too cheap, and left in float for want of ranges. */
export type QuantizeReport = { convolutions: number; cheap: number; left: number };

/** Multiply-adds per output value (input channels per group × kernel area) worth quantising; see above. */
export const MIN_MULTIPLY_ADDS = 100;

/** QuantizeLinear, DequantizeLinear and QLinearConv appear in opset 10. */
const QUANTIZED_OPSET = 10;

export function quantizeConvolutions(
  bytes: Uint8Array,
  ranges: ValueRanges,
): { bytes: Uint8Array; report: QuantizeReport } {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as GraphProto;
  const report: QuantizeReport = { convolutions: 0, cheap: 0, left: 0 };
  const initializers = new Map<string, TensorProto>();
  for (const tensor of graph.initializer as TensorProto[]) initializers.set(tensor.name, tensor);
  const added: TensorProto[] = [];
  const quantizedInputs = new Map<string, string>();
  const nodes: NodeProto[] = [];

  for (const node of graph.node as NodeProto[]) {
    if (node.opType !== 'Conv') {
      nodes.push(node);
      continue;
    }
    const input = node.input[0] ?? '';
    const output = node.output[0] ?? '';
    const weights = initializers.get(node.input[1] ?? '');
    if (weights && multiplyAddsPerOutput(weights) < MIN_MULTIPLY_ADDS) {
      report.cheap++;
      nodes.push(node);
      continue;
    }
    const weightValues = weights && floatValues(weights);
    const biasTensor = node.input[2] ? initializers.get(node.input[2]) : undefined;
    const bias = biasTensor && floatValues(biasTensor);
    const inputRange = ranges[input];
    const outputRange = ranges[output];
    if (!weights || !weightValues || (node.input[2] && !bias) || !inputRange || !outputRange) {
      report.left++;
      nodes.push(node);
      continue;
    }

    const x = activationParameters(inputRange);
    const y = activationParameters(outputRange);
    const channels = integer(weights.dims[0]);
    const w = weightParameters(weightValues, channels);
    const base = `${output}/int8`;

    let quantizedInput = quantizedInputs.get(input);
    if (!quantizedInput) {
      quantizedInput = `${input}/quantized`;
      added.push(floatScalar(`${input}/scale`, x.scale), uint8Scalar(`${input}/zero_point`, x.zeroPoint));
      nodes.push(
        onnx.NodeProto.create({
          opType: 'QuantizeLinear',
          name: `${input}/quantize`,
          input: [input, `${input}/scale`, `${input}/zero_point`],
          output: [quantizedInput],
        }),
      );
      quantizedInputs.set(input, quantizedInput);
    }

    added.push(
      onnx.TensorProto.create({
        name: `${base}/w`,
        dataType: DataType.INT8,
        dims: weights.dims.map(integer),
        rawData: w.values,
      }),
      floatTensor(`${base}/w_scale`, [channels], w.scales),
      onnx.TensorProto.create({
        name: `${base}/w_zero_point`,
        dataType: DataType.INT8,
        dims: [channels],
        rawData: new Uint8Array(channels),
      }),
      floatScalar(`${base}/y_scale`, y.scale),
      uint8Scalar(`${base}/y_zero_point`, y.zeroPoint),
    );
    const inputs = [
      quantizedInput,
      `${input}/scale`,
      `${input}/zero_point`,
      `${base}/w`,
      `${base}/w_scale`,
      `${base}/w_zero_point`,
      `${base}/y_scale`,
      `${base}/y_zero_point`,
    ];
    if (bias) {
      added.push(int32Tensor(`${base}/bias`, biasValues(bias, x.scale, w.scales)));
      inputs.push(`${base}/bias`);
    }
    nodes.push(
      onnx.NodeProto.create({
        opType: 'QLinearConv',
        name: `${base}/conv`,
        input: inputs,
        output: [`${base}/y`],
        attribute: node.attribute,
      }),
      onnx.NodeProto.create({
        opType: 'DequantizeLinear',
        name: `${base}/dequantize`,
        input: [`${base}/y`, `${base}/y_scale`, `${base}/y_zero_point`],
        output: [output],
      }),
    );
    report.convolutions++;
  }

  if (report.convolutions === 0) return { bytes, report };
  graph.node = nodes;
  const used = new Set(nodes.flatMap((node) => node.input));
  graph.initializer = [...graph.initializer, ...added].filter((tensor) => used.has(tensor.name as string));
  raiseOpset(model, graph);
  return { bytes: onnx.ModelProto.encode(model).finish(), report };
}

/**
 * Each `MatMul` by a constant 2-D weight matrix (the recogniser's attention, feed-forward and
 * output layers) becomes onnxruntime's `DynamicQuantizeMatMul`: int8 weights with one scale per
 * output column, the input quantised on the fly from its own range, so no calibration is needed.
 * Measured on the 2-core CPU, one thread, a 48×320 strip of the int8 recogniser (7 alternated
 * rounds, median): 10.8 → 10.1 ms (48×160: 5.8 → 5.2 ms); on the 300 generated cards the same
 * fields were read.
 */
export function quantizeMatMulWeights(bytes: Uint8Array): { bytes: Uint8Array; matMuls: number } {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as GraphProto;
  const initializers = new Map<string, TensorProto>();
  for (const tensor of graph.initializer as TensorProto[]) initializers.set(tensor.name, tensor);
  const added: TensorProto[] = [];
  let matMuls = 0;
  graph.node = (graph.node as NodeProto[]).map((node) => {
    const weights = node.opType === 'MatMul' ? initializers.get(node.input[1] ?? '') : undefined;
    const values = weights && weights.dims.length === 2 ? floatValues(weights) : undefined;
    if (!weights || !values) return node;
    const [rows, columns] = weights.dims.map(integer) as [number, number];
    const { scales, quantized } = columnParameters(values, rows, columns);
    const base = `${node.output[0]}/int8`;
    added.push(
      onnx.TensorProto.create({
        name: `${base}/w`,
        dataType: DataType.INT8,
        dims: [rows, columns],
        rawData: quantized,
      }),
      floatTensor(`${base}/w_scale`, [columns], scales),
      onnx.TensorProto.create({
        name: `${base}/w_zero_point`,
        dataType: DataType.INT8,
        dims: [columns],
        rawData: new Uint8Array(columns),
      }),
    );
    matMuls++;
    return onnx.NodeProto.create({
      opType: 'DynamicQuantizeMatMul',
      domain: MICROSOFT_DOMAIN,
      name: `${base}/matmul`,
      input: [node.input[0] as string, `${base}/w`, `${base}/w_scale`, `${base}/w_zero_point`],
      output: node.output,
    });
  });
  if (matMuls === 0) return { bytes, matMuls };
  const used = new Set((graph.node as NodeProto[]).flatMap((node) => node.input));
  graph.initializer = [...graph.initializer, ...added].filter((tensor) => used.has(tensor.name as string));
  if (!model.opsetImport.some((entry) => entry.domain === MICROSOFT_DOMAIN)) {
    model.opsetImport.push(onnx.OperatorSetIdProto.create({ domain: MICROSOFT_DOMAIN, version: 1 }));
  }
  return { bytes: onnx.ModelProto.encode(model).finish(), matMuls };
}

/** onnxruntime's own operators, `DynamicQuantizeMatMul` among them. */
const MICROSOFT_DOMAIN = 'com.microsoft';

/** int8, symmetric, one scale per column of a [rows, columns] matrix (row-major). */
function columnParameters(values: Float32Array, rows: number, columns: number) {
  const scales = new Float32Array(columns);
  for (let index = 0; index < values.length; index++) {
    const column = index % columns;
    scales[column] = Math.max(scales[column] as number, Math.abs(values[index] as number));
  }
  for (let column = 0; column < columns; column++) scales[column] = (scales[column] as number) / 127 || 1;
  const quantized = new Int8Array(rows * columns);
  for (let index = 0; index < values.length; index++) {
    quantized[index] = Math.round((values[index] as number) / (scales[index % columns] as number));
  }
  return { scales, quantized: new Uint8Array(quantized.buffer) };
}

/** Weights are [output channels, input channels per group, kernel height, kernel width]. */
function multiplyAddsPerOutput(weights: TensorProto): number {
  return weights.dims.slice(1).reduce<number>((product, dimension) => product * integer(dimension), 1);
}

/** uint8, asymmetric; the range always holds 0 so that zero padding stays exact. */
function activationParameters([min, max]: readonly [number, number]) {
  const low = Math.min(0, min);
  const high = Math.max(0, max);
  const scale = high > low ? (high - low) / 255 : 1;
  return { scale, zeroPoint: Math.min(255, Math.max(0, Math.round(-low / scale))) };
}

/** int8, symmetric, one scale per output channel. */
function weightParameters(values: Float32Array, channels: number) {
  const perChannel = values.length / channels;
  const scales = new Float32Array(channels);
  const quantized = new Int8Array(values.length);
  for (let channel = 0; channel < channels; channel++) {
    let largest = 0;
    for (let index = channel * perChannel; index < (channel + 1) * perChannel; index++) {
      largest = Math.max(largest, Math.abs(values[index] as number));
    }
    const scale = largest > 0 ? largest / 127 : 1;
    scales[channel] = scale;
    for (let index = channel * perChannel; index < (channel + 1) * perChannel; index++) {
      quantized[index] = Math.round((values[index] as number) / scale);
    }
  }
  return { scales, values: new Uint8Array(quantized.buffer) };
}

/** The bias in the accumulator's units: input scale × weight scale. */
function biasValues(bias: Float32Array, inputScale: number, weightScales: Float32Array) {
  return Int32Array.from(bias, (value, channel) =>
    Math.round(value / (inputScale * (weightScales[channel] as number))),
  );
}

const floatScalar = (name: string, value: number) => floatTensor(name, [], Float32Array.of(value));
const uint8Scalar = (name: string, value: number) =>
  onnx.TensorProto.create({ name, dataType: DataType.UINT8, dims: [], rawData: Uint8Array.of(value) });

function int32Tensor(name: string, values: Int32Array) {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (const [index, value] of values.entries()) view.setInt32(index * 4, value, true);
  return onnx.TensorProto.create({ name, dataType: DataType.INT32, dims: [values.length], rawData: raw });
}

function int64Tensor(name: string, values: readonly number[]) {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  // Slice bounds like INT64_MAX ("to the end") arrive as imprecise doubles; any bound past the
  // tensor's size means the same to the operator.
  const clamp = (value: number) => Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, value));
  for (const [index, value] of values.entries()) view.setBigInt64(index * 8, BigInt(clamp(value)), true);
  return onnx.TensorProto.create({ name, dataType: DataType.INT64, dims: [values.length], rawData: raw });
}

/**
 * The quantised operators need opset 10. Between 9 and 10 only `Slice` changed among the operators
 * these networks use: its bounds moved from attributes to inputs.
 */
function raiseOpset(model: InstanceType<typeof onnx.ModelProto>, graph: GraphProto) {
  const main = model.opsetImport.find((entry) => !entry.domain || entry.domain === 'ai.onnx');
  if (!main || integer(main.version) >= QUANTIZED_OPSET) return;
  main.version = QUANTIZED_OPSET;
  for (const node of graph.node as NodeProto[]) {
    if (node.opType !== 'Slice') continue;
    const bounds = (name: string) => node.attribute.find((entry) => entry.name === name)?.ints?.map(integer);
    const starts = bounds('starts') ?? [];
    const ends = bounds('ends') ?? [];
    const axes = bounds('axes') ?? starts.map((_, index) => index);
    const base = `${node.output[0]}/slice`;
    graph.initializer.push(
      int64Tensor(`${base}/starts`, starts),
      int64Tensor(`${base}/ends`, ends),
      int64Tensor(`${base}/axes`, axes),
    );
    node.input = [node.input[0] as string, `${base}/starts`, `${base}/ends`, `${base}/axes`];
    node.attribute = [];
  }
}
