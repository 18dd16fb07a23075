import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
type NodeProto = InstanceType<typeof onnx.NodeProto>;
type GraphProto = InstanceType<typeof onnx.GraphProto>;

/**
 * The measuring behind `npm run calibrate` (scripts/calibrateOcr.ts): which values int8 needs
 * ranges for, a network that shows them, and a sample of each from which its range is taken. What
 * it writes, and how int8 preparation reads it, is models/int8Ranges.ts.
 */
export { CALIBRATION_PATH, type CalibrationFile, sha256 } from '../models/int8Ranges.ts';

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

/**
 * A sample of each tensor's values, from which calibration takes its ranges. The extremes of a
 * tensor are often a handful of outliers; a range that holds them all spends most of the 256 steps
 * on values that hardly occur. On the 300 generated cards, with every convolution of the recogniser
 * quantised, int8 recognition read 3903 of 3960 fields with the extremes as ranges and 3915 with
 * the 99.99th percentile (fp32: 3936); with an earlier sample, the 99.9th gave 3888, the 99.99th
 * 3923 and the 99.999th 3910.
 */
export type ValueSampler = {
  add(name: string, data: Float32Array): void;
  /**
   * Per tensor, the (100 − percentile)th and the percentile-th percentile of its sample; at 100, and
   * for the names in `whole` (the network's input, whose range the normalisation fixes), the
   * extremes of all it saw.
   */
  ranges(percentile: number, whole?: ReadonlySet<string>): Record<string, [number, number]>;
};

/** Up to `size` values per tensor, a uniform sample (seeded: the same inputs give the same ranges). */
export function createValueSampler(size = 200_000, seed = 1): ValueSampler {
  type Entry = { values: Float32Array; seen: number; low: number; high: number };
  const entries = new Map<string, Entry>();
  let state = seed;
  const random = () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
  // At most this many values of one tensor per call: a strip's activations are hundreds of thousands.
  const perCall = 2000;
  return {
    add(name, data) {
      let entry = entries.get(name);
      if (!entry) {
        entry = {
          values: new Float32Array(size),
          seen: 0,
          low: Number.POSITIVE_INFINITY,
          high: Number.NEGATIVE_INFINITY,
        };
        entries.set(name, entry);
      }
      for (let index = 0; index < data.length; index++) {
        const value = data[index] as number;
        if (value < entry.low) entry.low = value;
        if (value > entry.high) entry.high = value;
      }
      const step = Math.max(1, Math.floor(data.length / perCall));
      for (let index = Math.floor(random() * step); index < data.length; index += step) {
        // Reservoir sampling: every value offered so far is kept with the same chance.
        const slot = entry.seen < size ? entry.seen : Math.floor(random() * (entry.seen + 1));
        if (slot < size) entry.values[slot] = data[index] as number;
        entry.seen++;
      }
    },
    ranges(percentile, whole = new Set()) {
      const ranges: Record<string, [number, number]> = {};
      for (const [name, entry] of entries) {
        if (whole.has(name) || percentile >= 100) {
          ranges[name] = [entry.low, entry.high];
          continue;
        }
        const sorted = entry.values.slice(0, Math.min(size, entry.seen)).sort();
        const last = sorted.length - 1;
        const share = percentile / 100;
        ranges[name] = [sorted[Math.floor((1 - share) * last)] as number, sorted[Math.ceil(share * last)] as number];
      }
      return ranges;
    },
  };
}
