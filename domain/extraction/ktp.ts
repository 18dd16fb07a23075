/**
 * KTP field extraction from OCR lines. Lines are recognised by their content (a label at the start,
 * or a value's shape), and, where the OCR gave line boxes, by where they sit on the card
 * (layout.ts): the reading order of the recogniser shifts with tilt and layout, and glues text of
 * different columns together. The rules, in order, for each line:
 *   0. a line in the photo column (right of the values, under the photo) is the place and date of
 *      issue, never part of another field;
 *   1. a label (fuzzy, see labels.ts) → its value, or, when the value is not on that line, the label
 *      waits for a following line of the right shape ("pending"); a line in the label column whose
 *      label was misread is taken for the label of its row;
 *   2. otherwise the line is the value of the oldest pending label it fits (with boxes, only of one
 *      on its own row);
 *   3. otherwise it continues the address when it comes right after the address (and, with boxes,
 *      sits in the value column on the next row: the address never runs into the RT/RW row);
 *   4. otherwise it is the regency when it comes right after the province header (DKI cards print
 *      `JAKARTA SELATAN` without `KOTA`);
 *   5. otherwise a distinctive value fills a field still empty: a 16-digit number is the NIK,
 *      `SEUMUR HIDUP` the validity, an enumeration value its field.
 * The first value found for a field wins; only the address accumulates. Without boxes (old stored
 * results, text-only callers) rule 0 and the layout parts of 1–3 are skipped; the place and date of
 * issue are then the unused city and date lines at the end, or a date glued after the occupation
 * (ktpIssue.ts).
 */

import type { RegionIndex } from '../identifiers/regions.ts';
import { compactOf } from '../text/fuzzy.ts';
import { type LabelHit, type LabelSpec, matchExpectedLabel, matchLabel } from '../text/labels.ts';
import { cleanValue, type DateOptions, digitField, findDate, normaliseLine } from '../text/normalise.ts';
import { ENUMS, type EnumField, enumValue, isLifetime, JENIS_KELAMIN, snapEnum } from './enums.ts';
import {
  enumTail,
  isDateLine,
  isPlaceLine,
  issueByText,
  issueUnderPhoto,
  photoTailWords,
  photoText,
  trailingDate,
} from './ktpIssue.ts';
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
import {
  type Anchor,
  inLabelColumn,
  inPhotoColumn,
  KTP_ROWS,
  type LineBox,
  type Placed,
  readLayout,
} from './layout.ts';

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
  /** Printed under the photo: the city and the date the card was issued. Not required by the checks. */
  'tempat_terbit',
  'tanggal_terbit',
] as const;
export type KtpField = (typeof KTP_FIELDS)[number];
export type KtpFields = Record<KtpField, string | null>;

/** `regions` re-spaces province and regency names; `today` resolves two-digit years. */
export type ExtractOptions = { regions?: RegionIndex; today?: string };

/**
 * The fields, the lines they were read from, and for each field the first line it came from: the
 * policy weighs a check by how surely the characters it rests on were read.
 */
export type Extraction<F> = { fields: F; sourceLines: number[]; fieldLines: Partial<Record<keyof F, number>> };

/** An OCR line: its text, and its box where the OCR gave one (domain/ocrResult.ts). */
export type KtpLine = string | { readonly text: string; readonly box?: LineBox | undefined };

type Key =
  | Exclude<KtpField, 'tempat_lahir' | 'tanggal_lahir' | 'kabupaten_kota' | 'tempat_terbit' | 'tanggal_terbit'>
  | 'ttl'
  | 'kabupaten'
  | 'kota';

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
  // Printed `Kel/Desa`, `Kel. Desa`, `Kelurahan/Desa` or `Desa/Kel`. The letters around the slash
  // are misread often (`KeI/Desa`, `Ke/Desa`, `Kel/Dcsa`); no value starts that close to `KELDESA`.
  // An address line may start with `DESA KEL…`, so `Desa/Kel` needs its colon.
  { key: 'kel_desa', names: ['KELDESA', 'KELIDESA', 'KELLDESA'], slack: 1 },
  { key: 'kel_desa', names: ['KELURAHANDESA', 'KELURAHAN'] },
  { key: 'kel_desa', names: ['DESAKEL', 'DESAKELURAHAN'], delimited: true },
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

/** Every spelling of one label, for reading a label the layout says is there (labels.ts). */
function spellingsOf(key: Key): LabelSpec<Key> {
  return { key, names: LABELS.filter((spec) => spec.key === key).flatMap((spec) => spec.names) };
}

/** Issue place and date text read glued onto a value line, and the line. */
type GluedIssue = { date: { text: string; line: number } | null; place: { text: string; line: number } | null };

/** Which printed row each label is on (layout.ts); the NIK above them lines up the skew only. */
const ROW_OF: Readonly<Partial<Record<Key, number>>> = {
  nik: -1,
  ...Object.fromEntries(KTP_ROWS.map((key, row) => [key, row])),
};

/** Rows apart within which a value-column line is on its label's row. */
const SAME_ROW = 0.6;
/** The next row down is one pitch away; a wrapped address line is set a little tighter. */
const NEXT_ROW = { min: 0.3, max: 1.7 };

function textOf(line: KtpLine): string {
  return typeof line === 'string' ? line : line.text;
}

function boxOf(line: KtpLine): LineBox | undefined {
  return typeof line === 'string' ? undefined : line.box;
}

/** How many words each row's printed label has (`Tempat/Tgl Lahir` is read as two or three). */
const LABEL_WORDS: Readonly<Record<(typeof KTP_ROWS)[number], readonly number[]>> = {
  nama: [1],
  ttl: [2, 3],
  jenis_kelamin: [2],
  alamat: [1],
  rt_rw: [1],
  kel_desa: [1],
  kecamatan: [1],
  agama: [1],
  status_perkawinan: [2],
  pekerjaan: [1],
  kewarganegaraan: [1],
  berlaku_hingga: [2],
};

/** What the value of a row must look like to be taken after a label too garbled to read. */
const VALUE_EVIDENCE: Readonly<Partial<Record<Key, (text: string) => boolean>>> = {
  ttl: looksLike.date,
  jenis_kelamin: (text) => snapEnum('jenis_kelamin', text) !== null,
  rt_rw: looksLike.rtRw,
  agama: (text) => snapEnum('agama', text) !== null,
  status_perkawinan: (text) => snapEnum('status_perkawinan', text) !== null,
  kewarganegaraan: (text) => snapEnum('kewarganegaraan', text) !== null,
  berlaku_hingga: looksLike.lifetimeOrDate,
};

/**
 * A label too garbled to match even roughly (`Nic DENGPUTO BASAR`, `Aes KRISTEN`), on a row the
 * layout is sure of: its words are as many as the printed label's and about as long, and what
 * follows looks like that row's value (a date, an enumeration value, RT/RW; words for free text).
 */
function garbledLabel(text: string, key: (typeof KTP_ROWS)[number]): LabelHit<Key> | null {
  const words = text.split(' ').filter((word) => word !== '');
  const names = spellingsOf(key).names;
  const shortest = Math.min(...names.map((name) => name.length));
  const longest = Math.max(...names.map((name) => name.length));
  for (const count of LABEL_WORDS[key]) {
    const head = words.slice(0, count).join(' ');
    const value = words
      .slice(count)
      .join(' ')
      .replace(/^[\s:;.]+/, '');
    const letters = compactOf(head).length;
    if (value === '' || /\d/.test(head) || letters < shortest / 2 || letters > longest * 1.5) continue;
    const evidence = VALUE_EVIDENCE[key] ?? looksLike.words;
    if (evidence(value)) return { key, value };
  }
  return null;
}

/**
 * Lines in the label column whose label was not recognised are read as the label their row calls
 * for, with a rougher tolerance (`Kel/Des RAMBUNG`, `Jenis Kelar LAKI-LAKI`, `Hingga : …`), or, when
 * even that fails, as a garbled label followed by a value of the row's kind (garbledLabel). Each
 * found label serves its neighbours, over passes until none is found. The row is told by the
 * labelled lines right above and below (the NIK for the first row), not by the distance from the
 * top: a wrapped address pushes the rows under it down. Fills `hits` and `anchors` in place.
 */
function inferRowLabels(
  texts: readonly string[],
  hits: (LabelHit<Key> | null)[],
  anchors: Anchor[],
  places: readonly (Placed | null)[],
): void {
  const unread = places
    .flatMap((place, index) =>
      place !== null && inLabelColumn(place) && hits[index] === null && /[A-Za-z]/.test(texts[index] ?? '')
        ? [{ index, place }]
        : [],
    )
    .sort((a, b) => a.place.row - b.place.row);
  for (let found = true; found; ) {
    found = false;
    for (const { index, place } of unread) {
      if (hits[index] !== null) continue;
      let above: { row: number; at: number } | null = null;
      let below: { row: number; at: number } | null = null;
      for (const anchor of anchors) {
        const at = places[anchor.line]?.row;
        if (at === undefined) continue;
        if (at < place.row - 0.3 && at > place.row - NEXT_ROW.max && (above === null || at > above.at))
          above = { row: anchor.row, at };
        if (
          anchor.row >= 0 &&
          at > place.row + 0.3 &&
          at < place.row + NEXT_ROW.max &&
          (below === null || at < below.at)
        )
          below = { row: anchor.row, at };
      }
      const fromAbove = above === null ? null : above.row + 1;
      const fromBelow = below === null ? null : below.row - 1;
      if (fromAbove !== null && fromBelow !== null && fromAbove !== fromBelow) continue;
      const row = fromAbove ?? fromBelow;
      const key = row === null ? undefined : KTP_ROWS[row];
      if (key === undefined || row === null || hits.some((hit) => hit?.key === key)) continue;
      const text = texts[index] ?? '';
      const hit = matchExpectedLabel(text, spellingsOf(key)) ?? garbledLabel(text, key);
      if (hit === null) continue;
      hits[index] = hit;
      anchors.push({ line: index, row });
      found = true;
    }
  }
}

export function extractKtpDetailed(lines: readonly KtpLine[], options: ExtractOptions = {}): Extraction<KtpFields> {
  const fields = Object.fromEntries(KTP_FIELDS.map((field) => [field, null])) as KtpFields;
  const sources = new Set<number>();
  const fieldLines: Partial<Record<KtpField, number>> = {};
  const dates: DateOptions = options.today ? { today: options.today } : {};
  const pending: { key: Key; row: number | null }[] = [];
  let previous: Key | 'header-province' | null = null;
  let addressLines = 0;
  let addressRow: number | null = null;

  const texts = lines.map((line) => normaliseLine(textOf(line)));
  const hits = texts.map((text) => (/[A-Za-z0-9]/.test(text) ? matchLabel(text, LABELS) : null));
  const anchors: Anchor[] = hits.flatMap((hit, line) => {
    const row = hit === null ? undefined : ROW_OF[hit.key];
    return row === undefined ? [] : [{ line, row }];
  });
  const layout = readLayout(lines.map(boxOf), anchors);
  const placeOf = (index: number): Placed | null => layout?.lines[index] ?? null;
  if (layout !== null) inferRowLabels(texts, hits, anchors, layout.lines);
  /** Lines under the photo, and a date read onto a value line level with them. */
  const photoLines: number[] = [];
  const gluedIssue: GluedIssue = { date: null, place: null };
  const photo = photoText(texts, layout?.lines ?? []);

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
  const waitFor = (key: Key, line: number) => {
    if (isOpen(key) && !pending.some((item) => item.key === key))
      pending.push({ key, row: placeOf(line)?.row ?? null });
  };

  /** The value without a date glued after it, which is kept as the issue date. */
  const withoutIssueDate = (raw: string, line: number): string => {
    const glued = trailingDate(raw);
    if (glued === null) return raw;
    gluedIssue.date ??= { text: glued.date, line };
    return glued.head;
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
          if (hit?.key !== 'golongan_darah' || !assign('golongan_darah', hit.value, line))
            waitFor('golongan_darah', line);
          return set('jenis_kelamin', enumValue('jenis_kelamin', raw.slice(0, blood)), line);
        }
        return set('jenis_kelamin', enumValue('jenis_kelamin', raw), line);
      }
      case 'golongan_darah':
        return cleanValue(raw) === '' ? false : set('golongan_darah', bloodGroup(raw), line);
      case 'alamat': {
        const value = addressValue(raw);
        if (value === null) return false;
        addressRow = placeOf(line)?.row ?? null;
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
        return set(key, enumValue(key, raw), line);
      case 'kewarganegaraan':
        return set(key, enumValue(key, withoutIssueDate(raw, line)), line);
      case 'berlaku_hingga':
        return set('berlaku_hingga', expiryValue(raw, dates), line);
      case 'pekerjaan':
        return set('pekerjaan', occupationValue(withoutIssueDate(raw, line)), line);
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

  /**
   * Rule 2: the oldest pending label the line fits; with boxes, only a label on the line's own row (a
   * KTP prints each value level with its label), so a value whose label was lost fills no other.
   */
  const pendingFor = (text: string, place: Placed | null): number =>
    pending.findIndex(
      (item) =>
        (place === null || item.row === null || Math.abs(item.row - place.row) < SAME_ROW) && FITS[item.key](text),
    );

  /** Rule 3 with boxes: the next row down, in the value column. */
  const continuesAddressHere = (place: Placed | null): boolean => {
    if (place === null || addressRow === null) return true;
    const below = place.row - addressRow;
    return !inLabelColumn(place) && below >= NEXT_ROW.min && below <= NEXT_ROW.max;
  };

  texts.forEach((line, index) => {
    if (!/[A-Za-z0-9]/.test(line)) return;
    const place = placeOf(index);
    if (inPhotoColumn(place)) {
      photoLines.push(index);
      return;
    }
    const found = hits[index] ?? null;
    const tail = found === null ? 0 : photoTailWords(line, place, photo);
    const valueWords = found === null ? 0 : found.value.split(' ').length;
    // Only the free-text occupation needs the tail cut off: enumerations snap to their value anyway.
    const hit =
      found?.key !== 'pekerjaan' || tail === 0 || tail >= valueWords
        ? found
        : { ...found, value: found.value.split(' ').slice(0, -tail).join(' ') };
    const under =
      tail > 0
        ? line.split(' ').slice(-tail).join(' ')
        : found !== null && (CONTENT_ENUMS as readonly string[]).includes(found.key)
          ? enumTail(found.key as EnumField, found.value, place)
          : null;
    if (under !== null && isDateLine(under)) gluedIssue.date ??= { text: under, line: index };
    else if (under !== null && isPlaceLine(under)) gluedIssue.place ??= { text: under, line: index };
    if (hit) {
      if (!assign(hit.key, hit.value, index)) waitFor(hit.key, index);
      sources.add(index);
      previous = hit.key === 'provinsi' ? 'header-province' : hit.key;
      return;
    }
    const waiting = pendingFor(line, place);
    if (waiting >= 0) {
      const { key } = pending[waiting] as { key: Key };
      pending.splice(waiting, 1);
      if (assign(key, line, index)) {
        previous = key;
        return;
      }
    }
    if (previous === 'alamat' && continuesAddress(line) && continuesAddressHere(place) && assign('alamat', line, index))
      return;
    if (previous === 'header-province' && fields.kabupaten_kota === null && looksLike.words(line)) {
      assign('kabupaten', line, index);
      previous = 'kabupaten';
      return;
    }
    assignByContent(line, index);
    previous = null;
  });

  // A blood-group label with nothing readable after it: the card prints `-` there.
  if (pending.some((item) => item.key === 'golongan_darah') && fields.golongan_darah === null) {
    fields.golongan_darah = '-';
  }
  // The place and date of issue are kept out of the source lines: small print under the photo must
  // not weigh on the confidence the score and OCR_LOW_CONFIDENCE take from the fields' lines.
  const setIssue = (field: 'tempat_terbit' | 'tanggal_terbit', value: string | null, line: number) => {
    if (value === null || fields[field] !== null) return;
    fields[field] = value;
    fieldLines[field] = line;
  };
  const issueDate = (text: string) => findDate(text, { ...dates, twoDigitYear: 'past' })?.iso ?? null;
  const issue = layout === null ? issueByText(texts, sources) : issueUnderPhoto(texts, photoLines, layout.lines);
  if (issue.place !== null) setIssue('tempat_terbit', wordValue(texts[issue.place] ?? ''), issue.place);
  if (issue.date !== null) setIssue('tanggal_terbit', issueDate(texts[issue.date] ?? ''), issue.date);
  if (gluedIssue.date !== null) setIssue('tanggal_terbit', issueDate(gluedIssue.date.text), gluedIssue.date.line);
  if (gluedIssue.place !== null) setIssue('tempat_terbit', wordValue(gluedIssue.place.text), gluedIssue.place.line);
  fields.kewarganegaraan = citizenship(fields);
  return { fields, sourceLines: [...sources].sort((a, b) => a - b), fieldLines };
}

/**
 * A citizen's card prints `WNI`, whose thin `I` the recogniser loses or misreads (`WN`, `WNT`, `WT`),
 * and which one letter away is `WNA`. A foreign resident's card prints its nationality in full and
 * the sex in English (enums.ts), so a short `W…` read on a card whose sex is printed in Indonesian
 * is `WNI`.
 */
function citizenship(fields: KtpFields): string | null {
  const value = fields.kewarganegaraan;
  if (value === null || ENUMS.kewarganegaraan.includes(value)) return value;
  if (!/^W[A-Z0-9]{0,2}$/.test(value.replace(/\s/g, ''))) return value;
  const sex = fields.jenis_kelamin;
  return sex !== null && (JENIS_KELAMIN as readonly string[]).includes(sex) ? 'WNI' : value;
}

/** The KTP fields read from OCR lines; a field not found is null. */
export function extractKtp(lines: readonly KtpLine[], options: ExtractOptions = {}): KtpFields {
  return extractKtpDetailed(lines, options).fields;
}
