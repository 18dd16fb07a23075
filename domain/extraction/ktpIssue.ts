/**
 * The place and date of issue a KTP prints under the photo (`tempat_terbit`, `tanggal_terbit`):
 * where to find them on the lines the OCR read. With boxes they are the lines of the photo column
 * (layout.ts), or words the reading order glued onto a value level with them; without boxes, the
 * city and date lines that no field took, at the end of the card.
 */
import { findDate } from '../text/normalise.ts';
import { type EnumField, snapEnum } from './enums.ts';
import { inPhotoColumn, type Placed } from './layout.ts';

/** A line that is a date and no words (`12-08-2016`, `12 08-2016`). */
export const isDateLine = (text: string): boolean => findDate(text) !== null && !/[A-Za-z]{3,}/.test(text);
/** A line that is a place name: words, no number. */
export const isPlaceLine = (text: string): boolean => /[A-Za-z]{3,}/.test(text) && !/\d{3,}/.test(text);

/** A word made of digits, their look-alikes and date separators. */
const DATE_WORD = /^[0-9OoIl|SBZG\-./]+$/;

/**
 * The words at the end of a value that make a date (`WIRASWASTA 15-01-2024`, `PENSIUNAN 21-012018`):
 * the issue date under the photo, read onto the same line as the occupation or the citizenship. Null
 * when the value does not end in one, or is nothing but one. Word by word, so a long hostile line
 * costs linear time.
 */
export function trailingDate(raw: string): { head: string; date: string } | null {
  const words = raw.trim().split(/\s+/);
  let start = words.length;
  while (start > 0 && DATE_WORD.test(words[start - 1] as string)) start--;
  const head = words.slice(0, start).join(' ');
  const date = words.slice(start).join(' ');
  if (start === words.length || !/[A-Za-z]/.test(head) || (date.match(/[0-9]/g) ?? []).length < 4) return null;
  return findDate(date) === null ? null : { head, date };
}

/** A line reaching further right than this (pitches, layout.ts) reads into the photo column: values end before 22. */
const REACHES_PHOTO = 22.5;
/** How far the character width implied by a split may be from the one measured under the photo. */
const CHAR_WIDTH_TOLERANCE = 0.3;

/** Where the text under the photo is centred and how wide its characters are, in pitches. */
export type PhotoText = { centre: number; charWidth: number };

/** The text under the photo measured on its lines that stand alone; null when none does. */
export function photoText(texts: readonly string[], places: readonly (Placed | null)[]): PhotoText | null {
  const standalone = places.flatMap((place, index) =>
    place !== null && inPhotoColumn(place) ? [{ place, length: (texts[index] ?? '').length }] : [],
  );
  if (standalone.length === 0) return null;
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;
  return {
    centre: mean(standalone.map(({ place }) => (place.left + place.right) / 2)),
    charWidth: mean(standalone.map(({ place, length }) => (place.right - place.left) / Math.max(1, length))),
  };
}

/**
 * How many trailing words of a line that reaches into the photo column are the text under the photo
 * (`Pekerjaan : KARYAWAN SWASTA JAKARTA BARAT`): the reading order glued them on. That text is
 * centred under the photo, so its width is twice the line's reach past the centre; the split is the
 * word boundary that gives it the character width of the card's other line under the photo. Only
 * measured from such a line, never guessed: 0 when there is none, when the line does not reach the
 * photo column, or when no split fits.
 */
export function photoTailWords(text: string, place: Placed | null, photo: PhotoText | null): number {
  if (photo === null || place === null || place.right < REACHES_PHOTO || place.row < 0.5) return 0;
  const words = text.split(' ');
  const width = 2 * (place.right - photo.centre);
  let best = { words: 0, error: CHAR_WIDTH_TOLERANCE };
  for (let count = 1; count <= Math.min(3, words.length - 2); count++) {
    const charWidth = width / words.slice(-count).join(' ').length;
    const error = Math.abs(charWidth / photo.charWidth - 1);
    if (error < best.error) best = { words: count, error };
  }
  return best.words;
}

/**
 * The words after an enumeration's value (`BELUM KAWIN JAKARTA BARAT`) on a line that reaches into
 * the photo column: the enumeration says where its value ends, the rest is the text under the photo
 * glued on. Null when the line does not reach the photo column or nothing follows the value.
 */
export function enumTail(field: EnumField, value: string, place: Placed | null): string | null {
  if (place === null || place.right < REACHES_PHOTO || place.row < 0.5) return null;
  const words = value.trim().split(/\s+/);
  for (let count = 1; count < words.length && count <= 3; count++) {
    if (snapEnum(field, words.slice(0, count).join(' '), { prefix: false }) !== null) {
      return words.slice(count).join(' ');
    }
  }
  return null;
}

/** The lines of the place and of the date of issue (indexes), null where not found. */
export type IssueLines = { place: number | null; date: number | null };

/** Under the photo: the lowest date line, and the city printed right above it. */
export function issueUnderPhoto(
  texts: readonly string[],
  photoLines: readonly number[],
  places: readonly (Placed | null)[],
): IssueLines {
  const rowOf = (index: number) => places[index]?.row ?? 0;
  const byRow = [...photoLines].sort((a, b) => rowOf(a) - rowOf(b));
  const date = byRow.filter((index) => isDateLine(texts[index] ?? '')).at(-1) ?? null;
  const above = byRow.filter(
    (index) => isPlaceLine(texts[index] ?? '') && (date === null || rowOf(index) < rowOf(date)),
  );
  return { place: above.at(-1) ?? null, date };
}

/**
 * Without boxes: the last line that is nothing but a date and that no field took, and the unused
 * city line before it: right before, or one line earlier when the reading order put the occupation,
 * level with them, in between.
 */
export function issueByText(texts: readonly string[], used: ReadonlySet<number>): IssueLines {
  for (let index = texts.length - 1; index >= 0; index--) {
    if (used.has(index) || !isDateLine(texts[index] ?? '')) continue;
    const place = [index - 1, index - 2].find(
      (before) => before >= 0 && !used.has(before) && isPlaceLine(texts[before] ?? ''),
    );
    return { place: place ?? null, date: index };
  }
  return { place: null, date: null };
}
