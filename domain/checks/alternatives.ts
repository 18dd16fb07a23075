import type { OcrResult } from '../ocrResult.ts';
import { repairDigits } from '../text/normalise.ts';
import { DIGIT_LIKE, valuePositions } from './evidence.ts';

/**
 * Constrained reading of a number. A NIK or an NPWP that fails its checks is often one misread digit
 * (a "1" read as "7" under a watermark). The OCR keeps the recogniser's second choice for each
 * doubtful character; where the number fails, the readings that take second choices at its
 * doubtful digits are tried, and one is used only when it is the only reading that passes. Only a
 * digit the recogniser itself offered is ever used: nothing is invented.
 */

/** At most this many doubtful digits are tried (2⁴ − 1 readings); more doubt is a person's to resolve. */
export const MAX_DOUBTFUL_DIGITS = 4;

type OcrLine = OcrResult['lines'][number];

/**
 * The positions in the line of the number's digits: the digit-like characters after the label's
 * colon. Null unless there are exactly as many as the value has digits, so each maps to one.
 */
function digitPositions(line: OcrLine, digits: number): number[] | null {
  const positions = valuePositions(line.text, DIGIT_LIKE);
  return positions.length === digits ? positions : null;
}

/**
 * The only other reading of `value` (a field read from `line`) that `passes`, built from the
 * recogniser's second choices at its doubtful digits; null when none or several pass. The value's
 * digits are replaced in place, so its printed separators (`12.345.678.9-…`) stay.
 */
export function onlyPassingReading(
  value: string,
  line: OcrLine | undefined,
  passes: (candidate: string) => boolean,
): string | null {
  if (!line?.alternatives?.length) return null;
  const digitCount = value.replace(/\D/g, '').length;
  const positions = digitPositions(line, digitCount);
  if (!positions) return null;
  const secondChoice = new Map(
    line.alternatives.map(([index, character, probability]) => [index, { character, probability }]),
  );
  // [digit index in the value, the digit to try], the least sure first.
  const doubtful = positions
    .flatMap((position, digit) => {
      const second = secondChoice.get(position);
      const replacement = second ? repairDigits(second.character) : '';
      return /^\d$/.test(replacement) ? [{ digit, replacement, probability: line.chars?.[position] ?? 0 }] : [];
    })
    .sort((a, b) => a.probability - b.probability)
    .slice(0, MAX_DOUBTFUL_DIGITS);
  const digitOffsets = [...value].flatMap((character, offset) => (/\d/.test(character) ? [offset] : []));
  const passing: string[] = [];
  for (let subset = 1; subset < 1 << doubtful.length; subset++) {
    const candidate = [...value];
    doubtful.forEach((choice, bit) => {
      if (subset & (1 << bit)) candidate[digitOffsets[choice.digit] as number] = choice.replacement;
    });
    const reading = candidate.join('');
    if (reading !== value && passes(reading) && !passing.includes(reading)) passing.push(reading);
  }
  return passing.length === 1 ? (passing[0] as string) : null;
}

/**
 * The only digits-only reading of a number on `line` (the OCR's `numbers`: the run of digits decoded
 * again with digits alone, at the length of a NIK or an NPWP) that `passes` once `format`ted; null
 * when none or several pass. It mends what second choices cannot: digits lost to a watermark or glare,
 * so the number came out short, and a letter that outvoted a digit.
 */
export function onlyPassingNumberReading(
  value: string,
  line: OcrLine | undefined,
  format: (digits: string) => string | null,
  passes: (candidate: string) => boolean,
): string | null {
  const passing = new Set<string>();
  for (const number of line?.numbers ?? []) {
    const candidate = format(number.digits);
    if (candidate !== null && candidate !== value && passes(candidate)) passing.add(candidate);
  }
  return passing.size === 1 ? ([...passing][0] as string) : null;
}
