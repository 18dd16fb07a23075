import { createThreadedOcrEngine, type Precision, type ThreadedOcrEngine } from '../adapters/ocr/index.ts';
import { loadRegions } from '../adapters/regions/loadRegions.ts';
import type { RegionIndex } from '../domain/identifiers/regions.ts';
import { evaluateDocument } from '../domain/policy.ts';
import { generateCard } from '../synthetic/generate.ts';
import { benchLogger, percentile } from './support.ts';

/**
 * OCR + extraction + policy per card image on the CPU, through the engine `npm start` runs (worker
 * threads, adapters/ocr/engine/threadedEngine.ts): the latency of one engine thread (p50, p95) and
 * the throughput of one and of two. On two cores one thread gets two onnxruntime threads and two
 * recognition lanes, two threads one of each.
 * The cards are synthetic KTPs (seeded, mild variations, 1000–1400 px), generated before timing.
 */
export async function ocrThroughput(options: { cards: number; seed: number; today: string; precision: Precision }) {
  const cards = new Map<string, Buffer>();
  for (let index = 0; index < options.cards; index++) {
    const card = await generateCard(options.seed + index, { type: 'KTP', today: options.today, difficulty: 'mild' });
    cards.set(`card-${index}`, card.image);
  }
  const regions = await loadRegions();
  const { precision } = options;
  const one = await timeCards(cards, regions, options.today, {
    engineThreads: 1,
    threads: 2,
    recognitionLanes: 2,
    precision,
  });
  const two = await timeCards(cards, regions, options.today, {
    engineThreads: 2,
    threads: 1,
    recognitionLanes: 1,
    precision,
  });
  return {
    p50Ms: percentile(one.timesMs, 50),
    p95Ms: percentile(one.timesMs, 95),
    docsPerSecondOneWorker: cards.size / one.seconds,
    docsPerSecondTwoWorkers: cards.size / two.seconds,
  };
}

async function timeCards(
  cards: Map<string, Buffer>,
  regions: RegionIndex,
  today: string,
  layout: { engineThreads: number; threads: number; recognitionLanes: number; precision: Precision },
) {
  const engine = await createThreadedOcrEngine({
    device: 'cpu',
    ...layout,
    maxPixels: 50_000_000,
    readImage: async (key) => cards.get(key) ?? Buffer.alloc(0),
    logger: benchLogger,
  });
  try {
    const keys = [...cards.keys()];
    // One warm-up read per thread before the clock starts: a session's first run allocates its buffers.
    await Promise.all(keys.slice(0, layout.engineThreads).map((key) => read(engine, key, regions, today)));
    const timesMs: number[] = [];
    const started = performance.now();
    // As many cards in flight as there are threads, like WORKER_CONCURRENCY = OCR_ENGINE_THREADS.
    const lanes = Array.from({ length: layout.engineThreads }, async (_, lane) => {
      for (let index = lane; index < keys.length; index += layout.engineThreads) {
        const cardStarted = performance.now();
        await read(engine, keys[index] as string, regions, today);
        timesMs.push(performance.now() - cardStarted);
      }
    });
    await Promise.all(lanes);
    return { seconds: (performance.now() - started) / 1000, timesMs };
  } finally {
    await engine.close();
  }
}

async function read(engine: ThreadedOcrEngine, key: string, regions: RegionIndex, today: string) {
  const { result } = await engine.recognize(
    { documentId: key, type: 'KTP', storageKey: key, mime: 'image/jpeg' },
    new AbortController().signal,
  );
  evaluateDocument({ uploadedType: 'KTP', ocr: result, regions, today, duplicateIdentity: false });
}
