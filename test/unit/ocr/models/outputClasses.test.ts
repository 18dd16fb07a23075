import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { createOrtSession, locateModels, readDictionary } from '../../../../adapters/ocr/models/models.ts';
import { keepOutputClasses } from '../../../../adapters/ocr/models/outputClasses.ts';
import { createCtcDecoder } from '../../../../adapters/ocr/pipeline/recognition/ctc.ts';
import { encodedModel, seeded, valueInfo } from '../onnxGraphs.ts';

const { onnx } = onnxProto;

/** A softmax over 5 classes of [1, 2, 5] scores, like the recogniser's last step. */
const softmaxModel = (outputDims = [1, 2, 5]) =>
  encodedModel(9, {
    name: 'scores',
    node: [
      onnx.NodeProto.create({
        opType: 'Softmax',
        input: ['x'],
        output: ['y'],
        attribute: [{ name: 'axis', type: 2, i: 2 }],
      }),
    ],
    input: [valueInfo('x', [1, 2, 5])],
    output: [valueInfo('y', outputDims)],
  });

async function outputOf(model: Uint8Array, input: ort.Tensor) {
  const session = await ort.InferenceSession.create(model);
  try {
    const output = (await session.run({ x: input }))[session.outputNames[0] as string] as ort.Tensor;
    assert.deepEqual(session.outputNames, ['y']);
    return output;
  } finally {
    await session.release();
  }
}

describe('cutting the output down to some classes', () => {
  it('should give those classes of the whole softmax, in the order asked, under the same name', async () => {
    const model = softmaxModel();
    const input = new ort.Tensor('float32', seeded(10, 3), [1, 2, 5]);
    const whole = await outputOf(model, input);
    const cut = await outputOf(keepOutputClasses(model, [0, 2, 4]), input);
    assert.deepEqual(cut.dims, [1, 2, 3]);
    const all = whole.data as Float32Array;
    assert.deepEqual([...(cut.data as Float32Array)], [all[0], all[2], all[4], all[5], all[7], all[9]]);
  });

  it('should leave the model as it is for all the classes in order, and refuse classes it does not have', () => {
    const model = softmaxModel();
    assert.equal(keepOutputClasses(model, [0, 1, 2, 3, 4]), model);
    assert.throws(() => keepOutputClasses(model, [0, 5]), /output classes must lie in \[0, 5\)/);
    assert.throws(() => keepOutputClasses(softmaxModel([2, 5]), [0]), /no \[strips, frames, classes\] output/);
  });

  it("should cut the recogniser down to the decoder's classes without changing their probabilities", async () => {
    const path = locateModels().recognition;
    const decoder = createCtcDecoder(await readDictionary(locateModels().dictionary));
    const [whole, cut] = await Promise.all([
      createOrtSession(path, 'cpu', 1, 'fp32'),
      createOrtSession(path, 'cpu', 1, 'fp32', decoder.classesRead),
    ]);
    try {
      const strip = new ort.Tensor(
        'float32',
        Float32Array.from({ length: 3 * 48 * 96 }, (_, index) => Math.sin(index * 0.21)),
        [1, 3, 48, 96],
      );
      const [all, some] = (await Promise.all(
        [whole, cut].map(async (session) => (await session.run({ x: strip }))[session.outputNames[0] as string]),
      )) as [ort.Tensor, ort.Tensor];
      const [, frames, classes] = all.dims as [number, number, number];
      assert.equal(classes, decoder.classes);
      assert.deepEqual(some.dims, [1, frames, decoder.classesRead.length]);
      const allData = all.data as Float32Array;
      const someData = some.data as Float32Array;
      for (let t = 0; t < frames; t++) {
        decoder.classesRead.forEach((cls, column) => {
          assert.equal(someData[t * decoder.classesRead.length + column], allData[t * classes + cls]);
        });
      }
      const narrowed = decoder.narrowed();
      assert.deepEqual(narrowed.decode(someData, 0, frames), decoder.decode(allData, 0, frames));
    } finally {
      await Promise.all([whole.release(), cut.release()]);
    }
  });
});
