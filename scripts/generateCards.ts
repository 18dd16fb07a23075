/**
 * Writes a synthetic evaluation set: `<stem>.jpg|png` + `<stem>.json` (eval label) pairs.
 *
 *   node scripts/generateCards.ts DIR [--count 300] [--seed 1] [--defect-rate 0.3]
 *                                     [--today YYYY-MM-DD] [--concurrency 4] [--preset real]
 *
 * `--preset real` photographs every card as real clients do (synthetic/variation.ts): small in a
 * cluttered frame, turned, some photocopied, watermarked, colour-cast or re-sent through a chat app.
 *
 * `--today` defaults to the current UTC date: ages, expiry and the underage cases are relative to
 * it, so generate with the date the evaluation runs on (it is recorded as `expect.as_of`).
 * The same arguments always give the same files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type CardDescriptor, type CardLabel, generateCard, generateSet } from '../synthetic/generate.ts';
import { PHOTO_RATES } from '../synthetic/photo/treatments.ts';

const USAGE =
  'usage: node scripts/generateCards.ts DIR [--count 300] [--seed 1] [--defect-rate 0.3] [--today YYYY-MM-DD] [--concurrency 4] [--preset real]';

function integer(name: string, value: string, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got ${value}\n${USAGE}`);
  return n;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      count: { type: 'string', default: '300' },
      seed: { type: 'string', default: '1' },
      'defect-rate': { type: 'string', default: '0.3' },
      today: { type: 'string', default: new Date().toISOString().slice(0, 10) },
      concurrency: { type: 'string', default: String(Math.min(4, availableParallelism())) },
      preset: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const [dirArg] = positionals;
  if (!dirArg || positionals.length > 1) throw new Error(USAGE);
  const defectRate = Number(values['defect-rate']);
  if (!(defectRate >= 0 && defectRate <= 1)) throw new Error(`--defect-rate must be within 0–1\n${USAGE}`);

  if (values.preset !== undefined && values.preset !== 'real') throw new Error(`--preset must be real\n${USAGE}`);

  const dir = resolve(dirArg);
  const set = generateSet({
    count: integer('count', values.count, 0),
    seed: integer('seed', values.seed, 0),
    defectRate,
    today: values.today,
    ...(values.preset ? { preset: 'real' as const } : {}),
  });
  const concurrency = integer('concurrency', values.concurrency, 1);
  await mkdir(dir, { recursive: true });

  const started = performance.now();
  const labels: CardLabel[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let d: CardDescriptor | undefined = set[next++]; d; d = set[next++]) {
      const { image, mime, label } = await generateCard(d.seed, d.options);
      const ext = mime === 'image/png' ? 'png' : 'jpg';
      await writeFile(join(dir, `${d.stem}.${ext}`), image);
      await writeFile(join(dir, `${d.stem}.json`), `${JSON.stringify(label, null, 2)}\n`);
      labels[d.index] = label;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;

  console.log(summary(labels, dir, seconds, values.today));
}

function summary(labels: readonly CardLabel[], dir: string, seconds: number, today: string): string {
  const count = (key: (l: CardLabel) => string) => {
    const out: Record<string, number> = {};
    for (const l of labels) out[key(l)] = (out[key(l)] ?? 0) + 1;
    return Object.entries(out)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, n]) => `${k} ${n}`)
      .join(', ');
  };
  const perCard = labels.length ? ((seconds * 1000) / labels.length).toFixed(0) : '0';
  return [
    `wrote ${labels.length} cards to ${dir} in ${seconds.toFixed(1)} s (${perCard} ms per card), as of ${today}`,
    `  uploaded type: ${count((l) => l.type)}`,
    `  defect:        ${count((l) => l.expect.defect ?? 'none')}`,
    `  difficulty:    ${count((l) => l.expect.variation.difficulty)}`,
    `  format:        ${count((l) => l.expect.variation.format)}`,
    `  real world:    ${count((l) => realWorldOf(l))}`,
    `  photo:         ${photoCounts(labels)}`,
    `  quarter turn:  ${count((l) => String(l.expect.variation.quarter_turn))}`,
    `  font:          ${count((l) => l.expect.variation.font)}`,
  ].join('\n');
}

/** The `real` preset's treatments of a card, e.g. `photocopy+resent`; `camera` for none, `-` outside the preset. */
function realWorldOf(label: CardLabel): string {
  const world = label.expect.variation.real;
  if (!world) return '-';
  const parts = [
    world.photocopy ? 'photocopy' : '',
    world.watermark ? 'watermark' : '',
    world.cast ? 'cast' : '',
    world.resent ? (world.resent.square ? 'resent-square' : 'resent') : '',
  ].filter(Boolean);
  return parts.length > 0 ? parts.join('+') : 'camera';
}

/** How many cards went through each photo treatment (synthetic/photo/treatments.ts); a card counts in each of its own. */
function photoCounts(labels: readonly CardLabel[]): string {
  const names = Object.keys(PHOTO_RATES) as (keyof typeof PHOTO_RATES)[];
  return names.map((name) => `${name} ${labels.filter((l) => l.expect.variation.real?.[name]).length}`).join(', ');
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
