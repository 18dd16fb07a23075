import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { rewriteForInference } from '../../../../adapters/ocr/models/graphRewrite.ts';
import { locateModels } from '../../../../adapters/ocr/models/models.ts';
import { seeded, valueInfo } from '../onnxGraphs.ts';

const { onnx } = onnxProto;
const FLOAT = onnx.TensorProto.DataType.FLOAT;

async function outputsOf(model: Uint8Array, dims: number[], seed = 11) {
  const session = await ort.InferenceSession.create(model);
  try {
    const input = new ort.Tensor(
      'float32',
      seeded(
        dims.reduce((a, b) => a * b),
        seed,
      ),
      dims,
    );
    const outputs = await session.run({ [session.inputNames[0] as string]: input });
    return Object.fromEntries(session.outputNames.map((name) => [name, outputs[name]?.data as Float32Array])) as Record<
      string,
      Float32Array
    >;
  } finally {
    await session.release();
  }
}

function largestDifference(a: Float32Array, b: Float32Array) {
  assert.equal(a.length, b.length);
  let largest = 0;
  for (let index = 0; index < a.length; index++)
    largest = Math.max(largest, Math.abs((a[index] ?? 0) - (b[index] ?? 0)));
  return largest;
}

const opTypes = (model: Uint8Array) => (onnx.ModelProto.decode(model).graph?.node ?? []).map((node) => node.opType);

const constant = (name: string, dims: number[], values: number[]) =>
  onnx.NodeProto.create({
    opType: 'Constant',
    output: [name],
    attribute: [
      onnx.AttributeProto.create({
        name: 'value',
        type: onnx.AttributeProto.AttributeType.TENSOR,
        t: onnx.TensorProto.create({ dataType: FLOAT, dims, floatData: values }),
      }),
    ],
  });

/**
 * The shape paddle2onnx gives PP-LCNetV3: Conv (weights in Constant nodes) → learnable affine →
 * hard-swish with an opset-9 Clip. `extraOutput` also exposes the affine's result as a graph output.
 */
function paddleBlock(options: { irVersion?: number; extraOutput?: boolean } = {}) {
  const node = (opType: string, input: string[], output: string[], attribute: object[] = []) =>
    onnx.NodeProto.create({ opType, input, output, attribute: attribute.map((a) => onnx.AttributeProto.create(a)) });
  const nodes = [
    constant('w', [2, 1, 3, 3], [...seeded(18, 5)]),
    constant('bias', [2], [0.25, -0.5]),
    constant('a', [1], [1.7]),
    constant('b', [1], [-0.3]),
    constant('three', [1], [3]),
    constant('six', [1], [6]),
    node('Conv', ['x', 'w', 'bias'], ['conv'], [{ name: 'pads', type: 7, ints: [1, 1, 1, 1] }]),
    node('Mul', ['a', 'conv'], ['scaled']),
    node('Add', ['scaled', 'b'], ['affine']),
    node('Add', ['affine', 'three'], ['shifted']),
    node(
      'Clip',
      ['shifted'],
      ['clipped'],
      [
        { name: 'min', type: 1, f: 0 },
        { name: 'max', type: 1, f: 6 },
      ],
    ),
    node('Mul', ['affine', 'clipped'], ['gated']),
    node('Div', ['gated', 'six'], ['y']),
  ];
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: options.irVersion ?? 8,
      opsetImport: [{ domain: '', version: 9 }],
      graph: onnx.GraphProto.create({
        name: 'block',
        node: nodes,
        input: [valueInfo('x', [1, 1, 6, 6])],
        output: [valueInfo('y', [1, 2, 6, 6]), ...(options.extraOutput ? [valueInfo('affine', [1, 2, 6, 6])] : [])],
      }),
    }),
  ).finish();
}

describe('the inference rewrite of the PaddleOCR graphs', () => {
  it('should fold the affine into the convolution and fuse hard-swish, computing the same values', async () => {
    const original = paddleBlock();
    const { bytes, report } = rewriteForInference(original);
    assert.deepEqual(report, { constantsLifted: 6, affinesFolded: 1, hardSwishes: 1 });
    assert.deepEqual(opTypes(bytes), ['Conv', 'HardSigmoid', 'Mul']);
    const before = await outputsOf(original, [1, 1, 6, 6]);
    const after = await outputsOf(bytes, [1, 1, 6, 6]);
    assert.ok(largestDifference(before.y as Float32Array, after.y as Float32Array) < 1e-5);
  });

  it('should leave a value that is also a graph output where it is', async () => {
    const original = paddleBlock({ extraOutput: true });
    const { bytes, report } = rewriteForInference(original);
    assert.equal(report.affinesFolded, 0);
    assert.equal(report.hardSwishes, 1);
    const before = await outputsOf(original, [1, 1, 6, 6]);
    const after = await outputsOf(bytes, [1, 1, 6, 6]);
    for (const name of ['y', 'affine'])
      assert.ok(largestDifference(before[name] as Float32Array, after[name] as Float32Array) < 1e-5, name);
  });

  it('should pass a model newer than its schema through untouched', () => {
    const newer = paddleBlock({ irVersion: 9 });
    const { bytes, report } = rewriteForInference(newer);
    assert.equal(bytes, newer);
    assert.deepEqual(report, { constantsLifted: 0, affinesFolded: 0, hardSwishes: 0 });
  });

  for (const [network, dims] of [
    ['recognition', [1, 3, 48, 160]],
    ['detection', [1, 3, 128, 192]],
    ['classifier', [1, 3, 48, 192]],
  ] as const) {
    it(`should give the ${network} network's outputs unchanged`, async () => {
      const original = await readFile(locateModels()[network]);
      const { bytes, report } = rewriteForInference(original);
      assert.ok(report.hardSwishes > 0, 'hard-swish fused');
      if (network !== 'classifier') assert.ok(report.affinesFolded > 0, 'affines folded');
      assert.ok(!opTypes(bytes).includes('Constant'));
      const before = await outputsOf(original, [...dims]);
      const after = await outputsOf(bytes, [...dims]);
      for (const [name, values] of Object.entries(before))
        assert.ok(largestDifference(values, after[name] as Float32Array) < 1e-4, name);
    });
  }
});
