import { Worker } from 'node:worker_threads';
import { generateCard } from '../synthetic/generate.ts';
import { percentile } from './support.ts';

/**
 * OCR + extraction + policy per card image on the CPU: the latency of one worker (p50, p95) and the
 * throughput of one and of two workers. Each worker is a thread with its own onnxruntime sessions;
 * with two workers on two cores each session gets one intra-op thread, with one worker two.
 * The cards are synthetic KTPs (seeded, mild variations, 1000–1400 px), generated before timing.
 */
export async function ocrThroughput(options: { cards: number; seed: number; today: string }) {
  const cards = [];
  for (let index = 0; index < options.cards; index++) {
    const card = await generateCard(options.seed + index, { type: 'KTP', today: options.today, difficulty: 'mild' });
    cards.push({ image: card.image, mime: card.mime, type: 'KTP' as const });
  }
  const one = await runWorkers([cards], 2, options.today);
  const half = Math.ceil(cards.length / 2);
  const two = await runWorkers([cards.slice(0, half), cards.slice(half)], 1, options.today);
  return {
    p50Ms: percentile(one.timesMs, 50),
    p95Ms: percentile(one.timesMs, 95),
    docsPerSecondOneWorker: cards.length / one.seconds,
    docsPerSecondTwoWorkers: cards.length / two.seconds,
  };
}

async function runWorkers(shares: { image: Buffer; mime: string; type: 'KTP' }[][], threads: number, today: string) {
  const workers = shares.map(
    (cards) => new Worker(new URL('./ocrThread.ts', import.meta.url), { workerData: { cards, threads, today } }),
  );
  // Every worker loads its models and reads one card before the clock starts.
  await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once('message', resolve))));
  const started = performance.now();
  const results = await Promise.all(
    workers.map(
      (worker) =>
        new Promise<number[]>((resolve, reject) => {
          worker.once('message', (message: { timesMs: number[] }) => resolve(message.timesMs));
          worker.once('error', reject);
          worker.postMessage('go');
        }),
    ),
  );
  const seconds = (performance.now() - started) / 1000;
  await Promise.all(workers.map((worker) => worker.terminate()));
  return { seconds, timesMs: results.flat() };
}
