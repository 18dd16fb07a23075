import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isOcrError } from '../../../adapters/ocr/errors.ts';
import { createThreadedOcrEngine, type ThreadedOcrEngineOptions } from '../../../adapters/ocr/threadedEngine.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';

const SCRIPTED = new URL('../../support/threads/scriptedOcrThread.ts', import.meta.url);
const BROKEN = new URL('../../support/threads/brokenOcrThread.ts', import.meta.url);
const HALF_BROKEN = new URL('../../support/threads/halfBrokenOcrThread.ts', import.meta.url);

/** The storage key is the image: the scripted thread acts on the bytes it is given. */
function options(overrides: Partial<ThreadedOcrEngineOptions> = {}): ThreadedOcrEngineOptions {
  return {
    device: 'auto',
    threads: 1,
    engineThreads: 1,
    recognitionLanes: 1,
    maxPixels: 1_000_000,
    readImage: async (key) => Buffer.from(key),
    logger: recordingLogger().logger,
    threadModule: SCRIPTED,
    ...overrides,
  };
}

const input = (key: string) => ({
  documentId: `doc-${key}`,
  type: 'KTP' as const,
  storageKey: key,
  mime: 'image/jpeg',
});
const never = () => new AbortController().signal;

describe('the threaded OCR engine', () => {
  it('should read each image in a thread and pass its logs and fallbacks to the main thread', async () => {
    const { logger, entries } = recordingLogger();
    const fallbacks: string[] = [];
    const engine = await createThreadedOcrEngine(
      options({ logger, engineThreads: 2, onFallback: (reason) => fallbacks.push(reason) }),
    );
    try {
      assert.equal(engine.device, 'cpu');
      assert.deepEqual(fallbacks, ['cuda_unavailable: scripted', 'cuda_unavailable: scripted']);
      const reads = await Promise.all(
        ['first', 'log', 'third', 'fourth'].map((key) => engine.recognize(input(key), never())),
      );
      assert.deepEqual(
        reads.map((read) => read.result.text),
        ['first', 'log', 'third', 'fourth'],
      );
      assert.ok(entries.some((entry) => entry.level === 'warn' && entry.message === 'scripted.notice'));
      assert.equal(entries.filter((entry) => entry.message === 'ocr.completed').length, 4);
    } finally {
      await engine.close();
    }
  });

  it("should keep the OCR actor's error code across the thread boundary", async () => {
    const engine = await createThreadedOcrEngine(options());
    try {
      await assert.rejects(engine.recognize(input('too-large'), never()), (error) => {
        assert.ok(isOcrError(error));
        assert.equal(error.code, 'image_too_large');
        return true;
      });
    } finally {
      await engine.close();
    }
  });

  it('should fail the job of a thread that dies and serve the next one from a new thread', async () => {
    const { logger, entries } = recordingLogger();
    const engine = await createThreadedOcrEngine(options({ logger }));
    try {
      await assert.rejects(engine.recognize(input('crash'), never()), /OCR thread running this document stopped/);
      assert.ok(entries.some((entry) => entry.level === 'error' && entry.message === 'ocr.thread_lost'));
      assert.equal((await engine.recognize(input('after'), never())).result.text, 'after');
    } finally {
      await engine.close();
    }
  });

  it('should drop an aborted job that waits, stop an aborted one that runs, and go on with the next', async () => {
    const engine = await createThreadedOcrEngine(options());
    try {
      const running = new AbortController();
      const queued = new AbortController();
      const hanging = engine.recognize(input('hang'), running.signal);
      const waiting = engine.recognize(input('never-read'), queued.signal);
      queued.abort(new Error('caller gave up'));
      await assert.rejects(waiting, /caller gave up/);
      running.abort(new Error('timed out'));
      await assert.rejects(hanging, /timed out/);
      // The one thread is free again once it has answered the abort.
      assert.equal((await engine.recognize(input('next'), never())).result.text, 'next');
    } finally {
      await engine.close();
    }
  });

  it('should refuse to start when a thread cannot open its engine', async () => {
    await assert.rejects(
      createThreadedOcrEngine(options({ threadModule: BROKEN, engineThreads: 2 })),
      /OCR thread failed to start: no models in this thread/,
    );
  });

  it('should stop the threads that did open when another fails, and start no replacement', async () => {
    const { logger, entries } = recordingLogger();
    await assert.rejects(
      createThreadedOcrEngine(options({ logger, threadModule: HALF_BROKEN, engineThreads: 2 })),
      /OCR thread failed to start/,
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.deepEqual(
      entries.filter((entry) => entry.level === 'error').map((entry) => entry.message),
      [],
    );
  });

  it('should fail waiting jobs at close and refuse new ones afterwards', async () => {
    const engine = await createThreadedOcrEngine(options());
    const hanging = engine.recognize(input('hang'), never());
    const waiting = engine.recognize(input('queued'), never());
    // Let both reach the engine (the image is read first).
    await new Promise((resolve) => setImmediate(resolve));
    const outcomes = [assert.rejects(waiting, /engine is closed/), assert.rejects(hanging, /engine is closed/)];
    await engine.close();
    await Promise.all(outcomes);
    await assert.rejects(engine.recognize(input('late'), never()), /engine is closed/);
  });
});
