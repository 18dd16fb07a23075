/**
 * The closed value lists a KTP prints (Permendagri on KTP-el data), and how a read value is snapped to
 * them. Snapping fixes what the recogniser does to these words (dropped spaces, one wrong letter);
 * a value that is not close to any entry is kept as read, so the checks can flag it.
 */
import { closest, compactOf, editDistance, respaceLike } from '../text/fuzzy.ts';
import { cleanValue } from '../text/normalise.ts';

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

export type EnumField = 'agama' | 'status_perkawinan' | 'kewarganegaraan' | 'jenis_kelamin';

export const ENUMS: Readonly<Record<EnumField, readonly string[]>> = {
  agama: AGAMA,
  status_perkawinan: STATUS_PERKAWINAN,
  kewarganegaraan: KEWARGANEGARAAN,
  jenis_kelamin: JENIS_KELAMIN,
};

/** Other spellings found on cards, mapped to the canonical value. */
const VARIANTS: Readonly<Record<string, string>> = {
  KATHOLIK: 'KATOLIK',
  BUDHA: 'BUDDHA',
  KEPERCAYAAN: 'KEPERCAYAAN TERHADAP TUHAN YME',
  'KEPERCAYAAN TERHADAP TUHAN YANG MAHA ESA': 'KEPERCAYAAN TERHADAP TUHAN YME',
};

/**
 * The canonical value `text` stands for, or null. `prefix` also accepts noise after the value
 * (another column on the same row); content detection on unlabelled lines turns it off.
 */
export function snapEnum(field: EnumField, text: string, options: { prefix?: boolean } = {}): string | null {
  const values = ENUMS[field];
  const variants = Object.keys(VARIANTS).filter((variant) => values.includes(VARIANTS[variant] as string));
  const meaning = (candidate: string) => VARIANTS[candidate] ?? candidate;
  const hit = closest(text, [...values, ...variants], { prefix: options.prefix ?? true, meaning });
  return hit === null ? null : meaning(hit);
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
