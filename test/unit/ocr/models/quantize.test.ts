import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import {
  convolutionValues,
  createValueSampler,
  exposeValues,
} from '../../../../adapters/ocr/calibration/calibration.ts';
import { createOnnxOcrEngine } from '../../../../adapters/ocr/engine/engine.ts';
import { floatTensor, rewriteForInference } from '../../../../adapters/ocr/models/graphRewrite.ts';
import { CALIBRATION_PATH, type CalibrationFile, rangesFor } from '../../../../adapters/ocr/models/int8Ranges.ts';
import { locateModels } from '../../../../adapters/ocr/models/models.ts';
import { int8KernelsExactHere, resolvePrecision } from '../../../../adapters/ocr/models/precision.ts';
import { modelBytes } from '../../../../adapters/ocr/models/prepare.ts';
import {
  int8KernelsExact,
  MIN_MULTIPLY_ADDS,
  quantizeConvolutions,
  quantizeMatMulWeights,
} from '../../../../adapters/ocr/models/quantize.ts';
import { recordingLogger } from '../../../support/recordingLogger.ts';
import { encodedModel, seeded, valueInfo } from '../onnxGraphs.ts';
import { renderCard } from '../syntheticCard.ts';

const { onnx } = onnxProto;
type NodeProto = InstanceType<typeof onnx.NodeProto>;
type TensorProto = InstanceType<typeof onnx.TensorProto>;
type GraphProto = InstanceType<typeof onnx.GraphProto>;
const INTS = onnx.AttributeProto.AttributeType.INTS;

/** Input channels of the test graphs. */
const CHANNELS = 12;
const INPUT_LENGTH = CHANNELS * 8 * 8;

/**
 * Opset 9, like the networks: a 3×3 convolution with bias over 12 channels (108 multiply-adds per
 * output value), a ReLU, a depthwise one (9, too cheap to quantise), a 5×5 one without bias (100,
 * just enough), and an opset-9 `Slice` (bounds as attributes, "to the end" as INT64_MAX).
 */
function convolutionChain() {
  const node = (opType: string, input: string[], output: string[], attribute: object[] = []) =>
    onnx.NodeProto.create({ opType, input, output, attribute: attribute.map((a) => onnx.AttributeProto.create(a)) });
  const pads = (size: number) => ({ name: 'pads', type: INTS, ints: [size, size, size, size] });
  return encodedModel(9, {
    name: 'chain',
    node: [
      node('Conv', ['x', 'w1', 'b1'], ['c1'], [pads(1)]),
      node('Relu', ['c1'], ['r1']),
      node('Conv', ['r1', 'w2'], ['c2'], [pads(1), { name: 'group', type: 2, i: 4 }]),
      node('Conv', ['c2', 'w3'], ['c3'], [pads(2)]),
      node(
        'Slice',
        ['c3'],
        ['y'],
        [
          { name: 'starts', type: INTS, ints: [1] },
          { name: 'ends', type: INTS, ints: ['9223372036854775807'] },
          { name: 'axes', type: INTS, ints: [3] },
        ],
      ),
    ],
    initializer: [
      floatTensor('w1', [4, CHANNELS, 3, 3], seeded(4 * CHANNELS * 9, 5, 0.2)),
      floatTensor('b1', [4], Float32Array.of(0.25, -0.5, 1, 0)),
      floatTensor('w2', [4, 1, 3, 3], seeded(36, 7, 0.5)),
      floatTensor('w3', [4, 4, 5, 5], seeded(400, 11, 0.2)),
    ],
    input: [valueInfo('x', [1, CHANNELS, 8, 8])],
    output: [valueInfo('y', [1, 4, 8, 7])],
  });
}

async function run(model: Uint8Array, input: Float32Array, fetch?: string[]) {
  const session = await ort.InferenceSession.create(model);
  try {
    const outputs = await session.run(
      { x: new ort.Tensor('float32', input, [1, CHANNELS, 8, 8]) },
      fetch ?? [...session.outputNames],
    );
    return Object.fromEntries(Object.entries(outputs).map(([name, tensor]) => [name, tensor.data as Float32Array]));
  } finally {
    await session.release();
  }
}

/** Ranges the way `npm run calibrate` measures them: every convolution's input and output, over some inputs. */
async function calibrate(model: Uint8Array, inputs: Float32Array[]) {
  const names = convolutionValues(model);
  const exposed = exposeValues(model, names);
  const sampler = createValueSampler();
  for (const input of inputs) {
    const outputs = await run(
      exposed,
      input,
      names.filter((name) => name !== 'x'),
    );
    sampler.add('x', input);
    for (const [name, data] of Object.entries(outputs)) sampler.add(name, data);
  }
  return sampler.ranges(100);
}

const opTypes = (model: Uint8Array) => (onnx.ModelProto.decode(model).graph?.node ?? []).map((node) => node.opType);

describe('int8 quantisation of the convolutions', () => {
  it('should compute nearly what the float graph computes, in QLinearConv, at opset 10', async () => {
    const model = convolutionChain();
    const samples = [1, 2, 3, 4].map((seed) => seeded(INPUT_LENGTH, seed));
    const ranges = await calibrate(model, samples);
    assert.deepEqual(Object.keys(ranges).sort(), ['c1', 'c2', 'c3', 'r1', 'x']);

    const { bytes, report } = quantizeConvolutions(model, ranges);
    assert.deepEqual(report, { convolutions: 2, cheap: 1, left: 0 });
    assert.deepEqual(opTypes(bytes), [
      'QuantizeLinear',
      'QLinearConv',
      'DequantizeLinear',
      'Relu',
      'Conv',
      'QuantizeLinear',
      'QLinearConv',
      'DequantizeLinear',
      'Slice',
    ]);
    assert.equal(Number(onnx.ModelProto.decode(bytes).opsetImport[0]?.version), 10);

    const input = seeded(INPUT_LENGTH, 9);
    const [exact, approximate] = [(await run(model, input)).y, (await run(bytes, input)).y] as Float32Array[];
    assert.equal(approximate?.length, 4 * 8 * 7);
    const [low, high] = ranges.c3 as [number, number];
    let largest = 0;
    exact?.forEach((value, index) => {
      largest = Math.max(largest, Math.abs(value - (approximate?.[index] as number)));
    });
    // A few quantisation steps of the output's range, no more.
    assert.ok(largest < (high - low) * 0.03, `largest difference ${largest} of a range ${high - low}`);
  });

  it('should leave a convolution without ranges in float, and a graph with none untouched', async () => {
    const model = convolutionChain();
    const ranges = await calibrate(model, [seeded(INPUT_LENGTH, 1)]);
    const { c3: _dropped, ...partial } = ranges;
    const { bytes, report } = quantizeConvolutions(model, partial);
    assert.deepEqual(report, { convolutions: 1, cheap: 1, left: 1 });
    assert.equal(opTypes(bytes).filter((type) => type === 'Conv').length, 2);
    const input = seeded(INPUT_LENGTH, 3);
    const [exact, approximate] = [(await run(model, input)).y, (await run(bytes, input)).y] as Float32Array[];
    assert.equal(approximate?.length, exact?.length);

    const untouched = quantizeConvolutions(model, {});
    assert.equal(untouched.bytes, model);
    assert.deepEqual(untouched.report, { convolutions: 0, cheap: 1, left: 2 });
  });
});

/** y = (x · w) · x2: a MatMul by a constant matrix, then one between two activations. */
function matMulChain() {
  return encodedModel(10, {
    name: 'matmuls',
    node: [
      onnx.NodeProto.create({ opType: 'MatMul', input: ['x', 'w'], output: ['h'] }),
      onnx.NodeProto.create({ opType: 'MatMul', input: ['h', 'x2'], output: ['y'] }),
    ],
    initializer: [floatTensor('w', [16, 6], seeded(96, 13, 0.5))],
    input: [valueInfo('x', [3, 16]), valueInfo('x2', [6, 2])],
    output: [valueInfo('y', [3, 2])],
  });
}

describe('int8 weights of the matrix products', () => {
  it('should run a product by a constant matrix as DynamicQuantizeMatMul and leave one of two activations', async () => {
    const model = matMulChain();
    const { bytes, matMuls } = quantizeMatMulWeights(model);
    assert.equal(matMuls, 1);
    assert.deepEqual(opTypes(bytes), ['DynamicQuantizeMatMul', 'MatMul']);
    assert.ok(onnx.ModelProto.decode(bytes).opsetImport.some((entry) => entry.domain === 'com.microsoft'));

    const feeds = {
      x: new ort.Tensor('float32', seeded(48, 17), [3, 16]),
      x2: new ort.Tensor('float32', seeded(12, 19), [6, 2]),
    };
    const outputs = await Promise.all(
      [model, bytes].map(async (graph) => {
        const session = await ort.InferenceSession.create(graph);
        try {
          return (await session.run(feeds)).y?.data as Float32Array;
        } finally {
          await session.release();
        }
      }),
    );
    const [exact, approximate] = outputs as [Float32Array, Float32Array];
    const largest = Math.max(...exact.map((value) => Math.abs(value)));
    exact.forEach((value, index) => {
      assert.ok(Math.abs(value - (approximate[index] as number)) < largest * 0.03, `${value} ${approximate[index]}`);
    });
  });

  it('should leave a graph without such products untouched', () => {
    const model = convolutionChain();
    const { bytes, matMuls } = quantizeMatMulWeights(model);
    assert.equal(matMuls, 0);
    assert.equal(bytes, model);
  });
});

describe('int8 kernels', () => {
  const cpu = (flags: string) => `processor\t: 0\nmodel name\t: some CPU\nflags\t\t: fpu sse2 ${flags}\n\n`;

  it('should be trusted on x86-64 only with VNNI, and on other architectures', () => {
    assert.equal(int8KernelsExact('x64', cpu('avx2 avx512f avx512_vnni')), true);
    assert.equal(int8KernelsExact('x64', cpu('avx2 avx_vnni')), true);
    assert.equal(int8KernelsExact('x64', cpu('avx2 avx512f avx512bw')), false);
    assert.equal(int8KernelsExact('x64', 'model name\t: avx512_vnni in a name is not a flag\n'), false);
    assert.equal(int8KernelsExact('x64', ''), false);
    assert.equal(int8KernelsExact('arm64', ''), true);
  });
});

describe('calibration samples', () => {
  it('should give percentiles of what it saw, and the extremes of the tensors named whole', () => {
    const sampler = createValueSampler(50_000);
    const values = Float32Array.from({ length: 10_000 }, (_, index) => index);
    sampler.add('inner', values.subarray(0, 5000));
    sampler.add('inner', values.subarray(5000));
    sampler.add('input', Float32Array.of(-1, 0.5, 1));
    const ranges = sampler.ranges(99, new Set(['input']));
    const [low, high] = ranges.inner as [number, number];
    assert.ok(low >= 80 && low <= 120, `low ${low}`);
    assert.ok(high >= 9880 && high <= 9920, `high ${high}`);
    assert.deepEqual(ranges.input, [-1, 1]);
    assert.deepEqual(sampler.ranges(100).inner, [0, 9999]);
  });

  it('should sample every call alike, whatever its length, and give the same ranges for the same values', () => {
    const first = createValueSampler(1000);
    const second = createValueSampler(1000);
    for (const sampler of [first, second]) {
      for (let call = 0; call < 50; call++) {
        sampler.add(
          't',
          Float32Array.from({ length: 100_000 }, (_, index) => (call % 2 ? 1 : -1) * (index % 100)),
        );
      }
    }
    assert.deepEqual(first.ranges(99.9), second.ranges(99.9));
    const [low, high] = first.ranges(99).t as [number, number];
    assert.ok(low <= -95 && high >= 95, `${low} ${high}`);
  });
});

describe('int8 ranges', () => {
  it('should hold ranges for every convolution of the installed detector and recogniser, measured on these very files', async () => {
    const { detection, recognition } = locateModels();
    for (const path of [detection, recognition]) {
      const ranges = await rangesFor(path, await readFile(path));
      const needed = convolutionValues(rewriteForInference(await readFile(path)).bytes);
      assert.ok(needed.length > 30);
      for (const name of needed) {
        const range = ranges[name];
        assert.ok(range && range[0] <= range[1], name);
      }
    }
    const file = JSON.parse(await readFile(CALIBRATION_PATH, 'utf8')) as CalibrationFile;
    assert.match(file.measuredWith, /^npm run calibrate -- .*--percentile 99\.99/);
  });

  it('should refuse ranges measured on another version of a model, and a model it has none for', async () => {
    const path = locateModels().recognition;
    await assert.rejects(rangesFor(path, Buffer.from('another model')), /measured on another version of it/);
    await assert.rejects(rangesFor('/models/unknown.onnx', Buffer.alloc(0)), /no int8 ranges for unknown.onnx/);
  });
});

describe('int8 networks', async () => {
  // This machine's own answer decides which behaviour is checked: int8 where its kernels are exact,
  // a refusal where they are not.
  const exact = await int8KernelsExactHere();

  it('should refuse int8 on a CPU whose int8 kernels saturate', { skip: exact && 'this CPU has VNNI' }, async () => {
    await assert.rejects(modelBytes(locateModels().recognition, 'int8'), /needs a CPU with AVX-512 VNNI or AVX-VNNI/);
  });

  it('should run int8 by default only where the int8 kernels are exact, and as told otherwise', async () => {
    assert.equal(await resolvePrecision('auto'), exact ? 'int8' : 'fp32');
    assert.equal(await resolvePrecision('fp32'), 'fp32');
    assert.equal(await resolvePrecision('int8'), 'int8');
  });

  it('should quantise the costly convolutions and the constant matrix products, and leave the cheap convolutions float', {
    skip: !exact && 'no VNNI here',
  }, async () => {
    const { detection, recognition } = locateModels();
    for (const path of [detection, recognition]) {
      // Decoded messages are class instances: their repeated fields are arrays, never absent.
      const graph = onnx.ModelProto.decode(await modelBytes(path, 'int8')).graph as GraphProto;
      const initializers = graph.initializer as TensorProto[];
      const weights = new Map(initializers.map((tensor) => [tensor.name, tensor.dims.map(Number)]));
      const multiplyAdds = (name: string) => (weights.get(name) ?? []).slice(1).reduce((a, b) => a * b, 1);
      const nodes = graph.node as NodeProto[];
      const quantised = nodes.filter((node) => node.opType === 'QLinearConv').map((node) => node.input[3] ?? '');
      const float = nodes.filter((node) => node.opType === 'Conv').map((node) => node.input[1] ?? '');
      assert.ok(quantised.length > 10 && float.length > 10, `${quantised.length} quantised, ${float.length} float`);
      for (const name of quantised) assert.ok(multiplyAdds(name) >= MIN_MULTIPLY_ADDS, name);
      for (const name of float) assert.ok(multiplyAdds(name) < MIN_MULTIPLY_ADDS, name);
      // Every product by a constant matrix has int8 weights; those between two activations stay.
      const constantProducts = nodes.filter((node) => node.opType === 'MatMul' && weights.has(node.input[1] ?? ''));
      assert.deepEqual(constantProducts, []);
    }
    const recogniser = onnx.ModelProto.decode(await modelBytes(recognition, 'int8')).graph as GraphProto;
    assert.ok((recogniser.node as NodeProto[]).filter((node) => node.opType === 'DynamicQuantizeMatMul').length >= 9);
  });

  it('should read the test card, on the engine thread and on a lane thread', {
    skip: !exact && 'no VNNI here',
  }, async () => {
    const engine = await createOnnxOcrEngine({
      device: 'cpu',
      threads: 1,
      recognitionLanes: 2,
      precision: 'int8',
      maxPixels: 40_000_000,
      readImage: async () => Buffer.alloc(0),
      logger: recordingLogger().logger,
    });
    try {
      const { result } = await engine.recognizeImage(await renderCard(), 'image/png');
      assert.match(result.text, /3171014101900001/);
      assert.match(result.text, /JAKARTA/);
    } finally {
      await engine.close();
    }
  });
});
