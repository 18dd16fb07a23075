/**
 * One OCR worker of bench/ocrThroughput.ts, in a worker thread of its own: onnxruntime-node runs
 * inference on the calling JavaScript thread, so two workers in one process need two threads.
 * Receives `{ cards: {image, mime, type}[], threads }`, reads each card through the OCR engine and the
 * policy, and posts back the time of each.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createOnnxOcrEngine } from '../adapters/ocr/engine.ts';
import { loadRegions } from '../adapters/regions/loadRegions.ts';
import { evaluateDocument } from '../domain/policy.ts';
import type { DocumentType } from '../machines/document.events.ts';
import { benchLogger } from './support.ts';

type Card = { image: Uint8Array; mime: string; type: DocumentType };
const { cards, threads, today } = workerData as { cards: Card[]; threads: number; today: string };

const regions = await loadRegions();
const engine = await createOnnxOcrEngine({
  device: 'cpu',
  threads,
  maxPixels: 50_000_000,
  readImage: () => Promise.reject(new Error('not used')),
  logger: benchLogger,
});
// One warm-up read: the first run of a session allocates its buffers.
await engine.recognizeImage(Buffer.from(cards[0]?.image ?? []), cards[0]?.mime ?? 'image/jpeg');
parentPort?.postMessage({ ready: true });
parentPort?.once('message', async () => {
  const timesMs: number[] = [];
  for (const card of cards) {
    const started = performance.now();
    const read = await engine.recognizeImage(Buffer.from(card.image), card.mime);
    evaluateDocument({ uploadedType: card.type, ocr: read.result, regions, today, duplicateIdentity: false });
    timesMs.push(performance.now() - started);
  }
  await engine.close();
  parentPort?.postMessage({ timesMs });
});
