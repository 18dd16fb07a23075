/**
 * A NIK decoded for a reviewer: its region codes with their names, the birth date and sex it
 * encodes, each beside what the card prints and whether the two agree. Pure: the region index and
 * today's date are passed in.
 *
 * The regions a NIK names are those of the person's first registration, while a KTP prints where
 * they live now: a province, regency or district that differs is a fact to look at (a move explains
 * it), not a fault. Birth date and sex never change, so a difference there is a misread or a forgery.
 */
import { ENUMS, meaningOf } from '../extraction/enums.ts';
import { parseNik, type Sex } from './nik.ts';
import type { RegionIndex, RegionMatch } from './regions.ts';

/** One item of the NIK beside the card: `agrees` is null when the card prints none, or none we can resolve. */
export type NikRegionItem = { code: string; name: string | null; printed: string | null; agrees: boolean | null };
export type NikItem<Value> = { fromNik: Value | null; printed: string | null; agrees: boolean | null };

export type DecodedNik = {
  province: NikRegionItem;
  regency: NikRegionItem;
  district: NikRegionItem;
  birthDate: NikItem<string>;
  sex: NikItem<Sex>;
  serial: string;
};

type Printed = Readonly<Record<string, string | null | undefined>>;

const text = (value: string | null | undefined) => (value && value.trim() !== '' ? value : null);

function regionItem(
  code: string,
  name: string | undefined,
  printed: string | null,
  find: (printed: string) => RegionMatch | undefined,
): NikRegionItem {
  const match = printed === null ? undefined : find(printed);
  return { code, name: name ?? null, printed, agrees: match ? match.code === code : null };
}

/** The NIK's parts beside the card's fields; null when `nik` is not 16 digits. `today` is ISO. */
export function decodeNik(nik: string, printed: Printed, regions: RegionIndex, today: string): DecodedNik | null {
  const parts = parseNik(nik, today);
  if (parts === null) return null;
  const province = text(printed.provinsi);
  const regency = text(printed.kabupaten_kota);
  const district = text(printed.kecamatan);
  const birth = text(printed.tanggal_lahir);
  const sex = text(printed.jenis_kelamin);
  // Compared digit group by digit group, as the checks do: a NIK whose own date is impossible
  // still shows whether its digits agree with the card.
  const birthAgrees = (() => {
    if (birth === null || !/^\d{4}-\d{2}-\d{2}$/.test(birth)) return null;
    const [year, month, day] = birth.split('-').map(Number) as [number, number, number];
    return parts.day === day && parts.month === month && parts.yy === year % 100;
  })();
  const sexAgrees =
    sex === null || parts.sex === null || !ENUMS.jenis_kelamin.includes(sex)
      ? null
      : meaningOf('jenis_kelamin', sex) === parts.sex;
  return {
    province: regionItem(parts.provinceCode, regions.province(parts.provinceCode)?.name, province, (name) =>
      regions.findProvince(name),
    ),
    regency: regionItem(parts.regencyCode, regions.regency(parts.regencyCode)?.name, regency, (name) =>
      regions.findRegency(name, parts.provinceCode),
    ),
    district: regionItem(parts.districtCode, regions.district(parts.districtCode)?.name, district, (name) =>
      regions.findDistrict(name, parts.regencyCode),
    ),
    birthDate: { fromNik: parts.birthDate, printed: birth, agrees: birthAgrees },
    sex: { fromNik: parts.sex, printed: sex, agrees: sexAgrees },
    serial: parts.serial,
  };
}
