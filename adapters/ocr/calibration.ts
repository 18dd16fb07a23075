import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import onnxProto from 'onnx-proto';
import type { ValueRanges } from './quantize.ts';

const { onnx } = onnxProto;
type NodeProto = InstanceType<typeof onnx.NodeProto>;
type GraphProto = InstanceType<typeof onnx.GraphProto>;

/**
 * Value ranges for int8 inference (quantize.ts), measured by `npm run calibrate` on synthetic cards
 * and kept in `int8-ranges.json` beside this file. Each entry names the model file and its SHA-256:
 * ranges measured on another version of a model would quantise it wrongly, so they are refused.
 */
export type CalibrationFile = {
  /** How the ranges were measured (command, cards, seed). */
  measuredWith: string;
  models: Record<string, { sha256: string; ranges: Record<string, [number, number]> }>;
};

export const CALIBRATION_PATH = new URL('./int8-ranges.json', import.meta.url);

let calibration: Promise<CalibrationFile> | undefined;

/** The ranges for the model at `path`, whose bytes are `bytes`; throws when there are none for them. */
export async function rangesFor(path: string, bytes: Uint8Array): Promise<ValueRanges> {
  calibration ??= readFile(CALIBRATION_PATH, 'utf8').then((text) => JSON.parse(text) as CalibrationFile);
  const entry = (await calibration).models[basename(path)];
  if (!entry) throw new Error(`no int8 ranges for ${basename(path)}; run npm run calibrate or set OCR_PRECISION=fp32`);
  if (entry.sha256 !== sha256(bytes)) {
    throw new Error(
      `the int8 ranges of ${basename(path)} were measured on another version of it; run npm run calibrate or set OCR_PRECISION=fp32`,
    );
  }
  return entry.ranges;
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The tensors whose ranges quantisation needs: every convolution's input and output. */
export function convolutionValues(bytes: Uint8Array): string[] {
  const graph = onnx.ModelProto.decode(bytes).graph as GraphProto;
  const names = new Set<string>();
  for (const node of graph.node as NodeProto[]) {
    if (node.opType !== 'Conv') continue;
    names.add(node.input[0] as string);
    names.add(node.output[0] as string);
  }
  return [...names];
}

/** The model with `names` (those not inputs already) added to its outputs, so that one run shows their values. */
export function exposeValues(bytes: Uint8Array, names: readonly string[]): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as GraphProto;
  // A graph input is never also an output: the caller has its values already.
  const known = new Set([...graph.output, ...graph.input].map((value) => value.name));
  for (const name of names) {
    if (known.has(name)) continue;
    graph.output.push(
      onnx.ValueInfoProto.create({
        name,
        type: onnx.TypeProto.create({
          tensorType: onnx.TypeProto.Tensor.create({ elemType: onnx.TensorProto.DataType.FLOAT }),
        }),
      }),
    );
  }
  return onnx.ModelProto.encode(model).finish();
}

/** Widens `ranges` to hold every value of `data`. */
export function widenRange(ranges: Record<string, [number, number]>, name: string, data: Float32Array) {
  let [low, high] = ranges[name] ?? [Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (let index = 0; index < data.length; index++) {
    const value = data[index] as number;
    if (value < low) low = value;
    if (value > high) high = value;
  }
  ranges[name] = [low, high];
}
