/**
 * The closed value lists a KTP prints (Permendagri on KTP-el data), and how a read value is snapped to
 * them. Snapping fixes what the recogniser does to these words (dropped spaces, one wrong letter);
 * a value that is not close to any entry is kept as read, so the checks can flag it.
 *
 * A foreign resident's card (KTP WNA) prints these values in English (`MALE`, `CHRISTIAN`,
 * `MARRIED`) and a nationality under `Kewarganegaraan`. They are kept as printed, like every label
 * value ("value as printed, normalised"): the lists accept them, and `meaningOf` gives the
 * Indonesian value an English one stands for where a check needs it (the sex the NIK encodes).
 */
import { closest, compactOf, editDistance, respaceLike } from '../text/fuzzy.ts';
import { cleanValue } from '../text/normalise.ts';
import { matchNationality, NATIONALITIES } from './nationalities.ts';

export const AGAMA = [
  'ISLAM',
  'KRISTEN',
  'KATOLIK',
  'HINDU',
  'BUDDHA',
  'KONGHUCU',
  // Both spellings are printed on cards; the value is kept as printed.
  'KHONGHUCU',
  'KEPERCAYAAN TERHADAP TUHAN YME',
] as const;
export const STATUS_PERKAWINAN = ['BELUM KAWIN', 'KAWIN', 'CERAI HIDUP', 'CERAI MATI'] as const;
export const KEWARGANEGARAAN = ['WNI', 'WNA'] as const;
export const JENIS_KELAMIN = ['LAKI-LAKI', 'PEREMPUAN'] as const;
/** Blank is printed as `-`; some cards add the rhesus factor. */
export const GOLONGAN_DARAH = ['A', 'B', 'AB', 'O', '-', 'A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'] as const;
export const LIFETIME = 'SEUMUR HIDUP';

/** English values printed on KTP WNA, and the Indonesian value each stands for. */
export const ENGLISH_VALUES: Readonly<Record<'agama' | 'status_perkawinan' | 'jenis_kelamin', Record<string, string>>> =
  {
    jenis_kelamin: { MALE: 'LAKI-LAKI', FEMALE: 'PEREMPUAN' },
    agama: {
      MOSLEM: 'ISLAM',
      MUSLIM: 'ISLAM',
      CHRISTIAN: 'KRISTEN',
      PROTESTANT: 'KRISTEN',
      CATHOLIC: 'KATOLIK',
      HINDUISM: 'HINDU',
      BUDDHISM: 'BUDDHA',
      BUDDHIST: 'BUDDHA',
      CONFUCIANISM: 'KHONGHUCU',
      CONFUCIAN: 'KHONGHUCU',
    },
    status_perkawinan: {
      'NOT MARRIED': 'BELUM KAWIN',
      UNMARRIED: 'BELUM KAWIN',
      SINGLE: 'BELUM KAWIN',
      MARRIED: 'KAWIN',
      DIVORCED: 'CERAI HIDUP',
      WIDOWED: 'CERAI MATI',
      WIDOW: 'CERAI MATI',
      WIDOWER: 'CERAI MATI',
    },
  };

export type EnumField = 'agama' | 'status_perkawinan' | 'kewarganegaraan' | 'jenis_kelamin';

/** Every value a field may hold: the Indonesian list, and on a KTP WNA the English values and nationalities. */
export const ENUMS: Readonly<Record<EnumField, readonly string[]>> = {
  agama: [...AGAMA, ...Object.keys(ENGLISH_VALUES.agama)],
  status_perkawinan: [...STATUS_PERKAWINAN, ...Object.keys(ENGLISH_VALUES.status_perkawinan)],
  kewarganegaraan: [...KEWARGANEGARAAN, ...NATIONALITIES],
  jenis_kelamin: [...JENIS_KELAMIN, ...Object.keys(ENGLISH_VALUES.jenis_kelamin)],
};

/** The values read values are snapped to by edit distance; nationalities are matched apart (matchNationality). */
const SNAPPED: Readonly<Record<EnumField, readonly string[]>> = { ...ENUMS, kewarganegaraan: KEWARGANEGARAAN };

/** Other spellings found on cards, mapped to the canonical value. */
const VARIANTS: Readonly<Record<string, string>> = {
  KATHOLIK: 'KATOLIK',
  BUDHA: 'BUDDHA',
  KEPERCAYAAN: 'KEPERCAYAAN TERHADAP TUHAN YME',
  'KEPERCAYAAN TERHADAP TUHAN YANG MAHA ESA': 'KEPERCAYAAN TERHADAP TUHAN YME',
};

/**
 * The Indonesian value `value` (as stored) stands for: an English value's translation, a spelling
 * variant's canonical form, or the value itself.
 */
export function meaningOf(field: EnumField, value: string): string {
  if (field !== 'kewarganegaraan') {
    const english = ENGLISH_VALUES[field][value];
    if (english !== undefined) return english;
  }
  return VARIANTS[value] ?? value;
}

/** Whether `nationality` (a `kewarganegaraan` value) names a foreign country: the card is a KTP WNA. */
export function isForeignNationality(nationality: string): boolean {
  return nationality !== 'WNI' && ENUMS.kewarganegaraan.includes(nationality);
}

/**
 * The canonical value `text` stands for, or null. `prefix` also accepts noise after the value
 * (another column on the same row); content detection on unlabelled lines turns it off. An English
 * value is returned as printed; two spellings of one value (`BUDDHISM`, `BUDDHIST`) are not an
 * ambiguity. A nationality is taken only after its label (`prefix`): a country name standing alone
 * could be a village or a place of birth.
 */
export function snapEnum(field: EnumField, text: string, options: { prefix?: boolean } = {}): string | null {
  const values = SNAPPED[field];
  const prefix = options.prefix ?? true;
  const variants = Object.keys(VARIANTS).filter((variant) => values.includes(VARIANTS[variant] as string));
  const stored = (candidate: string) => VARIANTS[candidate] ?? candidate;
  const hit = closest(text, [...values, ...variants], { prefix, meaning: (candidate) => meaningOf(field, candidate) });
  if (hit !== null) return stored(hit);
  if (field === 'jenis_kelamin') return clearlyOneSex(text);
  return field === 'kewarganegaraan' && prefix ? matchNationality(text) : null;
}

/**
 * `LAKI-LAKI` and `PEREMPUAN` share almost no letters, so a reading too garbled to be within the
 * usual tolerance of either (`LAIG-LAIC`, `LAKT LAN`, `PERENPLIAN`) still says which one it is when
 * it is far closer to one: at most half of its letters wrong, and at least 3 edits nearer than the
 * other. The check against the NIK's sex stays safe: the garbled characters were read with a low
 * probability, so a mismatch on them goes to review, not rejection (checks/evidence.ts).
 */
function clearlyOneSex(text: string): string | null {
  const value = compactOf(text);
  if (value.length < 3) return null;
  const [first, second] = JENIS_KELAMIN.map((candidate) => ({
    candidate,
    distance: editDistance(compactOf(candidate), value),
  })).sort((a, b) => a.distance - b.distance);
  if (first === undefined || second === undefined) return null;
  const near = first.distance <= compactOf(first.candidate).length / 2;
  return near && second.distance - first.distance >= 3 ? first.candidate : null;
}

/** An enumeration value as read: snapped when close to the list, else the cleaned text. */
export function enumValue(field: EnumField, text: string): string | null {
  const value = cleanValue(text);
  if (value === '') return null;
  return snapEnum(field, value) ?? value;
}

/**
 * Blood group: `0` read for `O` and `8` for `B` are undone, spaces and the Unicode minus normalised;
 * a label with nothing after it means the card prints `-` (the dash itself is often not read).
 */
export function bloodGroup(text: string): string {
  const value = cleanValue(text);
  if (value === '' || /^[-_~]+$/.test(value)) return '-';
  // The first word only (another column may follow on the same line), its sign possibly detached.
  const group = /^([AB08O]{1,2})\s?([+-])?(?:\s|$)/.exec(value);
  const letters = group?.[1]?.replace(/0/g, 'O').replace(/8/g, 'B');
  if (!group || !letters || !/^(AB|A|B|O)$/.test(letters)) return value;
  return `${letters}${group[2] ?? ''}`;
}

/** Whether `text` looks like a blood-group value (for a value found on the line after its label). */
export function looksLikeBloodGroup(text: string): boolean {
  return /^(AB|A8|A|B|8|O|0)?\s*[+-]?$/.test(cleanValue(text)) && cleanValue(text) !== '';
}

/**
 * Whether a `berlaku_hingga` value means "valid for life": `SEUMUR HIDUP` and misspellings of it
 * (`SEUMUR HIDIP` is printed on some cards, `SEUMURHIDUP` is how the recogniser reads it).
 */
export function isLifetime(text: string): boolean {
  const value = compactOf(text);
  return value.length > 0 && editDistance(value, compactOf(LIFETIME)) <= 2;
}

/**
 * `berlaku_hingga` as read: a lifetime value keeps its printed spelling (the labels keep typos) but
 * gets its space back; anything else is returned cleaned for the caller to parse as a date.
 */
export function lifetimeValue(text: string): string {
  return respaceLike(cleanValue(text), LIFETIME);
}
