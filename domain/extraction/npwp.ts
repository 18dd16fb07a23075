/**
 * NPWP card field extraction. The cards print a ministry header, `NPWP : 01.234.567.8-901.000` (or
 * the number alone), the name on the next line without a label, the address on one to three lines,
 * the tax office (`KPP PRATAMA …`) and `Tanggal Terdaftar : DD-MM-YYYY`. Three layouts are read the
 * same way: the old DJP card (`DEPARTEMEN KEUANGAN` header, no NIK line), the current one with a
 * `NIK : …` line, and the 16-digit NPWP (since 2024 a resident's NPWP is the NIK: 16 digits, no
 * dots, kept as printed). Labels are matched fuzzily (labels.ts); the unlabelled name and address
 * are found by where they stand after the number, since nothing else marks them, and header lines
 * are never taken for them.
 */

import { formatNpwp } from '../identifiers/npwpNumber.ts';
import { compactOf, editDistance, fuzzyContains, toleranceFor } from '../text/fuzzy.ts';
import { type LabelSpec, matchLabel } from '../text/labels.ts';
import { DIGITISH, digitField, findDate, normaliseLine, repairDigits } from '../text/normalise.ts';
import type { Extraction, ExtractOptions } from './ktp.ts';
import { ADDRESS_MAX_LINES, addressValue, looksLike, wordValue } from './ktpValues.ts';

export { checkNpwpNumber, formatNpwp } from '../identifiers/npwpNumber.ts';

export const NPWP_FIELDS = ['npwp', 'nama', 'nik', 'alamat', 'tanggal_terdaftar'] as const;
export type NpwpField = (typeof NPWP_FIELDS)[number];
export type NpwpFields = Record<NpwpField, string | null>;

type Key = 'npwp' | 'nama' | 'nik' | 'alamat' | 'terdaftar' | 'office';

const LABELS: readonly LabelSpec<Key>[] = [
  // `NPWP15`/`NPWP16` on newer cards; digits compare as the letters they resemble (fuzzy.ts).
  { key: 'npwp', names: ['NPWP', 'NPWPIS', 'NPWPIG'] },
  { key: 'nik', names: ['NIK'] },
  { key: 'nama', names: ['NAMA'] },
  { key: 'alamat', names: ['ALAMAT'] },
  { key: 'terdaftar', names: ['TERDAFTAR', 'TANGGALTERDAFTAR', 'TGLTERDAFTAR'] },
  // What follows the address; only ends it.
  { key: 'office', names: ['KPP', 'KPPPRATAMA', 'KPPMADYA', 'KANTORPELAYANANPAJAK', 'NITKU'] },
];

/**
 * Ministry and directorate header lines: never a name or an address. The old DJP card (before the
 * ministry was renamed in 2009) prints `DEPARTEMEN KEUANGAN REPUBLIK INDONESIA`; on a real one its
 * header lines were taken for the name and the address, read in pieces and misspelt.
 */
const HEADERS = [
  'KEMENTERIANKEUANGAN',
  'DEPARTEMENKEUANGAN',
  'REPUBLIKINDONESIA',
  'DIREKTORATJENDERALPAJAK',
  'DIREKTORATJENDERAL',
  'NOMORPOKOKWAJIBPAJAK',
  // The regional office some cards print under the header (`KANWIL DJP JAKARTA PUSAT`).
  'KANWILDJP',
  'KANTORWILAYAH',
  'PAJAKGOID',
];
/** The words those headers are made of. */
const HEADER_WORDS = [
  'DEPARTEMEN',
  'KEMENTERIAN',
  'KEUANGAN',
  'REPUBLIK',
  'INDONESIA',
  'DIREKTORAT',
  'JENDERAL',
  'PAJAK',
  'NOMOR',
  'POKOK',
  'WAJIB',
  'KANWIL',
  'WILAYAH',
  'DJP',
];
const isHeaderWord = (word: string) =>
  HEADER_WORDS.some((header) => editDistance(word, header) <= toleranceFor(header.length));

/**
 * A header line: it contains a whole header, or every word of three letters or more is a header
 * word (a piece of a header read apart, `JENDERAL PAJAK`). One short word alone counts only when
 * exact (`PAJAK`): a one-word name could be one letter away from it.
 */
function isHeader(line: string): boolean {
  const compact = compactOf(line);
  if (HEADERS.some((header) => fuzzyContains(compact, header, 2))) return true;
  const words = line
    .split(/[\s.,:;/-]+/)
    .map(compactOf)
    .filter((word) => word.length >= 3);
  if (words.length === 1 && (words[0] as string).length < 7) return HEADER_WORDS.includes(words[0] as string);
  return words.length > 0 && words.every(isHeaderWord);
}

/** An NPWP printed with its separators (`01.234.567.8-901.000`), look-alike letters allowed. */
const DOTTED = new RegExp(
  `${DIGITISH}{2}[.,]${DIGITISH}{3}[.,]${DIGITISH}{3}[.,]${DIGITISH}[-.]${DIGITISH}{3}[.,]${DIGITISH}{3}`,
);

/** The dotted 15-digit form, or the 16 digits, or the digits as read when neither. */
function npwpValue(text: string): string | null {
  const digits = digitField(text);
  if (digits === null || digits.length < 9) return null;
  return digits.length === 15 ? formatNpwp(digits) : digits;
}

/** A number this long may be a NIK (16 digits) that lost or gained a few to glare or a watermark. */
const nearNikLength = (length: number) => length >= 12 && length <= 18;

export function extractNpwpDetailed(lines: readonly string[], options: ExtractOptions = {}): Extraction<NpwpFields> {
  const fields = Object.fromEntries(NPWP_FIELDS.map((field) => [field, null])) as NpwpFields;
  const sources = new Set<number>();
  const fieldLines: Partial<Record<NpwpField, number>> = {};
  const pending: Key[] = [];
  // Where the unlabelled lines are: before the number, the name after it, then the address.
  let zone: 'top' | 'name' | 'address' | 'end' = 'top';
  let addressLines = 0;

  const set = (field: NpwpField, value: string | null, line: number): boolean => {
    if (value === null || fields[field] !== null) return false;
    fields[field] = value;
    fieldLines[field] = line;
    sources.add(line);
    return true;
  };

  const assign = (key: Key, raw: string, line: number): boolean => {
    switch (key) {
      case 'npwp':
        zone = 'name';
        return set('npwp', npwpValue(raw), line);
      case 'nik':
        return set('nik', digitField(raw), line);
      case 'nama':
        zone = 'address';
        return set('nama', wordValue(raw), line);
      case 'alamat': {
        zone = 'address';
        const value = addressValue(raw);
        if (value === null) return false;
        if (addressLines >= ADDRESS_MAX_LINES) return false;
        addressLines += 1;
        fields.alamat = fields.alamat === null ? value : `${fields.alamat} ${value}`;
        sources.add(line);
        return true;
      }
      case 'terdaftar': {
        zone = 'end';
        const found = findDate(raw, { ...options, twoDigitYear: 'nearest' });
        return set('tanggal_terdaftar', found?.iso ?? null, line);
      }
      case 'office':
        zone = 'end';
        return true;
    }
  };

  const fits: Readonly<Record<Key, (text: string) => boolean>> = {
    npwp: (text) => looksLike.digits(text, 14),
    nik: (text) => looksLike.digits(text, 14),
    nama: looksLike.words,
    alamat: looksLike.anyText,
    terdaftar: looksLike.date,
    office: () => false,
  };

  lines.forEach((rawLine, index) => {
    const line = normaliseLine(rawLine);
    if (!/[A-Za-z0-9]/.test(line)) return;
    const hit = matchLabel(line, LABELS);
    if (hit !== null) {
      const field: NpwpField | null =
        hit.key === 'office' ? null : hit.key === 'terdaftar' ? 'tanggal_terdaftar' : hit.key;
      // A label whose value is not on its line waits for the next line of the right shape.
      if (!assign(hit.key, hit.value, index) && field !== null && fields[field] === null) pending.push(hit.key);
      sources.add(index);
      return;
    }
    if (isHeader(line)) return;
    const waiting = pending.findIndex((key) => fits[key](line));
    if (waiting >= 0) {
      const [key] = pending.splice(waiting, 1) as [Key];
      if (assign(key, line, index)) return;
    }
    const digits = digitField(line) ?? '';
    const numeric = (line.match(/[0-9]/g) ?? []).length >= 12;
    const dotted = DOTTED.test(repairDigits(line).replace(/\s/g, ''));
    if (dotted || (numeric && digits.length === 15)) {
      if (assign('npwp', line, index)) return;
    }
    if (numeric && digits.length === 16) {
      // An unlabelled 16-digit number: the NPWP16 when none was read yet, else the NIK.
      if (fields.npwp === null ? assign('npwp', line, index) : set('nik', digits, index)) return;
    }
    // Once the NPWP is read, a long undotted number whose label was lost (`NK:6471…`, `NEC:7600…`) is
    // the NIK, even a few digits short or long: the checks then say so, and the digits-only reading
    // of the line may mend it (checks/alternatives.ts).
    if (numeric && !dotted && fields.npwp !== null && nearNikLength(digits.length)) {
      if (set('nik', digits, index)) return;
    }
    // A date alone after the name is the registration date whose label was lost, not address.
    const dateOnly = findDate(line) !== null && !/[A-Za-z]{3,}/.test(line);
    if (dateOnly && zone !== 'top') assign('terdaftar', line, index);
    else if (zone === 'name' && looksLike.words(line)) assign('nama', line, index);
    else if (zone === 'address') assign('alamat', line, index);
  });

  return { fields, sourceLines: [...sources].sort((a, b) => a - b), fieldLines };
}

/** The five NPWP fields read from OCR lines; a field not found is null. */
export function extractNpwp(lines: readonly string[], options: ExtractOptions = {}): NpwpFields {
  return extractNpwpDetailed(lines, options).fields;
}
