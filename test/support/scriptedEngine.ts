import type { Evaluation, Evaluator, OcrEngine, OcrInput, OcrResult } from '../../runtime/ports.ts';

/**
 * Test-only stand-ins for the OCR engine and the evaluator, driven by a plan per document and
 * attempt: answer after a delay, fail, hang (ignoring the abort signal), or stall the whole event
 * loop the way a long GC pause or a frozen VM does.
 */
export type EngineStep =
  | { kind: 'ok'; delayMs?: number }
  | { kind: 'fail'; code?: string; permanent?: boolean; delayMs?: number }
  | { kind: 'hang' }
  | { kind: 'stall'; ms: number };

export const SYNTHETIC_OCR: OcrResult = {
  text: 'SYNTHETIC TEST CARD',
  lines: [{ text: 'SYNTHETIC TEST CARD', confidence: 0.99 }],
};

export type ScriptedEngineOptions = {
  /**
   * Documents read at once; the others wait in order, as in the threaded engine, and are told they
   * started (`onStarted`) when their turn comes. Unlimited by default: every call starts at once.
   */
  threads?: number;
};

export function createScriptedEngine(
  plan: (input: OcrInput, call: number) => EngineStep = () => ({ kind: 'ok' }),
  options: ScriptedEngineOptions = {},
) {
  const calls = new Map<string, number>();
  const turns = createTurns(options.threads ?? Number.POSITIVE_INFINITY);
  const engine: OcrEngine & { calls: Map<string, number> } = {
    device: 'cpu',
    calls,
    async recognize(input, signal, onStarted) {
      await turns.take(signal);
      try {
        onStarted?.();
        return await run(input, signal);
      } finally {
        turns.give();
      }
    },
  };

  async function run(input: OcrInput, signal: AbortSignal): Promise<{ result: OcrResult; gpuProcessed: boolean }> {
    const call = (calls.get(input.documentId) ?? 0) + 1;
    calls.set(input.documentId, call);
    const step = plan(input, call);
    switch (step.kind) {
      case 'ok':
        if (step.delayMs) await sleep(step.delayMs, signal);
        return { result: SYNTHETIC_OCR, gpuProcessed: false };
      case 'fail': {
        if (step.delayMs) await sleep(step.delayMs, signal);
        throw Object.assign(new Error('scripted OCR failure'), {
          code: step.code ?? 'ocr_error',
          ...(step.permanent === undefined ? {} : { permanent: step.permanent }),
        });
      }
      case 'hang':
        return new Promise(() => {});
      case 'stall':
        // Blocks this thread: no timer, heartbeat or lock extension runs until it returns.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, step.ms);
        return { result: SYNTHETIC_OCR, gpuProcessed: false };
    }
  }
  return engine;
}

/** At most `count` holders at once; the others wait in order (and leave the line when aborted). */
function createTurns(count: number) {
  let free = count;
  const line: { resolve(): void; signal: AbortSignal }[] = [];
  return {
    take(signal: AbortSignal): Promise<void> {
      signal.throwIfAborted();
      if (free > 0) {
        free--;
        return Promise.resolve();
      }
      return new Promise<void>((resolve, reject) => {
        const entry = { resolve, signal };
        line.push(entry);
        signal.addEventListener(
          'abort',
          () => {
            const at = line.indexOf(entry);
            if (at >= 0) line.splice(at, 1);
            reject(signal.reason);
          },
          { once: true },
        );
      });
    },
    give() {
      const next = line.shift();
      if (next) next.resolve();
      else free++;
    },
  };
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
