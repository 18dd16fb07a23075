/**
 * The NPWP number. Legacy form: 15 digits printed `NN.NNN.NNN.N-NNN.NNN` (taxpayer type and serial,
 * check digit, tax office, branch). Since PMK 112/2022: 16 digits, either a resident's NIK or the
 * legacy number with a leading `0` (shared/notes/kyc-domain.md §3.2).
 */

import { type Reason, reason } from '../reasons.ts';
import { luhnValid } from './luhn.ts';
import { checkNik } from './nik.ts';
import type { RegionIndex } from './regions.ts';

/** `012345678901000` → `01.234.567.8-901.000`; other lengths are returned as they are. */
export function formatNpwp(digits: string): string {
  const match = /^(\d{2})(\d{3})(\d{3})(\d)(\d{3})(\d{3})$/.exec(digits);
  return match ? `${match[1]}.${match[2]}.${match[3]}.${match[4]}-${match[5]}.${match[6]}` : digits;
}

/**
 * The problems of an NPWP number (dotted or plain): NPWP_FORMAT_INVALID when it is not 15 or 16
 * digits; for 15 digits, and 16 starting with 0, NPWP_CHECK_DIGIT_INVALID when Luhn over the serial
 * and check digit fails; for other 16-digit numbers the NIK rules, and when they fail
 * NPWP_CHECK_DIGIT_UNVERIFIABLE (review, not reject: a non-NIK 16-digit NPWP not starting with 0 is
 * not known to exist, but no official statement rules it out).
 */
export function checkNpwpNumber(npwp: string, regions: RegionIndex, today: string): Reason[] {
  const value = npwp.trim();
  if (!/^[\d.\-\s]+$/.test(value)) return [reason('NPWP_FORMAT_INVALID')];
  const digits = value.replace(/\D/g, '');
  if (digits.length === 15) return luhnValid(digits.slice(0, 9)) ? [] : [reason('NPWP_CHECK_DIGIT_INVALID')];
  if (digits.length === 16 && digits.startsWith('0')) {
    return luhnValid(digits.slice(1, 10)) ? [] : [reason('NPWP_CHECK_DIGIT_INVALID')];
  }
  if (digits.length === 16) {
    return checkNik(digits, regions, today).length === 0 ? [] : [reason('NPWP_CHECK_DIGIT_UNVERIFIABLE')];
  }
  return [reason('NPWP_FORMAT_INVALID')];
}
