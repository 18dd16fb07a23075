/**
 * `npm run eval -- DIR [--json FILE] [--today YYYY-MM-DD]`
 *
 * Runs the runtime's own path — the OCR engine, extraction and the policy, then the document
 * machine's DECIDE — on every image in DIR that has a label JSON beside it (format:
 * ../shared/eval/README.md), and prints per-field accuracy, the figures per category of card
 * (evalCategories.ts: each treatment of the `real` preset, each layout, and all), the decisions,
 * timings and, last, the line `fields: C/T correct (P%), nik: C/N, not_auto_approved: C/N`.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { createLogger } from '../adapters/logging/logger.ts';
import { createOnnxOcrEngine } from '../adapters/ocr/index.ts';
import { loadRegions } from '../adapters/regions/loadRegions.ts';
import { loadConfig } from '../config/index.ts';
import { todayIn } from '../domain/dates.ts';
import type { DocumentType } from '../domain/documentType.ts';
import { evaluateDocument } from '../domain/policy.ts';
import { decisionFor } from '../machines/decide.ts';
import { createDocumentMachine } from '../machines/document.machine.ts';
import { coerceError } from '../runtime/errors.ts';
import { type CategorisedLabel, categoryFigures, type EvaluatedCard, formatCategory } from './evalCategories.ts';

type Label = {
  type: DocumentType;
  fields: Record<string, string>;
  expect?: {
    not_decision?: string[];
    decision?: string;
    reasons?: string[];
    must_flag?: string[];
  } & CategorisedLabel['expect'];
};

const MIME: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.pdf': 'application/pdf',
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { json: { type: 'string' }, today: { type: 'string' } },
});
const directory = positionals[0];
if (!directory) {
  console.error('usage: npm run eval -- DIR [--json FILE] [--today YYYY-MM-DD]');
  process.exit(2);
}

const config = loadConfig();
const logger = createLogger({ level: 'warn' });
const today = values.today ?? todayIn(new Date());
const machine = createDocumentMachine(config.machine);
const regions = await loadRegions();
const engine = await createOnnxOcrEngine({
  device: config.ocr.device,
  threads: config.ocr.threads,
  recognitionLanes: config.ocr.recognitionLanes,
  precision: config.ocr.precision,
  maxPixels: config.ocr.maxPixels,
  readImage: () => Promise.reject(new Error('eval reads files itself')),
  logger,
});

const collapse = (value: string) => value.toUpperCase().replace(/\s+/g, ' ').trim();
const squeeze = (value: string) => value.toUpperCase().replace(/\s+/g, '');
const percent = (correct: number, total: number) => (total === 0 ? '-' : `${((100 * correct) / total).toFixed(1)}%`);
const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);

const files = (await readdir(directory)).filter((name) => MIME[extname(name).toLowerCase()]).sort();
const perField = new Map<string, { correct: number; loose: number; total: number }>();
const evaluated: EvaluatedCard[] = [];
const items: {
  file: string;
  type: DocumentType;
  fields: Record<string, string | null>;
  decision: string;
  reasons: string[];
  gpuProcessed: boolean;
  ms: number;
}[] = [];
const totals = {
  fields: 0,
  correct: 0,
  loose: 0,
  nik: 0,
  nikCorrect: 0,
  notApprove: 0,
  notApproveOk: 0,
  clean: 0,
  cleanApproved: 0,
  defective: 0,
  defectiveApproved: 0,
  expectedReasons: 0,
  expectedReasonsRaised: 0,
};

for (const file of files) {
  const stem = basename(file, extname(file));
  let label: Label;
  try {
    label = JSON.parse(await readFile(join(directory, `${stem}.json`), 'utf8')) as Label;
  } catch {
    continue;
  }
  const bytes = await readFile(join(directory, file));
  const started = performance.now();
  let evaluation: ReturnType<typeof evaluateDocument>;
  let gpuProcessed = false;
  try {
    const read = await engine.recognizeImage(bytes, MIME[extname(file).toLowerCase()] as string);
    gpuProcessed = read.gpuProcessed;
    evaluation = evaluateDocument({
      uploadedType: label.type,
      ocr: read.result,
      regions,
      today,
      duplicateIdentity: false,
    });
  } catch (error) {
    console.log(`${file}: OCR failed (${(error as { code?: string }).code ?? coerceError(error).message})`);
    continue;
  }
  const ms = performance.now() - started;
  const decision = decisionFor(machine, label.type, evaluation);
  const codes = evaluation.reasons.map((reason) => reason.code);
  items.push({ file, type: label.type, fields: evaluation.fields, decision, reasons: codes, gpuProcessed, ms });

  const wrong: string[] = [];
  for (const [field, expected] of Object.entries(label.fields)) {
    const read = evaluation.fields[field] ?? '';
    const exact = collapse(read) === collapse(expected);
    const loose = squeeze(read) === squeeze(expected);
    const score = perField.get(field) ?? { correct: 0, loose: 0, total: 0 };
    score.total++;
    totals.fields++;
    if (exact) {
      score.correct++;
      totals.correct++;
    } else wrong.push(field);
    if (loose) {
      score.loose++;
      totals.loose++;
    }
    perField.set(field, score);
    if (field === 'nik') {
      totals.nik++;
      if (exact) totals.nikCorrect++;
    }
  }
  evaluated.push({
    label,
    decision,
    fieldsCorrect: Object.keys(label.fields).length - wrong.length,
    fieldsTotal: Object.keys(label.fields).length,
    nikCorrect: 'nik' in label.fields ? !wrong.includes('nik') : null,
  });
  const expect = label.expect ?? {};
  if (expect.not_decision?.includes('auto_approve')) {
    totals.notApprove++;
    if (decision !== 'auto_approve') totals.notApproveOk++;
  }
  if (expect.decision === 'auto_approve') {
    totals.clean++;
    if (decision === 'auto_approve') totals.cleanApproved++;
  }
  if (expect.reasons?.length) {
    totals.defective++;
    if (decision === 'auto_approve') totals.defectiveApproved++;
    for (const code of expect.reasons) {
      totals.expectedReasons++;
      // A check that failed on doubtful characters is raised all the same, as a review (checks/evidence.ts).
      const raised =
        codes.includes(code) ||
        evaluation.reasons.some(
          (item) => item.code === 'UNCERTAIN_CHECK_FAILED' && item.message.includes(`Check: ${code};`),
        );
      if (raised) totals.expectedReasonsRaised++;
    }
  }
  console.log(
    `${file}  ${label.type}  ${decision}  ${ms.toFixed(0)} ms  reasons=[${codes.join(',')}]` +
      (wrong.length ? `  wrong=[${wrong.join(',')}]` : ''),
  );
}

console.log('\nfield accuracy (exact after upper-casing and collapsing spaces; space-insensitive in brackets)');
for (const [field, score] of [...perField].sort(([a], [b]) => a.localeCompare(b)))
  console.log(
    `  ${field.padEnd(18)} ${`${score.correct}/${score.total}`.padStart(9)} ${percent(score.correct, score.total).padStart(7)}   [${percent(score.loose, score.total)}]`,
  );
const categories = categoryFigures(evaluated);
console.log('\nper category (legitimate = no defect; their decisions; defective cards auto-approved)');
const nameWidth = Math.max(16, ...categories.map((figures) => figures.category.length));
for (const figures of categories) console.log(formatCategory(figures, nameWidth));
const times = items.map((item) => item.ms).sort((a, b) => a - b);
console.log(`\nitems: ${items.length} of ${files.length} images; device: ${engine.device}`);
console.log(`ocr_ms_p50: ${quantile(times, 0.5).toFixed(0)}`);
console.log(`ocr_ms_p95: ${quantile(times, 0.95).toFixed(0)}`);
console.log(`gpu_processed: ${items.filter((item) => item.gpuProcessed).length}/${items.length}`);
console.log(`fields_space_insensitive: ${totals.loose}/${totals.fields} (${percent(totals.loose, totals.fields)})`);
const decisions = new Map<string, number>();
for (const item of items) decisions.set(item.decision, (decisions.get(item.decision) ?? 0) + 1);
console.log(`decisions: ${[...decisions].map(([decision, count]) => `${decision}=${count}`).join(' ')}`);
if (totals.clean)
  console.log(
    `clean_auto_approved: ${totals.cleanApproved}/${totals.clean} (${percent(totals.cleanApproved, totals.clean)})`,
  );
if (totals.defective) {
  console.log(`defective_auto_approved: ${totals.defectiveApproved}/${totals.defective}`);
  console.log(`expected_reasons_raised: ${totals.expectedReasonsRaised}/${totals.expectedReasons}`);
}

if (values.json)
  await writeFile(
    values.json,
    `${JSON.stringify({ items: items.map((item) => ({ ...item, ms: Math.round(item.ms) })), categories }, null, 2)}\n`,
  );

console.log(
  `fields: ${totals.correct}/${totals.fields} correct (${percent(totals.correct, totals.fields)}), nik: ${totals.nikCorrect}/${totals.nik}, not_auto_approved: ${totals.notApproveOk}/${totals.notApprove}`,
);
await engine.close();
