import { nationalityName } from '../domain/extraction/nationalities.ts';
import { luhnCheckDigit, luhnValid } from '../domain/identifiers/luhn.ts';
import { formatNpwp as formatNpwpNumber } from '../domain/identifiers/npwpNumber.ts';
import { addDays, addYears, ageOn, fromDayNumber, type IsoDate, pad2, parseIsoDate, toDayNumber } from './dates.ts';
import { type ForeignOrigin, generateForeignName, generatePersonName, generateStreetAddress } from './names.ts';
import type { Rng } from './random.ts';
import type { RegionData, RegionDistrict, RegionProvince, RegionRegency } from './regions.ts';

/**
 * Consistent synthetic identities: one person with a real region (province → regency → district
 * from idn-area-data), a birth date and sex that the NIK encodes, and the NPWP data for the same
 * person. Pure: everything comes from the `Rng` and the `RegionData` passed in.
 */

export type Sex = 'LAKI-LAKI' | 'PEREMPUAN';
export const LIFETIME = 'SEUMUR HIDUP';

export const AGAMA = ['ISLAM', 'KRISTEN', 'KATOLIK', 'HINDU', 'BUDDHA', 'KHONGHUCU'] as const;
export const STATUS_PERKAWINAN = ['BELUM KAWIN', 'KAWIN', 'CERAI HIDUP', 'CERAI MATI'] as const;
export const GOLONGAN_DARAH = ['A', 'B', 'AB', 'O', '-'] as const;
/** Occupations as Dukcapil prints them (a subset of its list). */
export const PEKERJAAN = [
  'BELUM/TIDAK BEKERJA',
  'MENGURUS RUMAH TANGGA',
  'PELAJAR/MAHASISWA',
  'PENSIUNAN',
  'PEGAWAI NEGERI SIPIL',
  'KARYAWAN SWASTA',
  'KARYAWAN BUMN',
  'WIRASWASTA',
  'PETANI/PEKEBUN',
  'NELAYAN/PERIKANAN',
  'PEDAGANG',
  'BURUH HARIAN LEPAS',
  'GURU',
  'DOSEN',
  'PERAWAT',
  'SOPIR',
  'TENTARA NASIONAL INDONESIA',
  'KEPOLISIAN RI',
  'PERANGKAT DESA',
] as const;

export type Npwp = {
  /** 15 digits, no punctuation. */
  digits: string;
  /** `NN.NNN.NNN.C-KKK.BBB`, as printed. */
  printed: string;
  /** Tax office (KPP) code, digits 10–12. */
  kpp: string;
  /** Branch code, digits 13–15 (`000` = head office / head of family). */
  branch: string;
  registeredOn: IsoDate;
  /** The office line printed on the card, e.g. `KPP PRATAMA BANDUNG`. */
  officeLine: string;
};

export type Identity = {
  province: RegionProvince;
  regency: RegionRegency;
  district: RegionDistrict;
  village: string;
  birthDate: IsoDate;
  sex: Sex;
  /** NIK serial, `0001`–`9999`. */
  serial: string;
  nik: string;
  nama: string;
  tempatLahir: string;
  alamat: string;
  /** `NNN/NNN`. */
  rtRw: string;
  agama: string;
  statusPerkawinan: string;
  pekerjaan: string;
  golonganDarah: string;
  /** `WNI`, or a foreign resident's nationality as printed (`JAPAN`, `KOREA SELATAN`). */
  kewarganegaraan: string;
  /** The sex as printed: `LAKI-LAKI`/`PEREMPUAN`, or `MALE`/`FEMALE` on a foreign resident's card. */
  printedSex: string;
  /** A date or `SEUMUR HIDUP`. */
  berlakuHingga: IsoDate | typeof LIFETIME;
  /** Issue place and date printed under the photo (not label fields). */
  issuedIn: string;
  issuedOn: IsoDate;
  npwp: Npwp;
};

export type IdentityOptions = {
  today: IsoDate;
  /** Age at `today`, inclusive; default 17–80. */
  minAge?: number;
  maxAge?: number;
  /** Share of cards valid until a date instead of `SEUMUR HIDUP`; default 0.1. */
  datedValidityRate?: number;
  /** A foreign resident (KTP WNA): English values, a nationality, valid until a date. */
  foreign?: boolean;
};

export function createIdentity(rng: Rng, regions: RegionData, options: IdentityOptions): Identity {
  const { today, minAge = 17, maxAge = 80, datedValidityRate = 0.1 } = options;
  const province = rng.pick(regions.cardProvinces);
  const regency = rng.pick(
    (regions.regenciesByProvince.get(province.code) ?? []).filter((r) => regions.cardDistrictsByRegency.has(r.code)),
  );
  const district = rng.pick(regions.cardDistrictsByRegency.get(regency.code) ?? []);
  const village = rng.pick(district.villages);

  const birthDate = randomBirthDate(rng, today, minAge, maxAge);
  const age = ageOn(birthDate, today);
  const sex: Sex = rng.chance(0.5) ? 'LAKI-LAKI' : 'PEREMPUAN';
  const serial = String(rng.int(1, 9999)).padStart(4, '0');

  const birthRegency =
    rng.chance(0.65) || regency.name.length > 20
      ? regency
      : rng.pick(regions.regencies.filter((r) => r.name.length <= 20 && /^[A-Z .-]+$/.test(r.name)));

  const { berlakuHingga, issuedOn } = validity(rng, birthDate, today, datedValidityRate);

  const citizen: Identity = {
    province,
    regency,
    district,
    village,
    birthDate,
    sex,
    serial,
    nik: buildNik(district.code, birthDate, sex, serial),
    nama: generatePersonName(rng, sex === 'LAKI-LAKI' ? 'male' : 'female'),
    tempatLahir: birthRegency.name,
    alamat: generateStreetAddress(rng),
    rtRw: `${String(rng.int(1, 15)).padStart(3, '0')}/${String(rng.int(1, 12)).padStart(3, '0')}`,
    agama: rng.weighted([
      ['ISLAM', 80],
      ['KRISTEN', 8],
      ['KATOLIK', 4],
      ['HINDU', 4],
      ['BUDDHA', 2],
      ['KHONGHUCU', 1],
    ]),
    statusPerkawinan: maritalStatus(rng, age),
    pekerjaan: occupation(rng, age, sex),
    golonganDarah: rng.weighted([
      ['-', 40],
      ['O', 20],
      ['A', 15],
      ['B', 15],
      ['AB', 10],
    ]),
    kewarganegaraan: 'WNI',
    printedSex: sex,
    berlakuHingga,
    issuedIn: regency.name,
    issuedOn,
    npwp: createNpwp(rng, birthDate, today, regency),
  };
  // A stream of its own: a foreign resident shares region, NIK and birth date with the citizen of
  // the same seed, so the other draws stay as they were.
  return options.foreign ? foreignResident(rng.fork('foreign'), citizen, today) : citizen;
}

/**
 * Where foreign residents of Indonesia come from (weights roughly after the larger groups of ITAP
 * holders), with birth places in each country.
 */
const ORIGINS: readonly { code: string; weight: number; origin: ForeignOrigin; cities: readonly string[] }[] = [
  { code: 'CN', weight: 22, origin: 'east-asian', cities: ['SHANGHAI', 'BEIJING', 'GUANGZHOU', 'XIAMEN', 'FUZHOU'] },
  { code: 'KR', weight: 12, origin: 'east-asian', cities: ['SEOUL', 'BUSAN', 'INCHEON', 'DAEGU'] },
  { code: 'JP', weight: 12, origin: 'japanese', cities: ['TOKYO', 'OSAKA', 'NAGOYA', 'YOKOHAMA'] },
  { code: 'TW', weight: 4, origin: 'east-asian', cities: ['TAIPEI', 'KAOHSIUNG', 'TAICHUNG'] },
  { code: 'IN', weight: 8, origin: 'south-asian', cities: ['MUMBAI', 'CHENNAI', 'NEW DELHI', 'KOLKATA'] },
  { code: 'AU', weight: 8, origin: 'western', cities: ['SYDNEY', 'MELBOURNE', 'PERTH', 'BRISBANE'] },
  { code: 'US', weight: 5, origin: 'western', cities: ['NEW YORK', 'CHICAGO', 'HOUSTON', 'SEATTLE'] },
  { code: 'GB', weight: 4, origin: 'western', cities: ['LONDON', 'MANCHESTER', 'LEEDS', 'BRISTOL'] },
  { code: 'NL', weight: 3, origin: 'western', cities: ['AMSTERDAM', 'ROTTERDAM', 'UTRECHT'] },
  { code: 'DE', weight: 3, origin: 'western', cities: ['BERLIN', 'HAMBURG', 'MUNICH'] },
  { code: 'FR', weight: 2, origin: 'western', cities: ['PARIS', 'LYON', 'MARSEILLE'] },
  { code: 'MY', weight: 6, origin: 'malay', cities: ['KUALA LUMPUR', 'PENANG', 'JOHOR BAHRU', 'IPOH'] },
  { code: 'SG', weight: 5, origin: 'malay', cities: ['SINGAPORE'] },
  { code: 'PH', weight: 3, origin: 'malay', cities: ['MANILA', 'CEBU', 'DAVAO'] },
];

export const FOREIGN_AGAMA = ['CHRISTIAN', 'CATHOLIC', 'ISLAM', 'BUDDHISM', 'HINDUISM', 'CONFUCIANISM'] as const;
export const FOREIGN_STATUS: Readonly<Record<string, readonly string[]>> = {
  'BELUM KAWIN': ['NOT MARRIED', 'SINGLE'],
  KAWIN: ['MARRIED'],
  'CERAI HIDUP': ['DIVORCED'],
  'CERAI MATI': ['WIDOWED'],
};
/** Occupations printed in English on some cards; others keep the Indonesian list. */
export const FOREIGN_PEKERJAAN = [
  'PRIVATE EMPLOYEE',
  'ENTREPRENEUR',
  'TEACHER',
  'LECTURER',
  'CONSULTANT',
  'ENGINEER',
  'MANAGER',
  'DIRECTOR',
  'HOUSEWIFE',
  'STUDENT',
  'RETIRED',
] as const;

function foreignOccupation(rng: Rng, citizenOccupation: string): string {
  if (citizenOccupation === 'PELAJAR/MAHASISWA') return 'STUDENT';
  if (citizenOccupation === 'PENSIUNAN') return 'RETIRED';
  if (citizenOccupation === 'MENGURUS RUMAH TANGGA') return 'HOUSEWIFE';
  return rng.chance(0.6)
    ? rng.pick(FOREIGN_PEKERJAAN.filter((job) => !['STUDENT', 'RETIRED', 'HOUSEWIFE'].includes(job)))
    : citizenOccupation;
}

/** How long a permanent stay permit (ITAP), and so a KTP WNA, runs. */
const PERMIT_YEARS = 5;

/** The citizen of the same seed as a foreign resident: English values, a nationality, a permit's expiry. */
function foreignResident(rng: Rng, citizen: Identity, today: IsoDate): Identity {
  const from = rng.weighted(ORIGINS.map((origin) => [origin, origin.weight] as const));
  const english = rng.chance(0.65);
  const until = addDays(today, rng.int(60, 1800));
  const adult = toDayNumber(addYears(citizen.birthDate, 17));
  const last = toDayNumber(addDays(today, -14));
  const first = Math.min(last, Math.max(adult, toDayNumber(addYears(until, -PERMIT_YEARS))));
  return {
    ...citizen,
    nama: generateForeignName(rng, citizen.sex === 'LAKI-LAKI' ? 'male' : 'female', from.origin),
    tempatLahir: rng.pick(from.cities),
    printedSex: citizen.sex === 'LAKI-LAKI' ? 'MALE' : 'FEMALE',
    agama: rng.weighted([
      ['CHRISTIAN', 30],
      ['CATHOLIC', 12],
      ['ISLAM', 15],
      ['BUDDHISM', 25],
      ['HINDUISM', 8],
      ['CONFUCIANISM', 10],
    ]),
    statusPerkawinan: rng.pick(FOREIGN_STATUS[citizen.statusPerkawinan] ?? ['MARRIED']),
    pekerjaan: foreignOccupation(rng, citizen.pekerjaan),
    kewarganegaraan: nationalityName(from.code, english ? 'en' : 'id'),
    berlakuHingga: until,
    issuedOn: fromDayNumber(rng.int(first, last)),
  };
}

/** A birth date with the holder `minAge`–`maxAge` years old (inclusive) at `today`. */
export function randomBirthDate(rng: Rng, today: IsoDate, minAge: number, maxAge: number): IsoDate {
  const earliest = toDayNumber(addYears(today, -(maxAge + 1))) + 1;
  const latest = toDayNumber(addYears(today, -minAge));
  return fromDayNumber(rng.int(earliest, latest));
}

/**
 * `PP KK CC DDMMYY SSSS`: the district's six digits, the birth date with 40 added to the day for
 * women, and the serial.
 */
export function buildNik(districtCode: string, birthDate: IsoDate, sex: Sex, serial: string): string {
  if (!/^\d{6}$/.test(districtCode) || !/^\d{4}$/.test(serial)) {
    throw new Error(`NIK needs a 6-digit district code and a 4-digit serial, got ${districtCode} / ${serial}`);
  }
  const { year, month, day } = parseIsoDate(birthDate);
  const dd = sex === 'PEREMPUAN' ? day + 40 : day;
  return `${districtCode}${pad2(dd)}${pad2(month)}${pad2(year % 100)}${serial}`;
}

/** Luhn check digit for the 8 NPWP payload digits (digits 2, 4, 6, 8 of the nine are doubled). */
export function npwpCheckDigit(payload8: string): string {
  if (!/^\d{8}$/.test(payload8)) throw new Error('the NPWP payload is 8 digits');
  return luhnCheckDigit(payload8);
}

/** Whether the first 9 digits of a 15-digit NPWP pass Luhn. */
export function isNpwpLuhnValid(npwp: string): boolean {
  const digits = npwp.replace(/\D/g, '');
  return digits.length === 15 && luhnValid(digits.slice(0, 9));
}

/** `012345678901000` → `01.234.567.8-901.000`. */
export function formatNpwp(digits: string): string {
  if (!/^\d{15}$/.test(digits)) throw new Error('a legacy NPWP has 15 digits');
  return formatNpwpNumber(digits);
}

function createNpwp(rng: Rng, birthDate: IsoDate, today: IsoDate, regency: RegionRegency): Npwp {
  // First digit: taxpayer kind for individuals (4/6 entrepreneur, 5 civil servant, 7–9 employee).
  const payload = `${rng.pick(['4', '5', '6', '7', '8', '9'])}${rng.int(0, 9)}${String(rng.int(1, 999_999)).padStart(6, '0')}`;
  const kpp = String(rng.int(1, 999)).padStart(3, '0');
  const branch = rng.chance(0.9) ? '000' : String(rng.int(1, 9)).padStart(3, '0');
  const digits = `${payload}${npwpCheckDigit(payload)}${kpp}${branch}`;
  const last = toDayNumber(addDays(today, -7));
  const first = Math.min(last, Math.max(toDayNumber(addYears(birthDate, 18)), toDayNumber(addYears(today, -20))));
  return {
    digits,
    printed: formatNpwp(digits),
    kpp,
    branch,
    registeredOn: fromDayNumber(rng.int(first, last)),
    officeLine: `KPP PRATAMA ${regency.name}`,
  };
}

function validity(
  rng: Rng,
  birthDate: IsoDate,
  today: IsoDate,
  datedValidityRate: number,
): { berlakuHingga: IsoDate | typeof LIFETIME; issuedOn: IsoDate } {
  const last = toDayNumber(addDays(today, -14));
  const adult = toDayNumber(addYears(birthDate, 17));
  if (rng.chance(datedValidityRate)) {
    // Cards issued before 2016 were valid for five years.
    const until = addDays(today, rng.int(30, 1800));
    const issuedOn = addYears(until, -5);
    if (toDayNumber(issuedOn) >= adult && toDayNumber(issuedOn) <= last) return { berlakuHingga: until, issuedOn };
  }
  const first = Math.min(last, Math.max(adult, toDayNumber(addYears(today, -10))));
  return { berlakuHingga: LIFETIME, issuedOn: fromDayNumber(rng.int(first, last)) };
}

function maritalStatus(rng: Rng, age: number): string {
  if (age < 20) return rng.chance(0.95) ? 'BELUM KAWIN' : 'KAWIN';
  if (age < 30) {
    return rng.weighted([
      ['BELUM KAWIN', 50],
      ['KAWIN', 47],
      ['CERAI HIDUP', 3],
    ]);
  }
  if (age < 60) {
    return rng.weighted([
      ['KAWIN', 80],
      ['BELUM KAWIN', 10],
      ['CERAI HIDUP', 6],
      ['CERAI MATI', 4],
    ]);
  }
  return rng.weighted([
    ['KAWIN', 65],
    ['CERAI MATI', 25],
    ['CERAI HIDUP', 5],
    ['BELUM KAWIN', 5],
  ]);
}

function occupation(rng: Rng, age: number, sex: Sex): string {
  if (age < 23 && rng.chance(0.7)) return 'PELAJAR/MAHASISWA';
  if (age >= 58 && rng.chance(0.35)) return 'PENSIUNAN';
  if (sex === 'PEREMPUAN' && rng.chance(0.2)) return 'MENGURUS RUMAH TANGGA';
  return rng.pick(PEKERJAAN.filter((p) => p !== 'PELAJAR/MAHASISWA' && p !== 'PENSIUNAN'));
}
