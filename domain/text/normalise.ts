/**
 * Text helpers shared by the KTP and NPWP parsers: one normal form for OCR lines, repair of digit
 * fields, dates and RT/RW. Pure functions, no locale or clock: "today" is always passed in.
 */
import { isoDate, isRealDate } from '../dates.ts';

/**
 * One OCR line in a normal form that keeps the letter case (digit repair needs to tell `l` from `L`):
 * Unicode compatibility forms folded (full-width `：` and letters become ASCII), other colon-like marks
 * turned into `:`, runs of white space collapsed.
 */
export function normaliseLine(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/[\u2236\u02d0\ua789]/g, ':')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Upper case, single spaces, trimmed: the form the labels use (shared/eval/README.md). */
export function upperText(text: string): string {
  return normaliseLine(text).toUpperCase();
}

/**
 * A printed value as the labels write it: upper case, single spaces, without the separators the
 * recogniser leaves at either end (a second `:` of a doubled colon, a trailing comma).
 */
export function cleanValue(text: string): string {
  return upperText(text)
    .replace(/^[\s:;=]+/, '')
    .replace(/[\s:;,]+$/, '')
    .trim();
}

/**
 * Letters and marks the recogniser reads where the card prints a digit. Applied only inside fields
 * that must be digits (NIK, NPWP, dates, RT/RW): in names they would turn letters into numbers.
 */
const LOOKS_LIKE_DIGIT: Readonly<Record<string, string>> = {
  O: '0',
  o: '0',
  D: '0',
  Q: '0',
  I: '1',
  l: '1',
  i: '1',
  '|': '1',
  '!': '1',
  S: '5',
  s: '5',
  B: '8',
  Z: '2',
  z: '2',
  G: '6',
  T: '7',
};

/** Characters that are a digit or look like one (the class used to find digit fields in a line). */
export const DIGITISH = '[0-9OoDQIli|!SsBZzGT]';

/** Replaces look-alike letters by the digits they stand for; other characters are kept. */
export function repairDigits(text: string): string {
  let out = '';
  for (const char of text) out += LOOKS_LIKE_DIGIT[char] ?? char;
  return out;
}

/** A word that, look-alikes repaired, holds more letters than digits (`0NL1NE`, not `N1K:3171…`). */
function isText(repaired: string): boolean {
  const letters = repaired.match(/[A-Za-z]/g)?.length ?? 0;
  const digits = repaired.match(/\d/g)?.length ?? 0;
  return letters >= 2 && letters > digits;
}

/**
 * The digits of a number field (NIK, NPWP): spaces and the printed separators (`.` `-`) removed,
 * look-alikes repaired, then the longest run of digits. Null when there is none. A word with more
 * letters than digits (`ONLINE` of a watermark crossing the number) is text, and ends the number
 * rather than lending it its `O`; a label glued to the number (`NIK:3171…`) is not.
 */
export function digitField(text: string): string | null {
  const words = normaliseLine(text)
    .split(/\s+/)
    .map((word) => (isText(repairDigits(word)) ? '#' : word));
  const repaired = repairDigits(words.join('').replace(/[.,\-–]/g, ''));
  const runs = repaired.match(/\d+/g);
  if (!runs) return null;
  return runs.reduce((longest, run) => (run.length > longest.length ? run : longest), '');
}

/** How a two-digit year is given a century. */
export type TwoDigitYear =
  /** Birth dates: 20YY when YY ≤ today's YY, else 19YY (a birth date is never in the future). */
  | 'past'
  /** Expiry and registration dates: the century that puts the year closest to today. */
  | 'nearest';

export type DateOptions = { today?: string; twoDigitYear?: TwoDigitYear };

function resolveYear(year: string, options: DateOptions): number | null {
  if (year.length === 4) return Number(year);
  if (!options.today) return null; // No clock in the domain: without today a short year stays unknown.
  const todayYear = Number(options.today.slice(0, 4));
  const yy = Number(year);
  if ((options.twoDigitYear ?? 'past') === 'past') {
    return yy <= todayYear % 100 ? 2000 + yy : 1900 + yy;
  }
  const century = Math.floor(todayYear / 100) * 100;
  const candidates = [century - 100 + yy, century + yy, century + 100 + yy];
  return candidates.reduce((best, candidate) =>
    Math.abs(candidate - todayYear) < Math.abs(best - todayYear) ? candidate : best,
  );
}

function toIso(day: string, month: string, year: string, options: DateOptions): string | null {
  const y = resolveYear(year, options);
  if (y === null) return null;
  const iso = isoDate(y, Number(month), Number(day));
  return isRealDate(iso) ? iso : null;
}

/**
 * A whole value that is a date, as ISO `YYYY-MM-DD`, or null when it is not a real calendar date.
 * Accepts `DD-MM-YYYY`, `DD/MM/YYYY`, `DD.MM.YYYY`, `DD MM YYYY`, doubled or mixed separators,
 * `DDMMYYYY`, two-digit years (with `today`), and look-alike letters in place of digits.
 */
export function parseDate(text: string, options: DateOptions = {}): string | null {
  const value = repairDigits(normaliseLine(text));
  const separated = /^(\d{1,2})\s*[-/.,\s]+\s*(\d{1,2})\s*[-/.,\s]+\s*(\d{4}|\d{2})$/.exec(value);
  if (separated) return toIso(separated[1] as string, separated[2] as string, separated[3] as string, options);
  const packed = /^(\d{2})(\d{2})(\d{4}|\d{2})$/.exec(value.replace(/\s/g, ''));
  if (packed) return toIso(packed[1] as string, packed[2] as string, packed[3] as string, options);
  return null;
}

/** A date found inside a longer value, and where it starts. */
export type FoundDate = { iso: string; index: number };

// Sticky, so every start position can be tried: a place name ending in a look-alike letter
// (`BANDUNG.01-01-1990`) must not hide the real date that starts one character later. A lone
// space counts as a separator too (`29 06-2026`).
const DATE_AT = new RegExp(
  `(${DIGITISH}{1,2})(?: ?[-/.]{1,2} ?| )(${DIGITISH}{1,2})(?: ?[-/.]{1,2} ?| )(${DIGITISH}{4}|${DIGITISH}{2})(?![0-9])`,
  'y',
);
/**
 * One separator lost (`17-121950`, `1310-2007`) or both (`15081976`): only with real digits, a
 * two-digit day and month and a four-digit year, since the groups are told apart by length alone.
 */
const PACKED_DATE_AT = /(\d{2})[-/.]?(\d{2})[-/.]?(\d{4})(?![0-9])/y;

type DateCandidate = FoundDate & { digits: number; separators: number; year: number; length: number };

/**
 * More genuine digits, then both separators read, then a four-digit year, then the longer match
 * (`O1-01-199O` over `1-01-199O`), then the later.
 */
function preferDate(a: DateCandidate, b: DateCandidate): boolean {
  if (a.digits !== b.digits) return a.digits > b.digits;
  if (a.separators !== b.separators) return a.separators > b.separators;
  if (a.year !== b.year) return a.year > b.year;
  if (a.length !== b.length) return a.length > b.length;
  return a.index > b.index;
}

/**
 * The most plausible date inside `text` (the `KOTA, DD-MM-YYYY` of a birth line, the date after
 * `Terdaftar`), see `preferDate`. Null when there is none.
 */
export function findDate(text: string, options: DateOptions = {}): FoundDate | null {
  const value = normaliseLine(text);
  let best: DateCandidate | null = null;
  for (let index = 0; index < value.length; index++) {
    if (index > 0 && /[0-9]/.test(value[index - 1] as string)) continue;
    for (const pattern of [DATE_AT, PACKED_DATE_AT]) {
      pattern.lastIndex = index;
      const match = pattern.exec(value);
      if (!match) continue;
      const [whole, day, month, year] = match as unknown as [string, string, string, string];
      const iso = toIso(repairDigits(day), repairDigits(month), repairDigits(year), options);
      if (!iso) continue;
      const candidate = {
        iso,
        index,
        digits: (whole.match(/[0-9]/g) ?? []).length,
        separators: pattern === DATE_AT ? 2 : whole.length - 8,
        year: year.length,
        length: whole.length,
      };
      if (best === null || preferDate(candidate, best)) best = candidate;
    }
  }
  return best ? { iso: best.iso, index: best.index } : null;
}

/**
 * RT/RW as `NNN/NNN`, zero-padded (`1/2` → `001/002`), or null when the value is not two numbers.
 * The slash is sometimes lost (`007008`) or read as `1`/`I`/`l` (`0071008`).
 */
export function normaliseRtRw(text: string): string | null {
  const value = normaliseLine(text).replace(/\s/g, '').replace(/\\/g, '/');
  const pad = (part: string) => part.padStart(3, '0');
  const slash = value.indexOf('/');
  if (slash >= 0) {
    const rt = repairDigits(value.slice(0, slash)).replace(/[^0-9]/g, '');
    const rw = repairDigits(value.slice(slash + 1)).replace(/[^0-9]/g, '');
    if (rt.length >= 1 && rt.length <= 3 && rw.length >= 1 && rw.length <= 3) return `${pad(rt)}/${pad(rw)}`;
    return null;
  }
  if (value.length === 7 && /[1Il|!]/.test(value[3] as string)) {
    const rt = repairDigits(value.slice(0, 3));
    const rw = repairDigits(value.slice(4));
    if (/^\d{3}$/.test(rt) && /^\d{3}$/.test(rw)) return `${rt}/${rw}`;
  }
  const digits = repairDigits(value);
  if (/^\d{6}$/.test(digits)) return `${digits.slice(0, 3)}/${digits.slice(3)}`;
  if (/^\d{4}$/.test(digits)) return `${pad(digits.slice(0, 2))}/${pad(digits.slice(2))}`;
  return null;
}
