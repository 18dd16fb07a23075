import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createOnnxOcrEngine, type OnnxOcrEngine } from '../../../adapters/ocr/engine/engine.ts';
import { createThreadedOcrEngine, type ThreadedOcrEngine } from '../../../adapters/ocr/engine/threadedEngine.ts';
import { isOcrError } from '../../../adapters/ocr/errors.ts';
import { inspectPdf } from '../../../adapters/ocr/input/pdfStructure.ts';
import { generateCard } from '../../../synthetic/generate.ts';
import { testLogger } from '../../support/harness.ts';
import { nestedFormPdf } from '../../support/nestedFormPdf.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';

describe('the threaded OCR engine with the real models', () => {
  const images = new Map<string, Buffer>();
  let threaded: ThreadedOcrEngine;
  let inProcess: OnnxOcrEngine;
  before(async () => {
    const card = await generateCard(11, { type: 'KTP', today: '2026-11-25', difficulty: 'mild' });
    images.set('card', card.image);
    const common = { device: 'cpu' as const, threads: 1, maxPixels: 50_000_000, logger: testLogger };
    const readImage = async (key: string) => images.get(key) ?? Buffer.alloc(0);
    [threaded, inProcess] = await Promise.all([
      // Its text lines shared between two recognition lanes, the in-process one reading them all.
      createThreadedOcrEngine({ ...common, engineThreads: 1, recognitionLanes: 2, readImage }),
      createOnnxOcrEngine({ ...common, recognitionLanes: 1, readImage }),
    ]);
  });
  after(async () => {
    await Promise.all([threaded?.close(), inProcess?.close()]);
  });
  const input = { documentId: 'doc-1', type: 'KTP' as const, storageKey: 'card', mime: 'image/jpeg' };
  const never = () => new AbortController().signal;

  it('should read a card exactly as the engine on the main thread does, without stalling the main thread', async () => {
    // The longest pause of the main thread's event loop while the card is read in the thread. On
    // the main thread itself a single detection call holds it for a few hundred ms on this CPU.
    let longestPause = 0;
    let last = performance.now();
    const ticker = setInterval(() => {
      const now = performance.now();
      longestPause = Math.max(longestPause, now - last);
      last = now;
    }, 5);
    const read = await threaded.recognize(input, new AbortController().signal);
    clearInterval(ticker);

    const expected = await inProcess.recognize(input, new AbortController().signal);
    assert.deepEqual(read, expected);
    assert.match(read.result.text, /NIK/);
    assert.ok(longestPause < 100, `the main thread paused for ${Math.round(longestPause)} ms`);
  });

  it('should fail a PDF that passes the structure check but renders too long, and read the next card on a new thread', async () => {
    // Within every structural limit (one level of forms, 9000 paints), but seconds of drawing.
    const slow = nestedFormPdf({ depth: 1, fanOut: 4500 });
    const verdict = await inspectPdf(slow);
    assert.ok(verdict.ok, 'passes the structure check');
    images.set('slow', slow);
    const { logger, entries } = recordingLogger();
    const budgeted = await createThreadedOcrEngine({
      device: 'cpu',
      threads: 1,
      engineThreads: 1,
      recognitionLanes: 2,
      maxPixels: 50_000_000,
      logger,
      readImage: async (key: string) => images.get(key) ?? Buffer.alloc(0),
      pdfRenderBudgetMs: 100,
    });
    try {
      const started: string[] = [];
      const failed = budgeted.recognize({ ...input, documentId: 'doc-slow', storageKey: 'slow' }, never(), () =>
        started.push('slow'),
      );
      const next = budgeted.recognize(input, never(), () => started.push('card'));
      await assert.rejects(failed, (error) => {
        assert.ok(isOcrError(error));
        assert.equal(error.code, 'pdf_too_complex');
        return true;
      });
      assert.match((await next).result.text, /NIK/);
      assert.deepEqual(started, ['slow', 'card']);
      assert.deepEqual(
        entries.filter((entry) => entry.message === 'ocr.thread_terminated').map((entry) => entry.fields),
        [{ reason: 'pdf_render_budget', documentId: 'doc-slow', device: 'cpu' }],
      );
    } finally {
      await budgeted.close();
    }
  });

  it('should refuse an image over the pixel limit with its error code', async () => {
    const strict = await createThreadedOcrEngine({
      device: 'cpu',
      threads: 1,
      engineThreads: 1,
      recognitionLanes: 1,
      maxPixels: 10_000,
      logger: testLogger,
      readImage: async () => images.get('card') ?? Buffer.alloc(0),
    });
    try {
      await assert.rejects(strict.recognize(input, new AbortController().signal), (error) => {
        assert.ok(isOcrError(error));
        assert.equal(error.code, 'image_too_large');
        return true;
      });
    } finally {
      await strict.close();
    }
  });
});
