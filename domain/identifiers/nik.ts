/**
 * The NIK (Nomor Induk Kependudukan), 16 digits `PP RR DD DDMMYY SSSS`: province, regency and
 * district (kecamatan) of first registration, birth date with 40 added to the day for women, and a
 * serial from 0001. There is no check digit (shared/notes/kyc-domain.md §3.1), so structure, date and
 * region are all that can be verified.
 */
import { assertToday, isoDate, isRealDate } from '../dates.ts';
import { type Reason, reason } from '../reasons.ts';
import type { RegionIndex } from './regions.ts';

export type Sex = 'LAKI-LAKI' | 'PEREMPUAN';

export type NikParts = {
  /** Dotted region codes as idn-area-data writes them: `31`, `31.71`, `31.71.01`. */
  provinceCode: string;
  regencyCode: string;
  districtCode: string;
  /** The two digits as printed: 1–31 for men, 41–71 for women. */
  encodedDay: number;
  /** Day of birth (encodedDay, minus 40 for women). */
  day: number;
  month: number;
  /** The two-digit year. */
  yy: number;
  /** Null when the encoded day is neither 01–31 nor 41–71. */
  sex: Sex | null;
  /** ISO birth date, or null when day/month do not make a real date. */
  birthDate: string | null;
  serial: string;
};

/** Women's day of birth is written with 40 added (41–71). */
const FEMALE_DAY_OFFSET = 40;

/**
 * The century of a two-digit birth year: 20YY when YY ≤ today's YY, else 19YY (bachors/nik_parse.js).
 * When 20YY would put the birth date after today (YY = this year, a later month), it is 19YY.
 */
function birthYear(yy: number, month: number, day: number, today: string): number {
  const todayYear = Number(today.slice(0, 4));
  const year = yy <= todayYear % 100 ? 2000 + yy : 1900 + yy;
  return isoDate(year, month, day) > today ? year - 100 : year;
}

/** The parts of a 16-digit NIK, or null when `nik` is not 16 digits. `today` is ISO `YYYY-MM-DD`. */
export function parseNik(nik: string, today: string): NikParts | null {
  assertToday(today);
  if (!/^\d{16}$/.test(nik)) return null;
  const number = (from: number) => Number(nik.slice(from, from + 2));
  const encodedDay = number(6);
  const female = encodedDay > FEMALE_DAY_OFFSET;
  const day = female ? encodedDay - FEMALE_DAY_OFFSET : encodedDay;
  const month = number(8);
  const yy = number(10);
  const validDay = day >= 1 && day <= 31;
  const sex: Sex | null = validDay ? (female ? 'PEREMPUAN' : 'LAKI-LAKI') : null;
  const candidate = isoDate(birthYear(yy, month, day, today), month, day);
  return {
    provinceCode: nik.slice(0, 2),
    regencyCode: `${nik.slice(0, 2)}.${nik.slice(2, 4)}`,
    districtCode: `${nik.slice(0, 2)}.${nik.slice(2, 4)}.${nik.slice(4, 6)}`,
    encodedDay,
    day,
    month,
    yy,
    sex,
    birthDate: validDay && isRealDate(candidate) ? candidate : null,
    serial: nik.slice(12),
  };
}

/** The first region level of the NIK that does not exist, or null when all three do. */
function unknownRegionLevel(parts: NikParts, regions: RegionIndex): 'province' | 'regency' | 'district' | null {
  if (!regions.province(parts.provinceCode)) return 'province';
  if (!regions.regency(parts.regencyCode)) return 'regency';
  if (!regions.district(parts.districtCode)) return 'district';
  return null;
}

/**
 * The structural problems of a NIK: NIK_FORMAT_INVALID (not 16 digits, and then nothing else is
 * checked), NIK_REGION_UNKNOWN, NIK_DATE_INVALID, NIK_SERIAL_INVALID. Empty when it is well formed.
 */
export function checkNik(nik: string, regions: RegionIndex, today: string): Reason[] {
  const parts = parseNik(nik, today);
  if (parts === null) return [reason('NIK_FORMAT_INVALID')];
  const reasons: Reason[] = [];
  const level = unknownRegionLevel(parts, regions);
  if (level !== null) reasons.push(reason('NIK_REGION_UNKNOWN', `Unknown level: ${level}.`));
  if (parts.birthDate === null) reasons.push(reason('NIK_DATE_INVALID'));
  if (parts.serial === '0000') reasons.push(reason('NIK_SERIAL_INVALID'));
  return reasons;
}
