import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { openThreadLane } from '../../../../adapters/ocr/engine/recognitionLanes.ts';
import {
  type ExecutionDevice,
  locateModels,
  type ModelSession,
  modelPreparations,
  openModels,
  preparedSessions,
  type RecognitionLane,
  runModel,
  sessionPrecision,
} from '../../../../adapters/ocr/models/models.ts';
import { type Preparation, preparationKey, prepareModels } from '../../../../adapters/ocr/models/prepare.ts';
import { encodedModel, valueInfo } from '../onnxGraphs.ts';

const { onnx } = onnxProto;

/** A network that is not any of the real three: x → relu → y. Sessions opened from it prove where their bytes came from. */
const reluModel = () =>
  encodedModel(13, {
    name: 'relu',
    node: [onnx.NodeProto.create({ opType: 'Relu', input: ['x'], output: ['relu_out'] })],
    input: [valueInfo('x', [1, 4])],
    output: [valueInfo('relu_out', [1, 4])],
  });

describe('model preparation', () => {
  it('should prepare each distinct network once, into memory that threads share', async () => {
    const { detection, recognition } = locateModels();
    const prepared: string[] = [];
    const models = await prepareModels(
      [
        { path: detection, precision: 'int8' },
        { path: recognition, precision: 'int8', outputClasses: [0, 3] },
        { path: detection, precision: 'int8' },
        { path: recognition, precision: 'int8', outputClasses: [0, 3] },
        { path: recognition, precision: 'fp32', outputClasses: [0, 3] },
      ],
      async (preparation) => {
        prepared.push(preparationKey(preparation));
        return Uint8Array.of(prepared.length);
      },
    );
    assert.equal(prepared.length, 3);
    assert.equal(models.size, 3);
    for (const bytes of models.values()) assert.ok(bytes.buffer instanceof SharedArrayBuffer);
    assert.deepEqual(
      models.get(preparationKey({ path: recognition, precision: 'fp32', outputClasses: [0, 3] })),
      Uint8Array.of(3),
    );
  });

  it('should list every network the engine opens, on the CPU with lanes and on CUDA', async () => {
    const paths = locateModels();
    const classes = [0, 5, 17];
    for (const device of ['cpu', 'cuda'] as const satisfies readonly ExecutionDevice[]) {
      const opened: Preparation[] = [];
      const session: ModelSession = { outputNames: ['y'], run: async () => ({}), release: async () => {} };
      const lane: RecognitionLane = { run: async () => [], release: async () => {} };
      const models = await openModels(paths, device, {
        threads: 1,
        recognitionLanes: 3,
        precision: 'int8',
        recognitionClasses: classes,
        createSession: async (path, on, _threads, precision = 'fp32', outputClasses) => {
          opened.push({ path, precision: sessionPrecision(on, precision), outputClasses });
          return session;
        },
        openLane: async (settings) => {
          opened.push({
            path: settings.modelPath,
            precision: settings.precision,
            outputClasses: settings.outputClasses,
          });
          return lane;
        },
      });
      await models.release();
      const listed = new Set(modelPreparations(paths, device, 'int8', classes).map(preparationKey));
      assert.equal(opened.length, device === 'cpu' ? 5 : 3);
      for (const preparation of opened) assert.ok(listed.has(preparationKey(preparation)), JSON.stringify(preparation));
    }
  });

  it('should open sessions from the prepared bytes, on this thread and on a lane thread', async () => {
    const { classifier, recognition } = locateModels();
    // The real networks' keys, holding another network: only sessions opened from these bytes have its output.
    const models = await prepareModels(
      [
        { path: classifier, precision: 'fp32' },
        { path: recognition, precision: 'fp32' },
      ],
      async () => reluModel(),
    );
    const session = await preparedSessions(models)(classifier, 'cpu', 1);
    const lane = await openThreadLane({ modelPath: recognition, threads: 1, precision: 'fp32', prepared: models });
    try {
      assert.deepEqual(session.outputNames, ['relu_out']);
      const input = () => new ort.Tensor('float32', Float32Array.of(-1, 2, -3, 4), [1, 4]);
      assert.deepEqual([...((await runModel(session, input())).data as Float32Array)], [0, 2, 0, 4]);
      const [fromLane] = await lane.run([input()]);
      assert.deepEqual([...((fromLane as ort.Tensor).data as Float32Array)], [0, 2, 0, 4]);
    } finally {
      await Promise.all([session.release(), lane.release()]);
    }
  });
});
