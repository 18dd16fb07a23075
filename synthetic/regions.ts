import { getDistricts, getProvinces, getRegencies, getVillages } from 'idn-area-data';

/**
 * Kemendagri region codes and names from idn-area-data (the same data the NIK region check uses),
 * reshaped for the generator: codes without dots (the NIK digits), names upper case as printed.
 * `loadRegionData` is the only I/O (it reads the package's CSV files once per process);
 * `buildRegionData` is pure.
 */

export type RegencyKind = 'KABUPATEN' | 'KOTA';

export type RegionProvince = {
  /** Two digits, e.g. `32`. */
  code: string;
  /** As printed after `PROVINSI`, e.g. `JAWA BARAT` (`DKI JAKARTA` for 31, see PRINTED_PROVINCE_NAMES). */
  name: string;
};

export type RegionRegency = {
  /** Four digits, e.g. `3273`. */
  code: string;
  provinceCode: string;
  kind: RegencyKind;
  /** Without the `Kabupaten`/`Kota` (and `Administrasi`) prefix, e.g. `BANDUNG`. */
  name: string;
};

export type RegionDistrict = {
  /** Six digits, e.g. `327301`. */
  code: string;
  regencyCode: string;
  name: string;
  /** Village (kelurahan/desa) names of this district that print cleanly (see `isPrintable`). */
  villages: readonly string[];
};

export type RegionData = {
  provinces: readonly RegionProvince[];
  regencies: readonly RegionRegency[];
  /** Every district, including those whose names are not used on cards. */
  districts: readonly RegionDistrict[];
  regenciesByProvince: ReadonlyMap<string, readonly RegionRegency[]>;
  /** Districts usable on a card (printable name and at least one printable village), by regency. */
  cardDistrictsByRegency: ReadonlyMap<string, readonly RegionDistrict[]>;
  /** Provinces with at least one regency that has a usable district. */
  cardProvinces: readonly RegionProvince[];
  provinceCodes: ReadonlySet<string>;
  regencyCodes: ReadonlySet<string>;
  districtCodes: ReadonlySet<string>;
  provinceByCode: ReadonlyMap<string, RegionProvince>;
  regencyByCode: ReadonlyMap<string, RegionRegency>;
};

export type RawRegionRows = {
  provinces: readonly { code: string; name: string }[];
  regencies: readonly { code: string; province_code: string; name: string }[];
  districts: readonly { code: string; regency_code: string; name: string }[];
  villages: readonly { code: string; district_code: string; name: string }[];
};

/**
 * Province names that cards print differently from the Kepmendagri name: Jakarta's cards say
 * `PROVINSI DKI JAKARTA`, not `DAERAH KHUSUS IBUKOTA JAKARTA` (the specimen label agrees).
 */
export const PRINTED_PROVINCE_NAMES: Readonly<Record<string, string>> = { '31': 'DKI JAKARTA' };

/** Longest kecamatan or kel/desa name used on a card, so the value fits left of the photo. */
const MAX_PLACE_NAME = 22;

export function normaliseName(name: string): string {
  return name.toUpperCase().replace(/\s+/g, ' ').trim();
}

/** Letters, spaces, dots and hyphens only: names like `MA'U` or `TIRO/TRUSEB` are left out. */
export function isPrintable(name: string): boolean {
  return /^[A-Z][A-Z .-]*[A-Z.]$/.test(name);
}

export function buildRegionData(rows: RawRegionRows): RegionData {
  const provinces = rows.provinces.map((p) => ({
    code: p.code,
    name: PRINTED_PROVINCE_NAMES[p.code] ?? normaliseName(p.name),
  }));
  const regencies = rows.regencies.map((r): RegionRegency => {
    const raw = normaliseName(r.name);
    const m = /^(KABUPATEN|KOTA)( ADMINISTRASI)? (.+)$/.exec(raw);
    if (!m) throw new Error(`regency ${r.code} has no Kabupaten/Kota prefix: ${r.name}`);
    return {
      code: r.code.replace('.', ''),
      provinceCode: r.province_code,
      kind: m[1] as RegencyKind,
      name: m[3] as string,
    };
  });

  const villagesByDistrict = new Map<string, string[]>();
  for (const v of rows.villages) {
    const name = normaliseName(v.name);
    if (!isPrintable(name) || name.length > MAX_PLACE_NAME) continue;
    const key = v.district_code.replaceAll('.', '');
    const list = villagesByDistrict.get(key);
    if (list) list.push(name);
    else villagesByDistrict.set(key, [name]);
  }

  const districts = rows.districts.map(
    (d): RegionDistrict => ({
      code: d.code.replaceAll('.', ''),
      regencyCode: d.regency_code.replace('.', ''),
      name: normaliseName(d.name),
      villages: villagesByDistrict.get(d.code.replaceAll('.', '')) ?? [],
    }),
  );

  const regenciesByProvince = groupBy(regencies, (r) => r.provinceCode);
  const cardDistrictsByRegency = groupBy(
    districts.filter((d) => isPrintable(d.name) && d.name.length <= MAX_PLACE_NAME && d.villages.length > 0),
    (d) => d.regencyCode,
  );
  const cardProvinces = provinces.filter((p) =>
    (regenciesByProvince.get(p.code) ?? []).some((r) => cardDistrictsByRegency.has(r.code)),
  );

  return {
    provinces,
    regencies,
    districts,
    regenciesByProvince,
    cardDistrictsByRegency,
    cardProvinces,
    provinceCodes: new Set(provinces.map((p) => p.code)),
    regencyCodes: new Set(regencies.map((r) => r.code)),
    districtCodes: new Set(districts.map((d) => d.code)),
    provinceByCode: new Map(provinces.map((p) => [p.code, p])),
    regencyByCode: new Map(regencies.map((r) => [r.code, r])),
  };
}

let cached: Promise<RegionData> | undefined;

/** Reads idn-area-data once per process (about 0.3 s, mostly the 83k villages). */
export function loadRegionData(): Promise<RegionData> {
  cached ??= Promise.all([getProvinces(), getRegencies(), getDistricts(), getVillages()]).then(
    ([provinces, regencies, districts, villages]) => buildRegionData({ provinces, regencies, districts, villages }),
    (error: unknown) => {
      cached = undefined;
      throw error;
    },
  );
  return cached;
}

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = out.get(k);
    if (list) list.push(item);
    else out.set(k, [item]);
  }
  return out;
}
