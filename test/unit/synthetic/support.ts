import assert from 'node:assert/strict';
import { getDistricts, getProvinces, getRegencies, getVillages } from 'idn-area-data';

/**
 * Independent checks for the synthetic-card tests: reference data read straight from idn-area-data
 * (not through synthetic/regions.ts), and NIK/NPWP/age rules written out again, so the generator's
 * own helpers are never checking themselves.
 */

export const TODAY = '2026-11-25';

export type Reference = {
  provinces: Map<string, string>;
  regencies: Map<string, string>;
  districts: Map<string, string>;
  villages: Map<string, Set<string>>;
};

export async function loadReference(): Promise<Reference> {
  const [provinces, regencies, districts, villages] = await Promise.all([
    getProvinces(),
    getRegencies(),
    getDistricts(),
    getVillages(),
  ]);
  const ref: Reference = {
    provinces: new Map(provinces.map((p) => [p.code, p.name.toUpperCase()])),
    regencies: new Map(regencies.map((r) => [r.code, r.name.toUpperCase()])),
    districts: new Map(districts.map((d) => [d.code, d.name.toUpperCase()])),
    villages: new Map(),
  };
  for (const v of villages) {
    const set = ref.villages.get(v.district_code) ?? new Set();
    set.add(v.name.toUpperCase());
    ref.villages.set(v.district_code, set);
  }
  return ref;
}

export function luhnValid(digits: string): boolean {
  let sum = 0;
  [...digits].reverse().forEach((ch, i) => {
    const d = Number(ch) * (i % 2 === 1 ? 2 : 1);
    sum += d > 9 ? d - 9 : d;
  });
  return sum % 10 === 0;
}

export function ageOn(birth: string, today: string): number {
  const [by, bm, bd] = birth.split('-').map(Number) as [number, number, number];
  const [ty, tm, td] = today.split('-').map(Number) as [number, number, number];
  return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
}

export function isNormalised(value: string): boolean {
  return value === value.toUpperCase() && value === value.trim() && !/\s{2,}|[\t\n]/.test(value);
}

export type NikParts = { day: number; month: number; yy: number; sex: 'LAKI-LAKI' | 'PEREMPUAN' };

export function nikParts(nik: string): NikParts {
  assert.match(nik, /^\d{16}$/);
  const dd = Number(nik.slice(6, 8));
  return {
    day: dd > 40 ? dd - 40 : dd,
    month: Number(nik.slice(8, 10)),
    yy: Number(nik.slice(10, 12)),
    sex: dd > 40 ? 'PEREMPUAN' : 'LAKI-LAKI',
  };
}

/** Which level of the NIK's region is unknown to idn-area-data, or null when all three exist. */
export function unknownRegionLevel(nik: string, ref: Reference): 'province' | 'regency' | 'district' | null {
  const [pp, kk, cc] = [nik.slice(0, 2), nik.slice(2, 4), nik.slice(4, 6)];
  if (!ref.provinces.has(pp)) return 'province';
  if (!ref.regencies.has(`${pp}.${kk}`)) return 'regency';
  if (!ref.districts.has(`${pp}.${kk}.${cc}`)) return 'district';
  return null;
}

/** Asserts a valid NIK (16 digits, existing region, serial not 0000, a real day and month) and returns its parts. */
export function checkNik(nik: string, ref: Reference, at = ''): NikParts {
  assert.match(nik, /^\d{16}$/, at);
  assert.equal(unknownRegionLevel(nik, ref), null, `${at}: region of ${nik}`);
  assert.notEqual(nik.slice(12), '0000', at);
  const parts = nikParts(nik);
  assert.ok(parts.month >= 1 && parts.month <= 12 && parts.day >= 1 && parts.day <= 31, `${at}: date in ${nik}`);
  return parts;
}

/** The NIK's day, month and two-digit year equal the printed ISO date's, and the sex matches. */
export function nikMatchesPrinted(nik: string, birth: string, sex: string): { date: boolean; sex: boolean } {
  const parts = nikParts(nik);
  const [y, m, d] = birth.split('-').map(Number) as [number, number, number];
  // A foreign resident's card (KTP WNA) prints the sex in English.
  const printed = { MALE: 'LAKI-LAKI', FEMALE: 'PEREMPUAN' }[sex] ?? sex;
  return { date: parts.day === d && parts.month === m && parts.yy === y % 100, sex: parts.sex === printed };
}
