import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createThreadedOcrEngine,
  type ThreadedOcrEngineOptions,
} from '../../../../adapters/ocr/engine/threadedEngine.ts';
import { isOcrError } from '../../../../adapters/ocr/errors.ts';
import { recordingLogger } from '../../../support/recordingLogger.ts';
import { TICKS_CHANNEL } from '../../../support/threads/tickingThread.ts';

const SCRIPTED = new URL('../../../support/threads/scriptedOcrThread.ts', import.meta.url);
const NESTING = new URL('../../../support/threads/nestingOcrThread.ts', import.meta.url);
const BROKEN = new URL('../../../support/threads/brokenOcrThread.ts', import.meta.url);
const HALF_BROKEN = new URL('../../../support/threads/halfBrokenOcrThread.ts', import.meta.url);

/**
 * The storage key is the image: the scripted thread acts on the bytes it is given. Scripted
 * threads open no networks, so none are prepared for them.
 */
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
    prepareModels: async () => new Map(),
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
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

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

  it('should tell a job it started when a thread takes it, not while it waits', async () => {
    const engine = await createThreadedOcrEngine(options());
    try {
      const started: string[] = [];
      const running = new AbortController();
      const hanging = engine.recognize(input('hang'), running.signal, () => started.push('hang'));
      const queued = engine.recognize(input('queued'), never(), () => started.push('queued'));
      await sleep(50);
      assert.deepEqual(started, ['hang']);
      running.abort(new Error('timed out'));
      await assert.rejects(hanging, /timed out/);
      assert.equal((await queued).result.text, 'queued');
      assert.deepEqual(started, ['hang', 'queued']);
    } finally {
      await engine.close();
    }
  });

  it('should fail a job whose image cannot be read, and go on with the next', async () => {
    const engine = await createThreadedOcrEngine(
      options({
        readImage: async (key) => {
          if (key === 'missing') throw new Error('no such file');
          return Buffer.from(key);
        },
      }),
    );
    try {
      const [missing, next] = await Promise.allSettled([
        engine.recognize(input('missing'), never()),
        engine.recognize(input('next'), never()),
      ]);
      assert.equal(missing.status, 'rejected');
      assert.match(String((missing as PromiseRejectedResult).reason), /no such file/);
      assert.equal(next.status === 'fulfilled' && next.value.result.text, 'next');
    } finally {
      await engine.close();
    }
  });

  it('should answer an aborted job at once, terminate its thread when it does not stop, and run the next job', async () => {
    const { logger, entries } = recordingLogger();
    const engine = await createThreadedOcrEngine(options({ logger, abortGraceMs: 200 }));
    try {
      const running = new AbortController();
      const started: string[] = [];
      const blocked = engine.recognize(input('block'), running.signal, () => started.push('block'));
      const next = engine.recognize(input('next'), never(), () => started.push('next'));
      await sleep(50);
      running.abort(new Error('timed out'));
      await assert.rejects(blocked, /timed out/);
      // The caller has its answer; the thread has not let go yet, so the next job has not started.
      assert.equal(
        entries.some((entry) => entry.message === 'ocr.thread_terminated'),
        false,
      );
      assert.deepEqual(started, ['block']);
      assert.equal((await next).result.text, 'next');
      assert.deepEqual(started, ['block', 'next']);
      const terminated = entries.filter((entry) => entry.message === 'ocr.thread_terminated');
      assert.deepEqual(
        terminated.map((entry) => [entry.level, entry.fields?.reason, entry.fields?.documentId]),
        [['warn', 'abort_ignored', 'doc-block']],
      );
      assert.equal(
        entries.some((entry) => entry.message === 'ocr.thread_lost'),
        false,
      );
    } finally {
      await engine.close();
    }
  });

  it('should fail a PDF render over its budget with pdf_too_complex and read the next card on a new thread', async () => {
    const { logger, entries } = recordingLogger();
    const engine = await createThreadedOcrEngine(options({ logger, pdfRenderBudgetMs: 100 }));
    try {
      const slow = engine.recognize(input('slow-render'), never());
      const next = engine.recognize(input('next'), never());
      await assert.rejects(slow, (error) => {
        assert.ok(isOcrError(error));
        assert.equal(error.code, 'pdf_too_complex');
        assert.equal(error.permanent, true);
        return true;
      });
      assert.equal((await next).result.text, 'next');
      assert.deepEqual(
        entries.filter((entry) => entry.message === 'ocr.thread_terminated').map((entry) => entry.fields?.reason),
        ['pdf_render_budget'],
      );
    } finally {
      await engine.close();
    }
  });

  it('should stop the threads a terminated thread had started', async () => {
    const { logger, entries } = recordingLogger();
    const ticks = new Map<number, number>();
    const channel = new BroadcastChannel(TICKS_CHANNEL);
    channel.onmessage = (event) => {
      const id = (event as { data: number }).data;
      ticks.set(id, (ticks.get(id) ?? 0) + 1);
    };
    const engine = await createThreadedOcrEngine(options({ logger, threadModule: NESTING, pdfRenderBudgetMs: 100 }));
    try {
      const lanes = () =>
        entries
          .filter((entry) => entry.message === 'scripted.lane_started')
          .map((entry) => entry.fields?.laneThreadId as number);
      const [first] = lanes();
      assert.ok(first !== undefined);
      await assert.rejects(engine.recognize(input('slow-render'), never()), { code: 'pdf_too_complex' });
      assert.equal((await engine.recognize(input('next'), never())).result.text, 'next');
      const [, second] = lanes();
      assert.ok(second !== undefined && second !== first);
      // The new thread's lane ticks on; the old one's has stopped with its thread.
      const before = ticks.get(first) ?? 0;
      const secondBefore = ticks.get(second) ?? 0;
      await sleep(300);
      assert.ok(before > 0);
      assert.equal(ticks.get(first), before);
      assert.ok((ticks.get(second) ?? 0) > secondBefore);
    } finally {
      channel.close();
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

  it('should prepare the networks once, before its threads start, and hand every thread the same shared bytes', async () => {
    let preparations = 0;
    const detector = new Uint8Array(new SharedArrayBuffer(4));
    detector[0] = 42;
    const engine = await createThreadedOcrEngine(
      options({
        engineThreads: 2,
        prepareModels: async () => {
          preparations++;
          return new Map([['detector', detector]]);
        },
      }),
    );
    type Seen = { threadId: number; networks: [string, boolean, number][] };
    const seen = new Map<number, Seen>();
    const ask = async () => {
      // Two at once: with two threads free, each takes one.
      const reads = await Promise.all([1, 2].map(() => engine.recognize(input('prepared'), never())));
      for (const read of reads) {
        const report = JSON.parse(read.result.text) as Seen;
        seen.set(report.threadId, report);
      }
    };
    try {
      await ask();
      assert.equal(seen.size, 2);
      await assert.rejects(engine.recognize(input('crash'), never()), /stopped/);
      // Until the replacement thread answers too.
      for (let attempt = 0; seen.size < 3 && attempt < 50; attempt++) {
        await sleep(20);
        await ask();
      }
      assert.equal(seen.size, 3);
      for (const report of seen.values()) assert.deepEqual(report.networks, [['detector', true, 42]]);
      assert.equal(preparations, 1);
    } finally {
      await engine.close();
    }
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
