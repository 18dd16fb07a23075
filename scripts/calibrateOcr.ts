/**
 * `npm run calibrate -- [--cards 60] [--seed 5000] [--percentile 99.99] [--today YYYY-MM-DD] [--out FILE]`
 *
 * Measures the value ranges that int8 detection and recognition (OCR_PRECISION, adapters/ocr/
 * quantize.ts) quantise with: synthetic cards of both types and all variations (our own generator,
 * seeded, none of them in the eval sets' seeds) are read by the fp32 engine while every
 * convolution's input and output in the detector and the recogniser is watched. Each range is the
 * percentile of a sample of its values (calibration.ts); a network's input keeps its whole range.
 * Writes adapters/ocr/int8-ranges.json, with each model's SHA-256.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type ort from 'onnxruntime-node';
import {
  CALIBRATION_PATH,
  type CalibrationFile,
  convolutionValues,
  createValueSampler,
  exposeValues,
  sha256,
} from '../adapters/ocr/calibration.ts';
import { createOnnxOcrEngine } from '../adapters/ocr/engine.ts';
import {
  createOrtSession,
  locateModels,
  modelBytes,
  openOrtSession,
  type SessionFactory,
} from '../adapters/ocr/models.ts';
import { todayIn } from '../domain/dates.ts';
import { generateCard } from '../synthetic/generate.ts';

const { values } = parseArgs({
  options: {
    cards: { type: 'string', default: '60' },
    seed: { type: 'string', default: '5000' },
    percentile: { type: 'string', default: '99.99' },
    today: { type: 'string' },
    out: { type: 'string', default: fileURLToPath(CALIBRATION_PATH) },
  },
});
const cards = Number(values.cards);
const seed = Number(values.seed);
const percentile = Number(values.percentile);
if (!Number.isInteger(cards) || cards < 1 || !Number.isInteger(seed) || !(percentile > 50 && percentile <= 100)) {
  console.error(
    'usage: npm run calibrate -- [--cards N] [--seed N] [--percentile P (50 < P <= 100)] [--today YYYY-MM-DD] [--out FILE]',
  );
  process.exit(2);
}
const today = values.today ?? todayIn(new Date());

const models: CalibrationFile['models'] = {};
/** Run once all cards are read: each turns a model's samples into its ranges. */
const finishes: (() => void)[] = [];

/** fp32 sessions; the detector's and the recogniser's also return every convolution's input and output, whose ranges they record. */
const watchingSessions: SessionFactory = async (path, device, threads, _precision, outputClasses) => {
  const { detection, recognition } = locateModels();
  if (path !== detection && path !== recognition) return createOrtSession(path, device, threads);
  const published = await readFile(path);
  // One sampler per network: their value names overlap (both read an `x`).
  const sampler = createValueSampler();
  const bytes = await modelBytes(path, 'fp32', outputClasses);
  const watched = convolutionValues(bytes);
  const entry = { sha256: sha256(published), ranges: {} as Record<string, [number, number]> };
  models[basename(path)] = entry;
  const session = await openOrtSession(exposeValues(bytes, watched), device, threads);
  const primary = session.outputNames[0] as string;
  const inputs = new Set(session.inputNames);
  finishes.push(() => {
    entry.ranges = sampler.ranges(percentile, inputs);
  });
  const fetches = [...new Set([primary, ...watched.filter((name) => !inputs.has(name))])];
  return {
    outputNames: [primary],
    async run(feeds: Record<string, ort.Tensor>) {
      const outputs = await session.run(feeds, fetches);
      for (const name of watched) {
        const value = name in feeds ? feeds[name] : outputs[name];
        if (value) sampler.add(name, value.data as Float32Array);
      }
      return { [primary]: outputs[primary] as ort.Tensor };
    },
    release: () => session.release(),
  };
};

const engine = await createOnnxOcrEngine({
  device: 'cpu',
  recognitionLanes: 1,
  maxPixels: 50_000_000,
  readImage: () => Promise.reject(new Error('calibration reads generated cards')),
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  createSession: watchingSessions,
});
try {
  for (let index = 0; index < cards; index++) {
    const card = await generateCard(seed + index, { type: index % 3 === 2 ? 'NPWP' : 'KTP', today });
    await engine.recognizeImage(card.image, card.mime);
  }
} finally {
  await engine.close();
}

for (const finish of finishes) finish();
const file: CalibrationFile = {
  measuredWith: `npm run calibrate -- --cards ${cards} --seed ${seed} --percentile ${percentile} --today ${today}`,
  models,
};
// One range per line, as the formatter keeps it.
const text = JSON.stringify(file, null, 2).replace(/\[\s+(-?[\d.e+-]+),\s+(-?[\d.e+-]+)\s+\]/g, '[$1, $2]');
await writeFile(values.out, `${text}\n`);
console.log(
  `${values.out}: ${Object.entries(models)
    .map(([name, entry]) => `${name} ${Object.keys(entry.ranges).length} values`)
    .join(', ')}`,
);
