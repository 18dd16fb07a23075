import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createOnnxOcrEngine, type OnnxOcrEngineOptions } from '../../../../adapters/ocr/engine/engine.ts';
import { createOrtSession, type SessionFactory } from '../../../../adapters/ocr/models/models.ts';
import { recordingLogger } from '../../../support/recordingLogger.ts';
import { renderCard } from '../syntheticCard.ts';

/**
 * Device choice and fallback. There is no GPU here, so "CUDA" sessions are CPU sessions in
 * disguise: healthy ones to check gpuProcessed, failing ones to check the per-run fallback.
 */

/** Opens CPU sessions for every request, recording which device was asked for. */
function fakeCuda(options: { failRuns: boolean }) {
  const requested: string[] = [];
  const createSession: SessionFactory = async (path, device, threads, precision, outputClasses) => {
    requested.push(device);
    const session = await createOrtSession(path, 'cpu', threads, precision, outputClasses);
    if (device !== 'cuda' || !options.failRuns) return session;
    return {
      outputNames: session.outputNames,
      run: async () => {
        throw new Error('CUDA failure: an illegal memory access was encountered');
      },
      release: () => session.release(),
    };
  };
  return { createSession, requested };
}

function engineOptions(overrides: Partial<OnnxOcrEngineOptions>): OnnxOcrEngineOptions {
  return {
    device: 'auto',
    maxPixels: 40_000_000,
    readImage: async () => {
      throw new Error('not used');
    },
    logger: recordingLogger().logger,
    ...overrides,
  };
}

describe('OCR device selection', () => {
  it('should run on CUDA and say so when CUDA sessions work', async () => {
    const { logger, entries } = recordingLogger();
    const cuda = fakeCuda({ failRuns: false });
    const engine = await createOnnxOcrEngine(
      engineOptions({ device: 'auto', logger, createSession: cuda.createSession }),
    );
    try {
      assert.equal(engine.device, 'cuda');
      const { result, gpuProcessed } = await engine.recognizeImage(await renderCard(), 'image/png');
      assert.equal(gpuProcessed, true);
      assert.match(result.text, /3171014101900001/);
      assert.deepEqual(cuda.requested, ['cuda', 'cuda', 'cuda']);
      assert.equal(entries.filter((entry) => entry.message === 'ocr.fallback').length, 0);
    } finally {
      await engine.close();
    }
  });

  it('should read a document again on the CPU when its CUDA run fails, and give up on CUDA after repeated failures', async () => {
    const { logger, entries } = recordingLogger();
    const fallbacks: string[] = [];
    const cuda = fakeCuda({ failRuns: true });
    const engine = await createOnnxOcrEngine(
      engineOptions({
        device: 'cuda',
        logger,
        createSession: cuda.createSession,
        onFallback: (reason) => fallbacks.push(reason),
      }),
    );
    try {
      const card = await renderCard();
      assert.equal(engine.device, 'cuda');
      const first = await engine.recognizeImage(card, 'image/png');
      assert.equal(first.gpuProcessed, false);
      assert.match(first.result.text, /3171014101900001/);
      assert.equal(fallbacks.length, 1);
      assert.match(fallbacks[0] ?? '', /^cuda_run_failed: CUDA failure/);
      const logged = entries.filter((entry) => entry.message === 'ocr.fallback');
      assert.equal(logged.length, 1);
      // CUDA was asked for explicitly, so losing it is an error.
      assert.equal(logged[0]?.level, 'error');

      await engine.recognizeImage(card, 'image/png');
      await engine.recognizeImage(card, 'image/png');
      assert.equal(engine.device, 'cpu');
      assert.ok(entries.some((entry) => entry.message === 'ocr.cuda_disabled'));
      const later = await engine.recognizeImage(card, 'image/png');
      assert.equal(later.gpuProcessed, false);
      assert.equal(fallbacks.length, 3, 'no CUDA attempt once disabled');
    } finally {
      await engine.close();
    }
  });

  it('should log an error, not a warning, when CUDA was required and is not installed', async () => {
    const { logger, entries } = recordingLogger();
    const engine = await createOnnxOcrEngine(engineOptions({ device: 'cuda', logger }));
    try {
      assert.equal(engine.device, 'cpu');
      const logged = entries.filter((entry) => entry.message === 'ocr.fallback');
      assert.equal(logged.length, 1);
      assert.equal(logged[0]?.level, 'error');
      assert.equal(logged[0]?.fields?.requestedDevice, 'cuda');
    } finally {
      await engine.close();
    }
  });

  it('should log information, not a warning, when `auto` finds no CUDA: a host without a GPU is no incident', async () => {
    const { logger, entries } = recordingLogger();
    const engine = await createOnnxOcrEngine(engineOptions({ device: 'auto', logger }));
    try {
      assert.equal(engine.device, 'cpu');
      const logged = entries.filter((entry) => entry.message === 'ocr.fallback');
      assert.deepEqual(
        logged.map((entry) => [entry.level, entry.fields?.requestedDevice]),
        [['info', 'auto']],
      );
      assert.match(String(logged[0]?.fields?.reason), /^cuda_unavailable: /);
      assert.equal(entries.filter((entry) => entry.level === 'warn' || entry.level === 'error').length, 0);
    } finally {
      await engine.close();
    }
  });

  it('should warn when `auto` opened CUDA and a run on it then failed', async () => {
    const { logger, entries } = recordingLogger();
    const cuda = fakeCuda({ failRuns: true });
    const engine = await createOnnxOcrEngine(
      engineOptions({ device: 'auto', logger, createSession: cuda.createSession }),
    );
    try {
      assert.equal(engine.device, 'cuda');
      await engine.recognizeImage(await renderCard(), 'image/png');
      const logged = entries.filter((entry) => entry.message === 'ocr.fallback');
      assert.deepEqual(
        logged.map((entry) => entry.level),
        ['warn'],
      );
      assert.match(String(logged[0]?.fields?.reason), /^cuda_run_failed: /);
    } finally {
      await engine.close();
    }
  });

  it('should not try CUDA when told to use the CPU', async () => {
    const { logger, entries } = recordingLogger();
    const cuda = fakeCuda({ failRuns: false });
    const engine = await createOnnxOcrEngine(
      engineOptions({ device: 'cpu', logger, createSession: cuda.createSession }),
    );
    try {
      assert.equal(engine.device, 'cpu');
      assert.deepEqual(cuda.requested, ['cpu', 'cpu', 'cpu']);
      assert.equal(entries.length, 0);
    } finally {
      await engine.close();
    }
  });
});
