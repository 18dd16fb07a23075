import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { ValueRanges } from './quantize.ts';

/**
 * Value ranges for int8 inference (quantize.ts), measured by `npm run calibrate` on synthetic cards
 * and kept in `int8-ranges.json` beside this file. Each entry names the model file and its SHA-256:
 * ranges measured on another version of a model would quantise it wrongly, so they are refused.
 */
export type CalibrationFile = {
  /** How the ranges were measured (command, cards, seed). */
  measuredWith: string;
  models: Record<string, { sha256: string; ranges: Record<string, [number, number]> }>;
};

export const CALIBRATION_PATH = new URL('./int8-ranges.json', import.meta.url);

let calibration: Promise<CalibrationFile> | undefined;

/** The ranges for the model at `path`, whose bytes are `bytes`; throws when there are none for them. */
export async function rangesFor(path: string, bytes: Uint8Array): Promise<ValueRanges> {
  calibration ??= readFile(CALIBRATION_PATH, 'utf8').then((text) => JSON.parse(text) as CalibrationFile);
  const entry = (await calibration).models[basename(path)];
  if (!entry) throw new Error(`no int8 ranges for ${basename(path)}; run npm run calibrate or set OCR_PRECISION=fp32`);
  if (entry.sha256 !== sha256(bytes)) {
    throw new Error(
      `the int8 ranges of ${basename(path)} were measured on another version of it; run npm run calibrate or set OCR_PRECISION=fp32`,
    );
  }
  return entry.ranges;
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
