/**
 * The Kemendagri region codes (province `31`, regency `31.71`, district `31.71.01`) and names, as an
 * in-memory index: lookups by the code parts of a NIK and by the province or regency name printed on
 * a card. Pure: the tables are passed in (adapters/regions/loadRegions.ts reads them from
 * `idn-area-data`), so tests can use a small hand-made table.
 */
import { compactOf, editDistance } from '../text/fuzzy.ts';

export type Region = { code: string; name: string };

export type RegionTables = {
  provinces: readonly Region[];
  regencies: readonly Region[];
  districts: readonly Region[];
};

/** A printed name resolved to a region; `printed` is the known spelling it matched, upper case. */
export type RegionMatch = { code: string; name: string; printed: string };

export type RegionIndex = {
  /** By code, dotted (`31`, `31.71`, `31.71.01`) or as the NIK writes it (`3171`, `317101`). */
  province(code: string): Region | undefined;
  regency(code: string): Region | undefined;
  district(code: string): Region | undefined;
  /** The province a printed name means (`DKI JAKARTA`, `JAWATENGAH`, `DI YOGYAKARTA`), if any. */
  findProvince(printed: string): RegionMatch | undefined;
  /** The regency a printed name means (`JAKARTA SELATAN`, `KOTA BANDUNG`), within a province if given. */
  findRegency(printed: string, provinceCode?: string): RegionMatch | undefined;
  /**
   * The district (kecamatan) whose letters are exactly those of `printed`, ignoring spaces and
   * punctuation; only to give back spaces the recogniser dropped, so no edit distance here.
   */
  findDistrict(printed: string, regencyCode?: string): RegionMatch | undefined;
};

/**
 * Names printed on cards that differ from the current official name: abbreviations (DKI, DI), the
 * name DKI Jakarta has had since UU 2/2024, and former names still on older cards.
 */
const PROVINCE_ALIASES: Readonly<Record<string, readonly string[]>> = {
  '11': ['NANGGROE ACEH DARUSSALAM'],
  '19': ['BANGKA BELITUNG'],
  '31': ['DKI JAKARTA', 'DAERAH KHUSUS JAKARTA', 'DK JAKARTA'],
  '34': ['DI YOGYAKARTA', 'YOGYAKARTA'],
  '92': ['IRIAN JAYA BARAT'],
};

/** Administrative words in front of a regency's own name, longest first. */
const REGENCY_PREFIXES = ['KABUPATEN ADMINISTRASI ', 'KOTA ADMINISTRASI ', 'KABUPATEN ', 'KOTA '];

/** `3171` → `31.71`, `317101` → `31.71.01`; dotted codes are returned unchanged. */
export function dottedCode(code: string): string {
  if (code.includes('.')) return code;
  return (code.match(/\d{1,2}/g) ?? []).join('.');
}

/** The name of a regency without `KABUPATEN`/`KOTA` (what the `kabupaten_kota` field holds). */
export function regencyCoreName(name: string): string {
  const upper = name.toUpperCase();
  const prefix = REGENCY_PREFIXES.find((candidate) => upper.startsWith(candidate));
  return prefix ? upper.slice(prefix.length) : upper;
}

// Longer names can absorb more OCR damage without coming close to another province.
const nameTolerance = (length: number) => (length <= 4 ? 0 : length <= 7 ? 1 : length <= 12 ? 2 : 3);

type Spelling = { compact: string; printed: string; region: Region; group: string };

/**
 * The spelling nearest to `printed`, or undefined when none is within tolerance or the two nearest
 * belong to different regions equally (a damaged `SULAWESI ?TARA` is not guessed).
 */
function nearest(printed: string, spellings: readonly Spelling[]): RegionMatch | undefined {
  const compact = compactOf(printed);
  if (compact.length === 0) return undefined;
  let best: { spelling: Spelling; distance: number } | undefined;
  let ambiguous = false;
  for (const spelling of spellings) {
    const distance = editDistance(spelling.compact, compact);
    if (distance > nameTolerance(spelling.compact.length)) continue;
    if (best === undefined || distance < best.distance) {
      best = { spelling, distance };
      ambiguous = false;
    } else if (distance === best.distance && spelling.group !== best.spelling.group) {
      ambiguous = true;
    }
  }
  if (best === undefined || ambiguous) return undefined;
  const { region, printed: spelled } = best.spelling;
  return { code: region.code, name: region.name, printed: spelled };
}

export function createRegionIndex(tables: RegionTables): RegionIndex {
  const byCode = (regions: readonly Region[]) => new Map(regions.map((region) => [region.code, region]));
  const provinces = byCode(tables.provinces);
  const regencies = byCode(tables.regencies);
  const districts = byCode(tables.districts);

  const provinceSpellings: Spelling[] = tables.provinces.flatMap((region) =>
    [region.name.toUpperCase(), ...(PROVINCE_ALIASES[region.code] ?? [])].map((printed) => ({
      compact: compactOf(printed),
      printed,
      region,
      group: region.code,
    })),
  );
  // Kabupaten Bandung and Kota Bandung share the core name BANDUNG; either gives the spelling, so
  // they are one group for the ambiguity test.
  const regencySpellings: Spelling[] = tables.regencies.map((region) => {
    const printed = regencyCoreName(region.name);
    return { compact: compactOf(printed), printed, region, group: printed };
  });

  const districtsByLetters = new Map<string, Region[]>();
  for (const region of tables.districts) {
    const key = compactOf(region.name);
    districtsByLetters.set(key, [...(districtsByLetters.get(key) ?? []), region]);
  }

  return {
    province: (code) => provinces.get(dottedCode(code)),
    regency: (code) => regencies.get(dottedCode(code)),
    district: (code) => districts.get(dottedCode(code)),
    findProvince(printed) {
      const name = printed.replace(/^\s*PRO[VP]INSI\s*/i, '');
      return nearest(name, provinceSpellings);
    },
    findRegency(printed, provinceCode) {
      const name = regencyCoreName(printed.trim());
      const within = provinceCode
        ? regencySpellings.filter((spelling) => spelling.region.code.startsWith(`${dottedCode(provinceCode)}.`))
        : regencySpellings;
      return nearest(name, within);
    },
    findDistrict(printed, regencyCode) {
      const prefix = regencyCode ? `${dottedCode(regencyCode)}.` : '';
      const found = (districtsByLetters.get(compactOf(printed)) ?? []).filter((region) =>
        region.code.startsWith(prefix),
      );
      const spellings = new Set(found.map((region) => region.name.toUpperCase()));
      const [region] = found;
      // Kecamatan names repeat across regencies; the spelling is safe to use only if all agree.
      return region && spellings.size === 1
        ? { code: region.code, name: region.name, printed: [...spellings][0] as string }
        : undefined;
    },
  };
}
