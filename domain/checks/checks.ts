/**
 * The checks on extracted fields, each producing catalogue reasons (reasons.ts). Fields are taken as
 * the extractors or the eval labels write them (upper case, ISO dates); a field that is absent or
 * null was not read. Messages name fields, never their values (they are PII).
 */
import { ageOn, assertToday, isRealDate } from '../dates.ts';
import {
  ENUMS,
  type EnumField,
  GOLONGAN_DARAH,
  isForeignNationality,
  isLifetime,
  meaningOf,
} from '../extraction/enums.ts';
import type { KtpField } from '../extraction/ktp.ts';
import type { NpwpField } from '../extraction/npwp.ts';
import { checkNik, type NikParts, parseNik } from '../identifiers/nik.ts';
import { checkNpwpNumber } from '../identifiers/npwpNumber.ts';
import type { RegionIndex } from '../identifiers/regions.ts';
import { type Reason, reason } from '../reasons.ts';
import { upperText } from '../text/normalise.ts';

export { checkImageQuality } from './imageQuality.ts';

export type CheckContext = { regions: RegionIndex; today: string };

/**
 * Fields without which a KTP cannot be verified. Beyond identity, sex and birth date (the NIK
 * cross-checks), the province: every KTP prints it, and without it the card is cropped at the top and
 * the NIK region cannot be compared with it.
 */
export const REQUIRED_KTP_FIELDS: readonly KtpField[] = ['nik', 'nama', 'tanggal_lahir', 'jenis_kelamin', 'provinsi'];
/**
 * Fields without which an NPWP card cannot be verified. The registration date is printed on every
 * card; when it is missing the card is cut off.
 */
export const REQUIRED_NPWP_FIELDS: readonly NpwpField[] = ['npwp', 'nama', 'tanggal_terdaftar'];

/** A KTP is issued from the 17th birthday (UU 24/2013 art. 63). */
export const MINIMUM_AGE = 17;

type Fields<F extends string> = Readonly<Partial<Record<F, string | null>>>;

const fieldDetail = (field: string) => `Field: ${field}.`;

function read<F extends string>(fields: Fields<F>, field: F): string | null {
  const value = fields[field];
  return value === undefined || value === null || value.trim() === '' ? null : upperText(value);
}

function missing<F extends string>(fields: Fields<F>, required: readonly F[]): Reason[] {
  return required
    .filter((field) => read(fields, field) === null)
    .map((field) => reason('FIELD_MISSING', fieldDetail(field)));
}

/** FIELD_VALUE_UNKNOWN for each enumeration holding a value outside its list. */
function enumerations(fields: Fields<KtpField>): Reason[] {
  const lists: [KtpField, readonly string[]][] = [
    ...(Object.keys(ENUMS) as EnumField[]).map((field): [KtpField, readonly string[]] => [field, ENUMS[field]]),
    ['golongan_darah', GOLONGAN_DARAH],
  ];
  return lists
    .filter(([field, values]) => {
      const value = read(fields, field);
      return value !== null && !values.includes(value);
    })
    .map(([field]) => reason('FIELD_VALUE_UNKNOWN', fieldDetail(field)));
}

/** The NIK against what the card prints: birth date, sex, province. */
function nikAgainstCard(nik: NikParts, fields: Fields<KtpField>, regions: RegionIndex): Reason[] {
  const reasons: Reason[] = [];
  const birth = read(fields, 'tanggal_lahir');
  if (birth !== null && isRealDate(birth)) {
    // Compared digit group by digit group, so a NIK whose own date is impossible (month 78) is
    // still reported as disagreeing with the card.
    const [year, month, day] = birth.split('-').map(Number) as [number, number, number];
    if (nik.day !== day || nik.month !== month || nik.yy !== year % 100) reasons.push(reason('NIK_BIRTHDATE_MISMATCH'));
  }
  const sex = read(fields, 'jenis_kelamin');
  // A KTP WNA prints MALE/FEMALE; its NIK encodes sex as any other.
  if (
    nik.sex !== null &&
    sex !== null &&
    ENUMS.jenis_kelamin.includes(sex) &&
    meaningOf('jenis_kelamin', sex) !== nik.sex
  ) {
    reasons.push(reason('NIK_SEX_MISMATCH'));
  }
  const province = read(fields, 'provinsi');
  if (province !== null && regions.findProvince(province)?.code !== nik.provinceCode) {
    reasons.push(reason('NIK_PROVINCE_MISMATCH'));
  }
  return reasons;
}

/** BIRTHDATE_INVALID or UNDERAGE from the printed birth date, or the NIK's when none is printed. */
function age(fields: Fields<KtpField>, nik: NikParts | null, today: string): Reason[] {
  const printed = read(fields, 'tanggal_lahir');
  if (printed !== null && (!isRealDate(printed) || printed > today)) return [reason('BIRTHDATE_INVALID')];
  const birth = printed ?? nik?.birthDate ?? null;
  return birth !== null && ageOn(birth, today) < MINIMUM_AGE ? [reason('UNDERAGE')] : [];
}

/**
 * DOCUMENT_EXPIRED when the validity date has passed; `SEUMUR HIDUP` (any spelling) never expires;
 * FIELD_MISSING when it could not be read.
 * A foreign resident's card (a nationality under Kewarganegaraan) is valid until the residence
 * permit (ITAP) ends: it prints a date, so `SEUMUR HIDUP` on it is a value outside its list, and its
 * date is a real expiry.
 */
function validity(fields: Fields<KtpField>, today: string): Reason[] {
  const value = read(fields, 'berlaku_hingga');
  // Not among the required fields, whose weight in the score it would take, but a validity nobody
  // could read may hide an expired card: a person looks.
  if (value === null) return [reason('FIELD_MISSING', fieldDetail('berlaku_hingga'))];
  const nationality = read(fields, 'kewarganegaraan');
  const foreign = nationality !== null && isForeignNationality(nationality);
  if (isLifetime(value)) {
    return foreign ? [reason('FIELD_VALUE_UNKNOWN', `${fieldDetail('berlaku_hingga')} ${FOREIGN_VALIDITY}`)] : [];
  }
  if (!isRealDate(value)) return [reason('FIELD_VALUE_UNKNOWN', fieldDetail('berlaku_hingga'))];
  if (value >= today) return [];
  return [foreign ? reason('DOCUMENT_EXPIRED', FOREIGN_VALIDITY) : reason('DOCUMENT_EXPIRED')];
}

const FOREIGN_VALIDITY = "A foreign resident's KTP (WNA) is valid until its residence permit ends.";

export function checkKtp(fields: Fields<KtpField>, context: CheckContext): Reason[] {
  const { regions, today } = context;
  assertToday(today);
  const reasons = missing(fields, REQUIRED_KTP_FIELDS);
  const nik = read(fields, 'nik');
  const parts = nik === null ? null : parseNik(nik, today);
  if (nik !== null) reasons.push(...checkNik(nik, regions, today));
  if (parts !== null) reasons.push(...nikAgainstCard(parts, fields, regions));
  const province = read(fields, 'provinsi');
  if (province !== null && regions.findProvince(province) === undefined) reasons.push(reason('PROVINCE_UNKNOWN'));
  reasons.push(...age(fields, parts, today), ...validity(fields, today), ...enumerations(fields));
  const rtRw = read(fields, 'rt_rw');
  if (rtRw !== null && !/^\d{3}\/\d{3}$/.test(rtRw)) reasons.push(reason('FIELD_VALUE_UNKNOWN', fieldDetail('rt_rw')));
  return reasons;
}

export function checkNpwp(fields: Fields<NpwpField>, context: CheckContext): Reason[] {
  const { regions, today } = context;
  assertToday(today);
  const reasons = missing(fields, REQUIRED_NPWP_FIELDS);
  const npwp = read(fields, 'npwp');
  if (npwp !== null) reasons.push(...checkNpwpNumber(npwp, regions, today));
  const nik = read(fields, 'nik');
  if (nik !== null) reasons.push(...checkNik(nik, regions, today));
  const registered = read(fields, 'tanggal_terdaftar');
  if (registered !== null && (!isRealDate(registered) || registered > today)) {
    reasons.push(reason('REGISTRATION_DATE_INVALID'));
  }
  return reasons;
}
