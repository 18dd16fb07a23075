/**
 * Checks across one applicant's KTP and NPWP card: that both name the same person. Two checks, each
 * with three outcomes and one catalogue reason (reasons.ts):
 *  - NIK: the NPWP card's NIK line, or its 16-digit number (since PMK 112/2022 a resident's NPWP is
 *    the NIK), equals the KTP's NIK;
 *  - name: the two names agree up to reading noise, abbreviations and titles (text/personName.ts).
 * `unsure` is for evidence too weak to decide on: a field missing or not read whole, read with low
 * confidence, or differing from the other card only as a misread would. It never becomes a
 * mismatch. Pure: the fields in, the reasons out; messages name no values (they are PII).
 */
import { type Reason, type ReasonCode, reason } from '../reasons.ts';
import { editDistance } from '../text/fuzzy.ts';
import { repairDigits } from '../text/normalise.ts';
import { compareNames, type NameAgreement } from '../text/personName.ts';
import { MIN_EVIDENCE_CONFIDENCE } from './evidence.ts';

/**
 * One card as the evaluation left it: its fields (null or absent when not read), and, when the
 * caller has them, how surely each was read, 0..1 (evidence.ts `fieldConfidence`).
 */
export type CardReading = {
  fields: Readonly<Record<string, string | null | undefined>>;
  confidence?: Readonly<Record<string, number | undefined>>;
};

export type CrossCheckInput = { ktp: CardReading; npwp: CardReading };

export type CrossCheckOptions = {
  /** Below this confidence a field is not evidence of a mismatch. Default MIN_EVIDENCE_CONFIDENCE. */
  minConfidence?: number;
};

export type CrossCheckOutcome = 'match' | 'mismatch' | 'unsure';

export type CrossCheckResult = {
  /** `mismatch` when either check is one, else `unsure` when either is, else `match`. */
  outcome: CrossCheckOutcome;
  nik: { outcome: CrossCheckOutcome; reason: Reason };
  name: { outcome: CrossCheckOutcome; reason: Reason; agreement?: NameAgreement };
  /** The two reasons, the most severe first. */
  reasons: Reason[];
};

/**
 * Without confidences, two 16-digit numbers this close may be one number misread (a digit changed,
 * or one lost and one gained under a watermark); further apart they are two numbers.
 */
export const NIK_MISREAD_DISTANCE = 2;

const CODES: Readonly<Record<'nik' | 'name', Readonly<Record<CrossCheckOutcome, ReasonCode>>>> = {
  nik: { match: 'CROSS_NIK_MATCH', mismatch: 'CROSS_NIK_MISMATCH', unsure: 'CROSS_NIK_UNVERIFIED' },
  name: { match: 'CROSS_NAME_MATCH', mismatch: 'CROSS_NAME_MISMATCH', unsure: 'CROSS_NAME_UNVERIFIED' },
};

const AGREEMENT_DETAIL: Readonly<Record<NameAgreement, string | undefined>> = {
  exact: undefined,
  close: 'They differ only as a misread or an older spelling would.',
  abbreviated: 'One abbreviates the other or leaves a name out.',
};

const present = (value: string | null | undefined): value is string =>
  value !== undefined && value !== null && value.trim() !== '';

/** The 16 digits of a NIK as read (look-alike letters repaired, separators dropped), or null. */
function nikDigits(value: string | null | undefined): string | null {
  if (!present(value)) return null;
  const digits = repairDigits(value).replace(/[\s.,-]/g, '');
  return /^\d{16}$/.test(digits) ? digits : null;
}

/** A confidence below `min` makes the field weak; an absent one is unknown. */
function confidenceOf(card: CardReading, field: string, min: number): 'sure' | 'weak' | 'unknown' {
  const value = card.confidence?.[field];
  if (value === undefined) return 'unknown';
  return value >= min ? 'sure' : 'weak';
}

/** A 15-digit NPWP converted to 16 digits gets this prefix (PMK 112/2022); no NIK starts with it. */
const CONVERTED_NPWP_PREFIX = '0';

type Candidate = { digits: string; field: 'nik' | 'npwp' };

/**
 * What on the NPWP card may hold the holder's NIK: its NIK line, and its number when that is 16
 * digits not starting with 0 (a converted 15-digit NPWP starts with 0 and is no NIK).
 */
function nikCandidates(npwp: CardReading): Candidate[] {
  const candidates: Candidate[] = [];
  const line = nikDigits(npwp.fields.nik);
  if (line !== null) candidates.push({ digits: line, field: 'nik' });
  const number = nikDigits(npwp.fields.npwp);
  if (number !== null && !number.startsWith(CONVERTED_NPWP_PREFIX)) candidates.push({ digits: number, field: 'npwp' });
  return candidates;
}

function checkNik(input: CrossCheckInput, min: number): CrossCheckOutcome {
  const ktpNik = nikDigits(input.ktp.fields.nik);
  const candidates = nikCandidates(input.npwp);
  if (ktpNik === null || candidates.length === 0) return 'unsure';
  // Sixteen digits read alike on two cards are never chance, however doubtful each read was.
  if (candidates.some((candidate) => candidate.digits === ktpNik)) return 'match';
  const ktpConfidence = confidenceOf(input.ktp, 'nik', min);
  const certain = candidates.some((candidate) => {
    const sides = [ktpConfidence, confidenceOf(input.npwp, candidate.field, min)];
    if (sides.includes('weak')) return false;
    if (sides.every((side) => side === 'sure')) return true;
    return editDistance(candidate.digits, ktpNik) > NIK_MISREAD_DISTANCE;
  });
  return certain ? 'mismatch' : 'unsure';
}

function checkName(input: CrossCheckInput, min: number): { outcome: CrossCheckOutcome; agreement?: NameAgreement } {
  const { nama: ktpName } = input.ktp.fields;
  const { nama: npwpName } = input.npwp.fields;
  if (!present(ktpName) || !present(npwpName)) return { outcome: 'unsure' };
  const comparison = compareNames(ktpName, npwpName);
  if (comparison.outcome === 'unreadable') return { outcome: 'unsure' };
  if (comparison.outcome === 'match') return { outcome: 'match', agreement: comparison.agreement };
  const weak = [confidenceOf(input.ktp, 'nama', min), confidenceOf(input.npwp, 'nama', min)].includes('weak');
  return { outcome: weak ? 'unsure' : 'mismatch' };
}

const SEVERITY_ORDER: Readonly<Record<Reason['severity'], number>> = { reject: 0, review: 1, info: 2 };

/**
 * The cross-document checks for one applicant's KTP and NPWP card: a reason for each check (a match
 * is recorded as an `info` reason, so an applicant's verdict can show that it was checked) and a
 * summary. Only the two cards' fields are needed; confidences sharpen the verdict when given.
 */
export function crossCheck(input: CrossCheckInput, options: CrossCheckOptions = {}): CrossCheckResult {
  const min = options.minConfidence ?? MIN_EVIDENCE_CONFIDENCE;
  const nikOutcome = checkNik(input, min);
  const name = checkName(input, min);
  const nik = { outcome: nikOutcome, reason: reason(CODES.nik[nikOutcome]) };
  const nameReason = reason(
    CODES.name[name.outcome],
    name.agreement === undefined ? undefined : AGREEMENT_DETAIL[name.agreement],
  );
  const outcomes = [nik.outcome, name.outcome];
  const outcome: CrossCheckOutcome = outcomes.includes('mismatch')
    ? 'mismatch'
    : outcomes.includes('unsure')
      ? 'unsure'
      : 'match';
  return {
    outcome,
    nik,
    name: { ...name, reason: nameReason },
    reasons: [nik.reason, nameReason].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]),
  };
}
