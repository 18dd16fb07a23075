import type { OcrResult } from '../ocrResult.ts';
import { type Reason, type ReasonCode, reason } from '../reasons.ts';
import { DIGITISH } from '../text/normalise.ts';

/**
 * Whether a failed check may reject the card. A check that rejects says the card is false: the NIK
 * cannot exist, or contradicts the printed birth date. On a real photo the same failure more often
 * means one character was misread (a "1" read as "2" under a watermark). So a rejecting check
 * rejects only when every character it rests on was read confidently; otherwise the card goes to a
 * person with `UNCERTAIN_CHECK_FAILED`, naming the check and the field. A NIK or NPWP of the wrong
 * length is never a reason to reject: characters lost to glare or a watermark look exactly like
 * that.
 */

/**
 * The lowest probability the recogniser may give a character a rejecting check rests on. Measured
 * here: every NIK digit of 80 generated KTPs read at 0.966 or more (1% under 0.992); on copies
 * degraded to 40% size, blurred and saved at JPEG quality 25, 8 of 864 digits fell under 0.9, and
 * the two NIKs misread had lost or gained a digit. A misread digit's own probability was never
 * observed here (none was substituted): this is a starting point for the held-out real set.
 */
export const MIN_EVIDENCE_CONFIDENCE = 0.9;

/**
 * Lines read with at least MIN_EVIDENCE_CONFIDENCE that make an image confidently "not a KTP or
 * NPWP": a driving licence or a passport page gives a dozen; a card too small or too blurred to read
 * gives a few, and goes to review instead.
 */
export const MIN_CONFIDENT_LINES_FOR_OTHER_DOCUMENT = 6;

/** The fields each rejecting check rests on. */
const EVIDENCE: Partial<Record<ReasonCode, readonly string[]>> = {
  NIK_REGION_UNKNOWN: ['nik'],
  NIK_DATE_INVALID: ['nik'],
  NIK_SERIAL_INVALID: ['nik'],
  NIK_BIRTHDATE_MISMATCH: ['nik', 'tanggal_lahir'],
  NIK_SEX_MISMATCH: ['nik', 'jenis_kelamin'],
  BIRTHDATE_INVALID: ['tanggal_lahir'],
  UNDERAGE: ['tanggal_lahir'],
  NPWP_CHECK_DIGIT_INVALID: ['npwp'],
};

/** Rejecting checks that a misread explains better than a false card, whatever the confidence. */
const NEVER_REJECTS: ReadonlySet<string> = new Set<ReasonCode>(['NIK_FORMAT_INVALID', 'NPWP_FORMAT_INVALID']);

/** Fields whose evidence is their digits (a letter there is a repaired digit, and counts too). */
const DIGIT_FIELDS: ReadonlySet<string> = new Set(['nik', 'npwp', 'tanggal_lahir']);
export const DIGIT_LIKE = new RegExp(DIGITISH);
const LETTER_OR_DIGIT = /[A-Za-z0-9]/;

/** The positions in `text` of the value's characters that match `pattern`: those after the label's colon, or all when there is none. */
export function valuePositions(text: string, pattern: RegExp): number[] {
  const positions: number[] = [];
  for (let index = text.indexOf(':') + 1; index < text.length; index++)
    if (pattern.test(text[index] as string)) positions.push(index);
  return positions;
}

/**
 * How surely a field was read: the lowest probability among the characters of its value on the line
 * it came from (after the label's colon when there is one). Without per-character probabilities
 * (results read before they were kept) the line's mean confidence stands in. A field with no line
 * was not read, and gives 0.
 */
export function fieldConfidence(ocr: OcrResult, field: string, line: number | undefined): number {
  const read = line === undefined ? undefined : ocr.lines[line];
  if (!read) return 0;
  const chars = read.chars;
  if (!chars || chars.length !== read.text.length) return read.confidence;
  const positions = valuePositions(read.text, DIGIT_FIELDS.has(field) ? DIGIT_LIKE : LETTER_OR_DIGIT);
  if (positions.length === 0) return read.confidence;
  return Math.min(...positions.map((index) => chars[index] as number));
}

/** Each rejecting reason kept when its evidence holds, or turned into a review reason that says why not. */
export function weighEvidence(
  reasons: readonly Reason[],
  context: {
    ocr: OcrResult;
    fieldLines: Readonly<Record<string, number | undefined>>;
  },
): Reason[] {
  return reasons.map((item) => {
    if (item.severity !== 'reject') return item;
    if (item.code === 'DOCUMENT_TYPE_UNKNOWN') {
      const confident = context.ocr.lines.filter((line) => line.confidence >= MIN_EVIDENCE_CONFIDENCE).length;
      return confident >= MIN_CONFIDENT_LINES_FOR_OTHER_DOCUMENT ? item : reason('DOCUMENT_TYPE_UNREADABLE');
    }
    if (NEVER_REJECTS.has(item.code)) return uncertain(item.code, item.code === 'NPWP_FORMAT_INVALID' ? 'npwp' : 'nik');
    const fields = EVIDENCE[item.code as ReasonCode];
    if (!fields) return item;
    const unsure = fields.find(
      (field) => fieldConfidence(context.ocr, field, context.fieldLines[field]) < MIN_EVIDENCE_CONFIDENCE,
    );
    return unsure === undefined ? item : uncertain(item.code, unsure);
  });
}

function uncertain(check: string, field: string): Reason {
  return reason('UNCERTAIN_CHECK_FAILED', `Check: ${check}; field read uncertainly: ${field}.`);
}
