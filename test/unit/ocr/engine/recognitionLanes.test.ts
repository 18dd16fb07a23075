import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import ort from 'onnxruntime-node';
import { createOnnxOcrEngine } from '../../../../adapters/ocr/engine/engine.ts';
import { openThreadLane } from '../../../../adapters/ocr/engine/recognitionLanes.ts';
import { createOrtSession, locateModels, sessionLane } from '../../../../adapters/ocr/models/models.ts';
import { assignToLanes } from '../../../../adapters/ocr/pipeline/recognition/recognize.ts';
import { recordingLogger } from '../../../support/recordingLogger.ts';
import { renderCard } from '../syntheticCard.ts';

const SCRIPTED = new URL('../../../support/threads/scriptedLaneThread.ts', import.meta.url);
const BROKEN = new URL('../../../support/threads/brokenLaneThread.ts', import.meta.url);
const scripted = (onStopped?: (why: string) => void) =>
  openThreadLane(
    { modelPath: 'unused', threads: 1, precision: 'fp32' },
    { threadModule: SCRIPTED, ...(onStopped ? { onStopped } : {}) },
  );

/** A small input whose first value is the scripted thread's command. */
const tensor = (first: number, width = 4) => {
  const data = Float32Array.from({ length: width }, (_, index) => index + 1);
  data[0] = first;
  return new ort.Tensor('float32', data, [1, 1, 1, width]);
};

describe('assignToLanes', () => {
  it('should give the largest items out first, each to the least loaded lane', () => {
    assert.deepEqual(assignToLanes([5, 1, 8, 3, 3], 2), [1, 1, 0, 1, 0]); // loads 8+3=11 and 5+3+1=9
    assert.deepEqual(assignToLanes([4, 4, 4, 4], 2), [0, 1, 0, 1]);
    assert.deepEqual(assignToLanes([7, 2, 9], 1), [0, 0, 0]);
    assert.deepEqual(assignToLanes([], 3), []);
  });

  it('should leave lanes empty when there are fewer items than lanes', () => {
    assert.deepEqual(assignToLanes([2], 3), [0]);
  });
});

describe('recognition lane on a thread', () => {
  it('should compute what the same model computes on the calling thread', async () => {
    const path = locateModels().recognition;
    const [threaded, session] = await Promise.all([
      openThreadLane({ modelPath: path, threads: 1, precision: 'fp32' }),
      createOrtSession(path, 'cpu', 1),
    ]);
    const local = sessionLane(session);
    try {
      const strip = (width: number) =>
        new ort.Tensor(
          'float32',
          Float32Array.from({ length: 3 * 48 * width }, (_, index) => Math.sin(index * 0.37)),
          [1, 3, 48, width],
        );
      const [fromThread, fromHere] = await Promise.all([
        threaded.run([strip(64), strip(160)]),
        local.run([strip(64), strip(160)]),
      ]);
      assert.equal(fromThread.length, 2);
      fromThread.forEach((output, index) => {
        const expected = fromHere[index] as ort.Tensor;
        assert.deepEqual(output.dims, expected.dims);
        assert.deepEqual(output.data, expected.data);
      });
    } finally {
      await Promise.all([threaded.release(), local.release()]);
    }
  });

  it('should cut its output down to the classes it is given, as the calling thread does', async () => {
    const path = locateModels().recognition;
    const outputClasses = [0, 5, 17, 6624];
    const [threaded, session] = await Promise.all([
      openThreadLane({ modelPath: path, threads: 1, precision: 'fp32', outputClasses }),
      createOrtSession(path, 'cpu', 1, 'fp32', outputClasses),
    ]);
    const local = sessionLane(session);
    try {
      // Each lane gets its own copy: the thread's input buffer is moved to it.
      const strip = () =>
        new ort.Tensor(
          'float32',
          Float32Array.from({ length: 3 * 48 * 64 }, (_, index) => Math.cos(index * 0.13)),
          [1, 3, 48, 64],
        );
      const [[fromThread], [fromHere]] = await Promise.all([threaded.run([strip()]), local.run([strip()])]);
      assert.equal(fromThread?.dims[2], outputClasses.length);
      assert.deepEqual(fromThread?.dims, fromHere?.dims);
      assert.deepEqual(fromThread?.data, fromHere?.data);
    } finally {
      await Promise.all([threaded.release(), local.release()]);
    }
  });

  it('should fail the run of a thread that dies, say so, and start a new thread for the next run', async () => {
    const stops: string[] = [];
    const lane = await scripted((why) => stops.push(why));
    try {
      await assert.rejects(lane.run([tensor(1), tensor(-1)]), /the recognition thread stopped: exit code 3/);
      assert.deepEqual(stops, ['exit code 3']);
      const outputs = await lane.run([tensor(7)]);
      assert.deepEqual(
        outputs.map((output) => [...(output.data as Float32Array)]),
        [[7, 2, 3, 4]],
      );
    } finally {
      await lane.release();
    }
  });

  it("should pass a run's failure on and keep the thread", async () => {
    const lane = await scripted();
    try {
      await assert.rejects(lane.run([tensor(-3)]), /scripted failure/);
      const [output] = await lane.run([tensor(5)]);
      assert.equal(output?.data[0], 5);
    } finally {
      await lane.release();
    }
  });

  it('should answer an abort at once and give the next run its own outputs, not the cancelled ones', async () => {
    const lane = await scripted();
    try {
      const controller = new AbortController();
      const slow = lane.run([tensor(-2), tensor(-2), tensor(-2)], controller.signal);
      setTimeout(() => controller.abort(new Error('document abandoned')), 50);
      const started = performance.now();
      await assert.rejects(slow, /document abandoned/);
      assert.ok(performance.now() - started < 150, 'the abort waited for the thread');
      const [output] = await lane.run([tensor(9)]);
      assert.equal(output?.data[0], 9);
      await assert.rejects(lane.run([tensor(1)], AbortSignal.abort(new Error('too late'))), /too late/);
    } finally {
      await lane.release();
    }
  });

  it('should report a thread that cannot open its session', async () => {
    await assert.rejects(
      openThreadLane({ modelPath: 'unused', threads: 1, precision: 'fp32' }, { threadModule: BROKEN }),
      /a recognition thread failed to start: no model in this thread/,
    );
  });

  it('should refuse runs once released, and not call its stop a loss', async () => {
    const stops: string[] = [];
    const lane = await scripted((why) => stops.push(why));
    await lane.release();
    await lane.release();
    assert.deepEqual(stops, []);
    await assert.rejects(lane.run([tensor(1)]), /released/);
  });
});

describe('OCR engine with recognition lanes', () => {
  it('should read a card the same with two lanes as with one', async () => {
    const common = {
      device: 'cpu' as const,
      threads: 1,
      maxPixels: 40_000_000,
      readImage: async () => Buffer.alloc(0),
      logger: recordingLogger().logger,
    };
    const [one, two] = await Promise.all([
      createOnnxOcrEngine({ ...common, recognitionLanes: 1 }),
      createOnnxOcrEngine({ ...common, recognitionLanes: 2 }),
    ]);
    try {
      const card = await renderCard();
      const [single, shared] = [
        await one.recognizeImage(card, 'image/png'),
        await two.recognizeImage(card, 'image/png'),
      ];
      assert.deepEqual(shared.result, single.result);
      assert.match(shared.result.text, /3171014101900001/);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('should fail the document when a lane fails, and read the next one', async () => {
    let failures = 1;
    const engine = await createOnnxOcrEngine({
      device: 'cpu',
      threads: 1,
      recognitionLanes: 2,
      maxPixels: 40_000_000,
      readImage: async () => Buffer.alloc(0),
      logger: recordingLogger().logger,
      // A lane on this thread that fails its first run, as a lane whose thread died would.
      openLane: async (settings) => {
        const lane = sessionLane(
          await createOrtSession(
            settings.modelPath,
            'cpu',
            settings.threads,
            settings.precision,
            settings.outputClasses,
          ),
        );
        return {
          run: async (inputs, signal) => {
            if (failures-- > 0) throw new Error('the recognition thread stopped: exit code 3');
            return lane.run(inputs, signal);
          },
          release: () => lane.release(),
        };
      },
    });
    try {
      const card = await renderCard();
      await assert.rejects(engine.recognizeImage(card, 'image/png'), /the recognition thread stopped/);
      const { result } = await engine.recognizeImage(card, 'image/png');
      assert.match(result.text, /3171014101900001/);
    } finally {
      await engine.close();
    }
  });

  it('should not open when a lane cannot start, and release what it opened', async () => {
    let released = 0;
    await assert.rejects(
      createOnnxOcrEngine({
        device: 'cpu',
        recognitionLanes: 3,
        maxPixels: 40_000_000,
        readImage: async () => Buffer.alloc(0),
        logger: recordingLogger().logger,
        createSession: async (path, device, threads, precision, outputClasses) => {
          const session = await createOrtSession(path, device, threads, precision, outputClasses);
          return {
            outputNames: session.outputNames,
            run: (feeds) => session.run(feeds),
            release: async () => {
              released++;
              await session.release();
            },
          };
        },
        openLane: (settings) => openThreadLane(settings, { threadModule: BROKEN }),
      }),
      /a recognition thread failed to start/,
    );
    assert.equal(released, 3);
  });
});
