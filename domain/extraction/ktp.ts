/**
 * KTP field extraction from OCR lines. Lines are recognised by their content (a label at the start,
 * or a value's shape), not by their position, because the reading order of the recogniser shifts
 * with tilt and layout. The rules, in order, for each line:
 *   1. a label (fuzzy, see labels.ts) → its value, or, when the value is not on that line, the label
 *      waits for a following line of the right shape ("pending");
 *   2. otherwise the line is the value of the oldest pending label it fits;
 *   3. otherwise it continues the address when it comes right after the address;
 *   4. otherwise it is the regency when it comes right after the province header (DKI cards print
 *      `JAKARTA SELATAN` without `KOTA`);
 *   5. otherwise a distinctive value fills a field still empty: a 16-digit number is the NIK,
 *      `SEUMUR HIDUP` the validity, an enumeration value its field.
 * The first value found for a field wins; only the address accumulates.
 */

import type { RegionIndex } from '../identifiers/regions.ts';
import { type LabelSpec, matchLabel } from '../text/labels.ts';
import { cleanValue, type DateOptions, digitField, normaliseLine } from '../text/normalise.ts';
import { type EnumField, enumValue, isLifetime, snapEnum } from './enums.ts';
import {
  ADDRESS_MAX_LINES,
  addressValue,
  birthValue,
  bloodGroup,
  districtValue,
  expiryValue,
  looksLike,
  nikValue,
  occupationValue,
  provinceValue,
  regencyValue,
  rtRwValue,
  wordValue,
} from './ktpValues.ts';

export const KTP_FIELDS = [
  'provinsi',
  'kabupaten_kota',
  'nik',
  'nama',
  'tempat_lahir',
  'tanggal_lahir',
  'jenis_kelamin',
  'golongan_darah',
  'alamat',
  'rt_rw',
  'kel_desa',
  'kecamatan',
  'agama',
  'status_perkawinan',
  'pekerjaan',
  'kewarganegaraan',
  'berlaku_hingga',
] as const;
export type KtpField = (typeof KTP_FIELDS)[number];
export type KtpFields = Record<KtpField, string | null>;

/** `regions` re-spaces province and regency names; `today` resolves two-digit years. */
export type ExtractOptions = { regions?: RegionIndex; today?: string };

/** The fields and the indexes of the lines they were read from (for the OCR-confidence check). */
/**
 * The fields, the lines they were read from, and for each field the first line it came from: the
 * policy weighs a check by how surely the characters it rests on were read.
 */
export type Extraction<F> = { fields: F; sourceLines: number[]; fieldLines: Partial<Record<keyof F, number>> };

type Key = Exclude<KtpField, 'tempat_lahir' | 'tanggal_lahir' | 'kabupaten_kota'> | 'ttl' | 'kabupaten' | 'kota';

const LABELS: readonly LabelSpec<Key>[] = [
  { key: 'provinsi', names: ['PROVINSI', 'PROPINSI'] },
  { key: 'kabupaten', names: ['KABUPATEN'] },
  { key: 'kota', names: ['KOTA'] },
  { key: 'nik', names: ['NIK'] },
  { key: 'nama', names: ['NAMA'] },
  { key: 'ttl', names: ['TEMPATTGLLAHIR', 'TEMPATTANGGALLAHIR', 'TEMPATLAHIR', 'TTL'] },
  { key: 'jenis_kelamin', names: ['JENISKELAMIN'] },
  { key: 'golongan_darah', names: ['GOLDARAH', 'GOLONGANDARAH', 'DARAH'] },
  { key: 'alamat', names: ['ALAMAT'] },
  // The slash of `RT/RW` and `Kel/Desa` is often read as I or l, which short labels without a colon
  // would not forgive (labels.ts: prefix tolerance).
  { key: 'rt_rw', names: ['RTRW', 'RTIRW', 'RTLRW'] },
  { key: 'kel_desa', names: ['KELDESA', 'KELIDESA', 'KELLDESA', 'KELURAHANDESA', 'KELURAHAN'] },
  { key: 'kecamatan', names: ['KECAMATAN'] },
  { key: 'agama', names: ['AGAMA'] },
  { key: 'status_perkawinan', names: ['STATUSPERKAWINAN'] },
  { key: 'pekerjaan', names: ['PEKERJAAN'] },
  { key: 'kewarganegaraan', names: ['KEWARGANEGARAAN'] },
  { key: 'berlaku_hingga', names: ['BERLAKUHINGGA'] },
];

/** Whether a line standing alone can be the value of a label printed on the line before. */
const FITS: Readonly<Record<Key, (text: string) => boolean>> = {
  provinsi: looksLike.words,
  kabupaten: looksLike.words,
  kota: looksLike.words,
  nik: (text) => looksLike.digits(text, 12),
  nama: looksLike.words,
  ttl: (text) => looksLike.date(text) || looksLike.words(text),
  jenis_kelamin: (text) => snapEnum('jenis_kelamin', text) !== null,
  golongan_darah: looksLike.bloodGroup,
  alamat: looksLike.anyText,
  rt_rw: looksLike.rtRw,
  kel_desa: looksLike.words,
  kecamatan: looksLike.words,
  agama: looksLike.words,
  status_perkawinan: looksLike.words,
  pekerjaan: looksLike.words,
  kewarganegaraan: looksLike.words,
  berlaku_hingga: looksLike.lifetimeOrDate,
};

const CONTENT_ENUMS: readonly EnumField[] = ['jenis_kelamin', 'agama', 'status_perkawinan', 'kewarganegaraan'];

/** A line that is nothing but an RT/RW number pair (`004/009`, `OO4/OO9` as read): its label was lost. */
const RT_RW_ALONE = /^(?=.*\d)[\s:;.]*[0-9OoIl|]{1,3}\s*[/\\]\s*[0-9OoIl|]{1,3}[\s.]*$/;
/**
 * `Kel Dssa : value`: up to three words of letters, then a colon: a labelled line whose label was not
 * recognised. An address line has no colon after its first words.
 */
const UNRECOGNISED_LABEL = /^\s*[A-Za-z][A-Za-z./]*(?:\s+[A-Za-z./]+){0,2}\s*[:;]/;

/**
 * Whether an unlabelled line after the address continues it. The address stops at a NIK, at an RT/RW
 * pair whose label was lost, and at a labelled line whose label was misread: on real cards the
 * address swallowed the RT/RW and Kel/Desa lines, which then came out empty.
 */
function continuesAddress(line: string): boolean {
  return digitField(line)?.length !== 16 && !RT_RW_ALONE.test(line) && !UNRECOGNISED_LABEL.test(line);
}

/** Where `Gol. Darah` starts when the recogniser put it on the same line as the sex. */
const BLOOD_LABEL = /G\s*[O0]\s*L|DARAH/i;

export function extractKtpDetailed(lines: readonly string[], options: ExtractOptions = {}): Extraction<KtpFields> {
  const fields = Object.fromEntries(KTP_FIELDS.map((field) => [field, null])) as KtpFields;
  const sources = new Set<number>();
  const fieldLines: Partial<Record<KtpField, number>> = {};
  const dates: DateOptions = options.today ? { today: options.today } : {};
  const pending: Key[] = [];
  let previous: Key | 'header-province' | null = null;
  let addressLines = 0;

  const set = (field: KtpField, value: string | null, line: number): boolean => {
    if (value === null || fields[field] !== null) return false;
    fields[field] = value;
    fieldLines[field] = line;
    sources.add(line);
    return true;
  };

  /** Whether the field a label fills is still empty (a second `KOTA …` line must not wait for a value). */
  const isOpen = (key: Key): boolean => {
    if (key === 'kabupaten' || key === 'kota') return fields.kabupaten_kota === null;
    if (key === 'ttl') return fields.tanggal_lahir === null;
    return fields[key] === null;
  };
  const waitFor = (key: Key) => {
    if (isOpen(key) && !pending.includes(key)) pending.push(key);
  };

  /** Stores the value text of `key` read on line `line`; false when it held nothing usable. */
  const assign = (key: Key, raw: string, line: number): boolean => {
    switch (key) {
      case 'provinsi':
        return set('provinsi', provinceValue(raw, options.regions), line);
      case 'kabupaten':
      case 'kota':
        return set('kabupaten_kota', regencyValue(raw, options.regions), line);
      case 'nik':
        return set('nik', nikValue(raw), line);
      case 'ttl': {
        const { place, date } = birthValue(raw, dates);
        const placed = set('tempat_lahir', place, line);
        return set('tanggal_lahir', date, line) || placed;
      }
      case 'jenis_kelamin': {
        // `LAKI-LAKI Gol. Darah : O` on one line: split at the second label.
        const blood = raw.search(BLOOD_LABEL);
        if (blood > 0) {
          const hit = matchLabel(raw.slice(blood), LABELS);
          if (hit?.key !== 'golongan_darah' || !assign('golongan_darah', hit.value, line)) waitFor('golongan_darah');
          return set('jenis_kelamin', enumValue('jenis_kelamin', raw.slice(0, blood)), line);
        }
        return set('jenis_kelamin', enumValue('jenis_kelamin', raw), line);
      }
      case 'golongan_darah':
        return cleanValue(raw) === '' ? false : set('golongan_darah', bloodGroup(raw), line);
      case 'alamat': {
        const value = addressValue(raw);
        if (value === null) return false;
        if (fields.alamat === null) {
          addressLines = 1;
          return set('alamat', value, line);
        }
        if (addressLines >= ADDRESS_MAX_LINES) return false;
        addressLines += 1;
        fields.alamat = `${fields.alamat} ${value}`;
        sources.add(line);
        return true;
      }
      case 'rt_rw':
        return set('rt_rw', rtRwValue(raw), line);
      case 'agama':
      case 'status_perkawinan':
      case 'kewarganegaraan':
        return set(key, enumValue(key, raw), line);
      case 'berlaku_hingga':
        return set('berlaku_hingga', expiryValue(raw, dates), line);
      case 'pekerjaan':
        return set('pekerjaan', occupationValue(raw), line);
      case 'kecamatan':
        return set('kecamatan', districtValue(raw, options.regions), line);
      case 'nama':
      case 'kel_desa':
        return set(key, wordValue(raw), line);
    }
  };

  /** Rule 5: a value whose content alone says which field it is. */
  const assignByContent = (text: string, line: number): boolean => {
    const digits = digitField(text) ?? '';
    if (fields.nik === null && digits.length === 16 && (text.match(/[0-9]/g) ?? []).length >= 12) {
      return set('nik', digits, line);
    }
    if (fields.rt_rw === null && RT_RW_ALONE.test(text)) return set('rt_rw', rtRwValue(text), line);
    if (fields.berlaku_hingga === null && isLifetime(text))
      return set('berlaku_hingga', expiryValue(text, dates), line);
    for (const field of CONTENT_ENUMS) {
      if (fields[field] !== null) continue;
      const value = snapEnum(field, text, { prefix: false });
      if (value !== null) return set(field, value, line);
    }
    return false;
  };

  lines.forEach((rawLine, index) => {
    const line = normaliseLine(rawLine);
    if (!/[A-Za-z0-9]/.test(line)) return;
    const hit = matchLabel(line, LABELS);
    if (hit !== null) {
      if (!assign(hit.key, hit.value, index)) waitFor(hit.key);
      sources.add(index);
      previous = hit.key === 'provinsi' ? 'header-province' : hit.key;
      return;
    }
    const waiting = pending.findIndex((key) => FITS[key](line));
    if (waiting >= 0) {
      const key = pending[waiting] as Key;
      pending.splice(waiting, 1);
      if (assign(key, line, index)) {
        previous = key;
        return;
      }
    }
    if (previous === 'alamat' && continuesAddress(line) && assign('alamat', line, index)) return;
    if (previous === 'header-province' && fields.kabupaten_kota === null && looksLike.words(line)) {
      assign('kabupaten', line, index);
      previous = 'kabupaten';
      return;
    }
    assignByContent(line, index);
    previous = null;
  });

  // A blood-group label with nothing readable after it: the card prints `-` there.
  if (pending.includes('golongan_darah') && fields.golongan_darah === null) fields.golongan_darah = '-';
  return { fields, sourceLines: [...sources].sort((a, b) => a - b), fieldLines };
}

/** The 17 KTP fields read from OCR lines; a field not found is null. */
export function extractKtp(lines: readonly string[], options: ExtractOptions = {}): KtpFields {
  return extractKtpDetailed(lines, options).fields;
}
