/**
 * Approximate string matching for OCR text. The recogniser drops spaces, loses or swaps a letter and
 * reads letters as digits, so labels, enumerations and region names are compared on a "compact"
 * form (letters only, digits that look like letters turned back into letters) with a small edit
 * distance instead of exact equality.
 */

/** Digits and marks the recogniser produces where the card shows a letter (only for letter fields). */
const LOOKS_LIKE_LETTER: Readonly<Record<string, string>> = {
  '0': 'O',
  '1': 'I',
  '2': 'Z',
  '5': 'S',
  '6': 'G',
  '8': 'B',
  '|': 'I',
  '!': 'I',
};

/** Levenshtein distance (insertions, deletions, substitutions each cost 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  let current = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    current[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + cost,
      );
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length] as number;
}

/**
 * Whether `needle` occurs in `haystack` with at most `maxDistance` edits (Sellers' algorithm:
 * the match may start anywhere in the haystack).
 */
export function fuzzyContains(haystack: string, needle: string, maxDistance: number): boolean {
  if (needle.length === 0) return true;
  if (maxDistance === 0) return haystack.includes(needle);
  // column[i] = best distance of needle[0..i) ending at the current haystack position.
  let column = Array.from({ length: needle.length + 1 }, (_, index) => index);
  if ((column[needle.length] as number) <= maxDistance) return true;
  for (const char of haystack) {
    const next = new Array<number>(needle.length + 1).fill(0);
    for (let i = 1; i <= needle.length; i++) {
      const cost = needle[i - 1] === char ? 0 : 1;
      next[i] = Math.min((column[i] as number) + 1, (next[i - 1] as number) + 1, (column[i - 1] as number) + cost);
    }
    column = next;
    if ((column[needle.length] as number) <= maxDistance) return true;
  }
  return false;
}

/**
 * The compact form of a text and, for each compact character, the index in `text` just after it, so a
 * caller that matched a compact prefix can cut the original text at the same place.
 */
export type Compact = { compact: string; ends: number[] };

/** Upper-cases, turns look-alike digits into letters and drops everything that is not A–Z. */
export function compactLetters(text: string): Compact {
  let compact = '';
  const ends: number[] = [];
  for (let index = 0; index < text.length; index++) {
    const raw = text[index] as string;
    const upper = raw.toUpperCase();
    const letter = LOOKS_LIKE_LETTER[raw] ?? (upper.length === 1 ? upper : raw);
    if (letter >= 'A' && letter <= 'Z') {
      compact += letter;
      ends.push(index + 1);
    }
  }
  return { compact, ends };
}

/** `compactLetters(text).compact`. */
export const compactOf = (text: string): string => compactLetters(text).compact;

/**
 * The edit budget for a word of `length` letters. Short words get none: one wrong letter in a
 * four-letter word already makes it a different word (KOTA/KITA, WNI/WNA).
 */
export function toleranceFor(length: number): number {
  if (length <= 3) return 0;
  if (length <= 5) return 1;
  if (length <= 9) return 2;
  return 3;
}

/**
 * The best of `candidates` for `text`, compared on compact forms, or null when none is within
 * tolerance or two candidates are equally close (an ambiguous read is not snapped).
 * With `prefix`, a candidate may also match the start of the text, so trailing noise from the next
 * column (`WNI 22-02-2012`) does not hide the value. `meaning` maps spellings of the same value
 * (`KATHOLIK`, `KATOLIK`) together so they are not taken for an ambiguity.
 */
export function closest(
  text: string,
  candidates: readonly string[],
  options: { prefix?: boolean; meaning?: (candidate: string) => string } = {},
): string | null {
  const meaning = options.meaning ?? ((candidate: string) => candidate);
  const value = compactOf(text);
  if (value.length === 0) return null;
  let best: { candidate: string; distance: number; whole: boolean } | null = null;
  let tie = false;
  for (const candidate of candidates) {
    const target = compactOf(candidate);
    let distance = editDistance(target, value);
    let whole = true;
    if (options.prefix && value.length > target.length) {
      for (let length = Math.max(1, target.length - 1); length <= target.length + 1; length++) {
        const prefixDistance = editDistance(target, value.slice(0, length));
        if (prefixDistance < distance) {
          distance = prefixDistance;
          whole = false;
        }
      }
    }
    if (distance > toleranceFor(target.length)) continue;
    if (best === null || distance < best.distance || (distance === best.distance && whole && !best.whole)) {
      tie = false;
      best = { candidate, distance, whole };
    } else if (distance === best.distance && whole === best.whole && meaning(best.candidate) !== meaning(candidate)) {
      tie = true;
    }
  }
  return best && !tie ? best.candidate : null;
}

/**
 * Re-inserts the spaces of `canonical` into `text` when the recogniser dropped them
 * (`SEUMURHIDIP` → `SEUMUR HIDIP`): only when `text` has no space and the same number of letters.
 */
export function respaceLike(text: string, canonical: string): string {
  if (/\s/.test(text)) return text;
  const words = canonical.split(' ');
  if (words.join('').length !== text.length) return text;
  const out: string[] = [];
  let offset = 0;
  for (const word of words) {
    out.push(text.slice(offset, offset + word.length));
    offset += word.length;
  }
  return out.join(' ');
}
