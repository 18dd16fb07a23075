import type { Evaluation, Evaluator, OcrEngine, OcrInput, OcrResult } from '../../runtime/ports.ts';

/**
 * Test-only stand-ins for the OCR engine and the evaluator, driven by a plan per document and
 * attempt: answer after a delay, fail, hang (ignoring the abort signal), or stall the whole event
 * loop the way a long GC pause or a frozen VM does.
 */
export type EngineStep =
  | { kind: 'ok'; delayMs?: number }
  | { kind: 'fail'; code?: string; delayMs?: number }
  | { kind: 'hang' }
  | { kind: 'stall'; ms: number };

export const SYNTHETIC_OCR: OcrResult = {
  text: 'SYNTHETIC TEST CARD',
  lines: [{ text: 'SYNTHETIC TEST CARD', confidence: 0.99 }],
};

export function createScriptedEngine(plan: (input: OcrInput, call: number) => EngineStep = () => ({ kind: 'ok' })) {
  const calls = new Map<string, number>();
  const engine: OcrEngine & { calls: Map<string, number> } = {
    device: 'cpu',
    calls,
    async recognize(input, signal) {
      const call = (calls.get(input.documentId) ?? 0) + 1;
      calls.set(input.documentId, call);
      const step = plan(input, call);
      switch (step.kind) {
        case 'ok':
          if (step.delayMs) await sleep(step.delayMs, signal);
          return { result: SYNTHETIC_OCR, gpuProcessed: false };
        case 'fail': {
          if (step.delayMs) await sleep(step.delayMs, signal);
          throw Object.assign(new Error('scripted OCR failure'), { code: step.code ?? 'ocr_error' });
        }
        case 'hang':
          return new Promise(() => {});
        case 'stall':
          // Blocks this thread: no timer, heartbeat or lock extension runs until it returns.
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, step.ms);
          return { result: SYNTHETIC_OCR, gpuProcessed: false };
      }
    },
  };
  return engine;
}

export const CLEAN_EVALUATION: Evaluation = {
  score: 0.95,
  reasons: [],
  fields: { nik: '3171014101900001', nama: 'SYNTHETIC PERSON' },
  policyVersion: 'test-policy-1',
};

export function createScriptedEvaluator(plan: (documentId: string) => Evaluation = () => CLEAN_EVALUATION): Evaluator {
  return { evaluate: async ({ documentId }) => plan(documentId) };
}

function sleep(ms: number, signal: AbortSignal) {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });
}
