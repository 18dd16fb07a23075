/**
 * The evaluation score, 0..1: how completely and confidently the card was read, lowered by what the
 * checks found. Routing is decided by the reasons' severities first (machines/document.machine.ts);
 * the caps below only keep the number consistent with that routing, so a reader of the score alone is
 * not misled: a hard failure scores under REJECT_CAP, doubt never reaches approval.
 */

import { isRealDate } from '../dates.ts';
import type { DocumentType } from '../documentType.ts';
import { ENUMS, GOLONGAN_DARAH, isLifetime } from '../extraction/enums.ts';
import type { Reason } from '../reasons.ts';
import { REQUIRED_KTP_FIELDS, REQUIRED_NPWP_FIELDS } from './checks.ts';

/** A required field counts three times an informative one (alamat, pekerjaan…) in the read share. */
export const REQUIRED_FIELD_WEIGHT = 3;
/** Share of the base score from the fields read validly; the rest is the OCR confidence. */
export const FIELD_SHARE_WEIGHT = 0.6;
/** Each `info` reason (e.g. NIK registered in another province) costs this much. */
export const INFO_PENALTY = 0.05;
/** Each `review` reason costs this much, and the score stays under the default approve threshold (0.85). */
export const REVIEW_PENALTY = 0.1;
export const REVIEW_CAP = 0.8;
/** With a `reject` reason the score stays at or under this, far from any score that approves. */
export const REJECT_CAP = 0.2;

const isIn = (values: readonly string[]) => (value: string) => values.includes(value);

/** What a validly read value looks like, per field; other fields are valid when not empty. */
const VALID: Readonly<Record<string, (value: string) => boolean>> = {
  nik: (value) => /^\d{16}$/.test(value),
  npwp: (value) => /^(\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}|\d{16})$/.test(value),
  tanggal_lahir: isRealDate,
  tanggal_terdaftar: isRealDate,
  jenis_kelamin: isIn(ENUMS.jenis_kelamin),
  agama: isIn(ENUMS.agama),
  status_perkawinan: isIn(ENUMS.status_perkawinan),
  kewarganegaraan: isIn(ENUMS.kewarganegaraan),
  golongan_darah: isIn(GOLONGAN_DARAH),
  rt_rw: (value) => /^\d{3}\/\d{3}$/.test(value),
  berlaku_hingga: (value) => isLifetime(value) || isRealDate(value),
};

/**
 * Fields that do not count in the read share: the place and date of issue under a KTP's photo say
 * nothing about who holds the card, and are small and often faded; missing them must not keep a
 * well-read card from approval, and reading them must not lift a poorly read one.
 */
export const UNSCORED_FIELDS: ReadonlySet<string> = new Set(['tempat_terbit', 'tanggal_terbit']);

/** Weighted share (0..1) of the document's fields that hold a valid value. */
export function fieldShare(type: DocumentType, fields: Readonly<Record<string, string | null>>): number {
  const required: readonly string[] = type === 'KTP' ? REQUIRED_KTP_FIELDS : REQUIRED_NPWP_FIELDS;
  let total = 0;
  let valid = 0;
  for (const [field, value] of Object.entries(fields)) {
    if (UNSCORED_FIELDS.has(field)) continue;
    const weight = required.includes(field) ? REQUIRED_FIELD_WEIGHT : 1;
    total += weight;
    if (value !== null && value.trim() !== '' && (VALID[field]?.(value) ?? true)) valid += weight;
  }
  return total === 0 ? 0 : valid / total;
}

/** The score from the read share and OCR confidence (both 0..1) and the reasons, rounded to 3 places. */
export function score(input: { share: number; confidence: number; reasons: readonly Reason[] }): number {
  const { share, confidence, reasons } = input;
  let value = FIELD_SHARE_WEIGHT * share + (1 - FIELD_SHARE_WEIGHT) * confidence;
  const count = (severity: Reason['severity']) => reasons.filter((reason) => reason.severity === severity).length;
  value -= INFO_PENALTY * count('info') + REVIEW_PENALTY * count('review');
  if (count('review') > 0) value = Math.min(value, REVIEW_CAP);
  if (count('reject') > 0) value = Math.min(value, REJECT_CAP);
  return Math.round(Math.min(1, Math.max(0, value)) * 1000) / 1000;
}
