/**
 * `npm run calibrate -- [--cards 60] [--seed 5000] [--percentile 99.99] [--today YYYY-MM-DD] [--out FILE]`
 *
 * Measures the value ranges that int8 detection and recognition (OCR_PRECISION,
 * adapters/ocr/models/quantize.ts) quantise with: synthetic cards of both types and all variations
 * (our own generator, seeded, none of them in the eval sets' seeds) are read by the fp32 engine
 * while every convolution's input and output in the detector and the recogniser is watched
 * (adapters/ocr/calibration/watchingSessions.ts). Each range is the percentile of a sample of its
 * values (calibration.ts); a network's input keeps its whole range. Writes
 * adapters/ocr/models/int8-ranges.json, with each model's SHA-256.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CALIBRATION_PATH, type CalibrationFile } from '../adapters/ocr/calibration/calibration.ts';
import { watchingSessions } from '../adapters/ocr/calibration/watchingSessions.ts';
import { createOnnxOcrEngine } from '../adapters/ocr/index.ts';
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

const watching = watchingSessions();
const engine = await createOnnxOcrEngine({
  device: 'cpu',
  recognitionLanes: 1,
  maxPixels: 50_000_000,
  readImage: () => Promise.reject(new Error('calibration reads generated cards')),
  logger: { debug() {}, info() {}, warn() {}, error() {} },
  createSession: watching.createSession,
});
try {
  for (let index = 0; index < cards; index++) {
    const card = await generateCard(seed + index, { type: index % 3 === 2 ? 'NPWP' : 'KTP', today });
    await engine.recognizeImage(card.image, card.mime);
  }
} finally {
  await engine.close();
}

const models = watching.ranges(percentile);
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
