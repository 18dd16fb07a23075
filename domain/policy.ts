/**
 * The evaluation policy: OCR result in, score + reasons + fields out. Deterministic (no clock: `today`
 * is passed in; no randomness) and explainable (every deduction is a catalogue reason). Bump
 * POLICY_VERSION whenever a change could turn the same input into a different evaluation: the version
 * is stored with each evaluation so a decision can be traced to the rules that made it.
 */
import { onlyPassingNumberReading, onlyPassingReading } from './checks/alternatives.ts';
import { checkKtp, checkNpwp } from './checks/checks.ts';
import { weighEvidence } from './checks/evidence.ts';
import { checkImageQuality } from './checks/imageQuality.ts';
import { fieldShare, score } from './checks/score.ts';
import { assertToday } from './dates.ts';
import { type DetectedType, type DocumentType, detectDocumentType } from './documentType.ts';
import { type Extraction, extractKtpDetailed } from './extraction/ktp.ts';
import { extractNpwpDetailed, formatNpwp } from './extraction/npwp.ts';
import type { RegionIndex } from './identifiers/regions.ts';
import type { OcrResult } from './ocrResult.ts';
import { type Reason, reason } from './reasons.ts';

export const POLICY_VERSION = '2026-12-05.9';

/**
 * Mean recogniser confidence of the lines the fields came from below 0.7: PP-OCR reads clean card
 * text at 0.9 and above; under 0.7 a line usually has several wrong characters.
 */
export const MIN_FIELD_CONFIDENCE = 0.7;

export type EvaluationInput = {
  uploadedType: DocumentType;
  ocr: OcrResult;
  regions: RegionIndex;
  /** ISO `YYYY-MM-DD` (dates.ts `todayIn(new Date())`). */
  today: string;
  /**
   * The same NIK is already verified for another owner. The caller looks it up by the NIK, which it
   * can read first with extractKtp/extractNpwp on the same lines (cheap and pure).
   */
  duplicateIdentity: boolean;
};

/**
 * What the policy concludes about one document: the AI_EVALUATED event carries exactly this, and the
 * runtime's Evaluator port returns it (runtime/ports.ts).
 */
export type Evaluation = {
  score: number;
  reasons: Reason[];
  /** Every field of the parsed type, null when not read. */
  fields: Record<string, string | null>;
  policyVersion: string;
};

const SEVERITY_ORDER: Readonly<Record<Reason['severity'], number>> = { reject: 0, review: 1, info: 2 };

/** Each reason once, the most severe first (the order a reviewer should read them in). */
function ordered(reasons: readonly Reason[]): Reason[] {
  const seen = new Set<string>();
  const unique = reasons.filter((item) => {
    const key = `${item.code}\u0000${item.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return unique.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}

/** The AI_EVALUATED event takes field values of at most 2000 characters (fieldsSchema). */
const MAX_FIELD_LENGTH = 2000;

function clipped(fields: Readonly<Record<string, string | null>>): Record<string, string | null> {
  return Object.fromEntries(
    Object.entries(fields).map(([field, value]) => [field, value === null ? null : value.slice(0, MAX_FIELD_LENGTH)]),
  );
}

function meanConfidence(ocr: OcrResult, lineIndexes: readonly number[]): number {
  const lines = lineIndexes.length > 0 ? lineIndexes.map((index) => ocr.lines[index]) : ocr.lines;
  const confidences = lines.flatMap((line) => (line ? [line.confidence] : []));
  return confidences.length === 0 ? 0 : confidences.reduce((sum, value) => sum + value, 0) / confidences.length;
}

// A number of the wrong length is most often one that lost digits to glare or a watermark.
const NIK_FAILURES: ReadonlySet<string> = new Set([
  'NIK_FORMAT_INVALID',
  'NIK_REGION_UNKNOWN',
  'NIK_DATE_INVALID',
  'NIK_SERIAL_INVALID',
  'NIK_BIRTHDATE_MISMATCH',
  'NIK_SEX_MISMATCH',
]);
// A 16-digit NPWP is a NIK, checked by the NIK's rules: one that fails them is unverifiable.
const NPWP_FAILURES: ReadonlySet<string> = new Set([
  'NPWP_FORMAT_INVALID',
  'NPWP_CHECK_DIGIT_INVALID',
  'NPWP_CHECK_DIGIT_UNVERIFIABLE',
]);

/** How each number field is written from its digits alone, or null for a length it never has. */
const NUMBER_FORMATS: Record<'nik' | 'npwp', (digits: string) => string | null> = {
  nik: (digits) => (digits.length === 16 ? digits : null),
  npwp: (digits) => (digits.length === 15 ? formatNpwp(digits) : digits.length === 16 ? digits : null),
};

/**
 * The fields with a NIK or NPWP that fails its checks replaced by the only other reading that passes
 * them (checks/alternatives.ts): the region table, the printed birth date and sex for a NIK, the check
 * digit for an NPWP. The recogniser's second choices for its doubtful digits are tried first; then the
 * digits-only readings at the number's length, which mend a number that lost or gained digits.
 */
function withMendedNumbers(
  type: DocumentType,
  fields: Record<string, string | null>,
  ocr: OcrResult,
  fieldLines: Readonly<Record<string, number | undefined>>,
  options: { regions: RegionIndex; today: string },
): { fields: Record<string, string | null>; corrected: string[] } {
  const failures = (candidate: Record<string, string | null>) =>
    type === 'KTP' ? checkKtp(candidate, options) : checkNpwp(candidate, options);
  const numbers: ['nik' | 'npwp', ReadonlySet<string>][] =
    type === 'KTP'
      ? [['nik', NIK_FAILURES]]
      : [
          ['npwp', NPWP_FAILURES],
          ['nik', NIK_FAILURES],
        ];
  let current = fields;
  const corrected: string[] = [];
  for (const [field, codes] of numbers) {
    const value = current[field];
    const fails = (candidate: Record<string, string | null>) =>
      failures(candidate).some((item) => codes.has(item.code));
    if (!value || !fails(current)) continue;
    const at = fieldLines[field];
    const line = at === undefined ? undefined : ocr.lines[at];
    const passes = (candidate: string) => !fails({ ...current, [field]: candidate });
    const reading =
      onlyPassingReading(value, line, passes) ?? onlyPassingNumberReading(value, line, NUMBER_FORMATS[field], passes);
    if (reading === null) continue;
    current = { ...current, [field]: reading };
    corrected.push(field);
  }
  return { fields: current, corrected };
}

/**
 * The evaluation, plus the card type the image was read as: tools and tests look at it; the event
 * leaves it out (its schema is strict).
 */
export function evaluateDocument(input: EvaluationInput): Evaluation & { detectedType: DetectedType } {
  const { uploadedType, ocr, regions, today, duplicateIdentity } = input;
  assertToday(today);
  const texts = ocr.lines.map((line) => line.text);
  const detectedType = detectDocumentType(texts);
  // The card's content decides the parser; an unrecognised image is parsed as what was uploaded so a
  // reviewer still sees whatever could be read.
  const type: DocumentType = detectedType === 'UNKNOWN' ? uploadedType : detectedType;
  const options = { regions, today };
  const extraction: Extraction<Record<string, string | null>> =
    type === 'KTP' ? extractKtpDetailed(ocr.lines, options) : extractNpwpDetailed(texts, options);
  const { fields, corrected } =
    detectedType === 'UNKNOWN'
      ? { fields: extraction.fields, corrected: [] }
      : withMendedNumbers(type, extraction.fields, ocr, extraction.fieldLines, options);

  const reasons: Reason[] = corrected.map((field) => reason('NUMBER_READ_CORRECTED', `Field: ${field}.`));
  if (detectedType === 'UNKNOWN') reasons.push(reason('DOCUMENT_TYPE_UNKNOWN'));
  else {
    if (detectedType !== uploadedType) reasons.push(reason('DOCUMENT_TYPE_MISMATCH'));
    reasons.push(...(type === 'KTP' ? checkKtp(fields, options) : checkNpwp(fields, options)));
  }
  const confidence = meanConfidence(ocr, extraction.sourceLines);
  if (ocr.lines.length > 0 && confidence < MIN_FIELD_CONFIDENCE) reasons.push(reason('OCR_LOW_CONFIDENCE'));
  if (duplicateIdentity) reasons.push(reason('DUPLICATE_IDENTITY'));
  reasons.push(...checkImageQuality(ocr.quality, detectedType));

  // A check rejects only on what was read confidently (checks/evidence.ts).
  const final = ordered(weighEvidence(reasons, { ocr, fieldLines: extraction.fieldLines }));
  return {
    score: score({ share: fieldShare(type, fields), confidence, reasons: final }),
    reasons: final,
    fields: clipped(fields),
    policyVersion: POLICY_VERSION,
    detectedType,
  };
}
