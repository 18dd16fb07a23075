/**
 * Finding the printed label at the start of an OCR line (`Status Perkawinan : KAWIN`) and the value
 * after it, the way the recogniser really returns them: spaces dropped (`StatusPerkawinan:KAWIN`),
 * the colon lost, doubled or full-width, a letter wrong (`Kewarganegaraar`), the label glued to the
 * value (`NIK3171…`). Labels are compared on their compact form (letters only, see fuzzy.ts).
 */
import { compactLetters, editDistance } from './fuzzy.ts';
import { normaliseLine } from './normalise.ts';

/**
 * A label and the compact spellings it may have on the card (`TEMPATTGLLAHIR`, `TEMPATLAHIR`).
 * `slack`: letters more that may be wrong when no colon delimits the label, for a label no value
 * starts like (`KELDESA`): the recogniser misreads the letters around its slash (`KeI/Desa`,
 * `Kel/Dcsa`), which the exact prefix rule for short labels would not forgive.
 */
export type LabelSpec<K extends string> = {
  readonly key: K;
  readonly names: readonly string[];
  readonly slack?: number;
  /** Matched only before a colon: spellings a value could start with (`DESA KEL…` for `Desa/Kel`). */
  readonly delimited?: boolean;
};

export type LabelHit<K extends string> = {
  key: K;
  /** The text after the label and its separator, as read (case kept), possibly empty. */
  value: string;
};

// With a colon the label part is delimited, so a misspelling is safe to accept.
const colonTolerance = (length: number) => (length <= 5 ? 1 : length <= 9 ? 2 : 3);
// Without one the label is only a prefix of the line, and a value can start like a label
// (`ALAMANDA…` is not `ALAMAT`): short labels must then be exact.
const prefixTolerance = (length: number) => (length <= 7 ? 0 : length <= 11 ? 1 : 2);

/**
 * `offBy`: how many more or fewer letters than the label the matched prefix has; `boundary`: whether
 * the label ends at a word's end (`Kel/Des RAMBUNG` is cut before `RAMBUNG`, not after its R).
 */
type Candidate<K extends string> = {
  key: K;
  name: string;
  distance: number;
  cut: number;
  offBy: number;
  boundary: boolean;
};

function better<K extends string>(a: Candidate<K>, b: Candidate<K> | null): boolean {
  if (b === null) return true;
  if (a.distance !== b.distance) return a.distance < b.distance;
  if (a.name.length !== b.name.length) return a.name.length > b.name.length; // `TANGGALTERDAFTAR` over `TERDAFTAR`
  if (a.boundary !== b.boundary) return a.boundary;
  return a.offBy < b.offBy;
}

/** The label in front of `head` (text before a colon), compared as a whole. */
function matchHead<K extends string>(head: string, specs: readonly LabelSpec<K>[]): K | null {
  const { compact } = compactLetters(head);
  if (compact.length === 0) return null;
  let best: Candidate<K> | null = null;
  for (const spec of specs) {
    for (const name of spec.names) {
      const distance = editDistance(name, compact);
      // A three-letter label (NIK) may have one wrong letter, but not a missing or extra one.
      if (name.length <= 3 && distance > 0 && compact.length !== name.length) continue;
      if (distance > colonTolerance(name.length)) continue;
      const candidate = { key: spec.key, name, distance, cut: head.length, offBy: 0, boundary: true };
      if (better(candidate, best)) best = candidate;
    }
  }
  return best?.key ?? null;
}

/** The label the line starts with when no colon delimits it, and where its text ends in `line`. */
function matchPrefix<K extends string>(line: string, specs: readonly LabelSpec<K>[]): Candidate<K> | null {
  const { compact, ends } = compactLetters(line);
  let best: Candidate<K> | null = null;
  for (const spec of specs) {
    if (spec.delimited) continue;
    for (const name of spec.names) {
      const tolerance = prefixTolerance(name.length) + (spec.slack ?? 0);
      for (let length = Math.max(1, name.length - tolerance); length <= name.length + tolerance; length++) {
        if (length > compact.length) break;
        const distance = editDistance(name, compact.slice(0, length));
        if (distance > tolerance) continue;
        const cut = ends[length - 1] as number;
        const boundary = cut >= line.length || /[\s:;.]/.test(line[cut] as string);
        const candidate = { key: spec.key, name, distance, cut, offBy: Math.abs(length - name.length), boundary };
        if (better(candidate, best)) best = candidate;
      }
    }
  }
  return best;
}

/**
 * Edits forgiven in a label the card's layout expects on this line (`Jenis Kelar`, `gama`). A name
 * of four letters or fewer (`TTL`, `NAMA`) forgives one: with two, `TTL` matched the `T` of any word.
 */
const expectedTolerance = (length: number) => (length <= 4 ? 1 : Math.max(2, Math.ceil(length / 3)));
/** The shortest end of a label read alone when a tilted or cropped photo cut its start (`Hingga`). */
const MIN_CUT_LABEL = 4;

/**
 * A label's spellings and, since the card's edge or a finger may cut a label's start (`rganegaraan`,
 * `Hingga`, `gama`), its ends of 4 letters or more with a tolerance of one edit per 4 letters.
 */
function expectedSpellings(names: readonly string[]): { name: string; tolerance: number }[] {
  return names.flatMap((name) => [
    { name, tolerance: expectedTolerance(name.length) },
    ...Array.from({ length: Math.max(0, name.length - MIN_CUT_LABEL) }, (_, start) => {
      const end = name.slice(start + 1);
      return { name: end, tolerance: Math.floor(end.length / 4) };
    }),
  ]);
}

/**
 * The value after `spec`'s label when the layout already says the line starts with that label (it
 * is in the label column, on that label's row), so a much rougher reading is accepted: one label
 * instead of all of them, no risk of taking a value for a label. Null when even that does not match.
 * The label ends where the edit distance is least, at a word's end when that ties.
 */
export function matchExpectedLabel<K extends string>(line: string, spec: LabelSpec<K>): LabelHit<K> | null {
  const text = normaliseLine(line);
  const colon = text.search(/[:;]/);
  const { compact, ends } = compactLetters(text);
  const head = colon > 0 ? compactLetters(text.slice(0, colon)).compact : null;
  let best: { distance: number; cut: number; boundary: boolean } | null = null;
  for (const { name, tolerance } of expectedSpellings(spec.names)) {
    if (head !== null && editDistance(name, head) <= tolerance) {
      return { key: spec.key, value: text.slice(colon + 1).replace(/^[\s:;]+/, '') };
    }
    for (let length = Math.max(1, name.length - tolerance); length <= name.length + tolerance; length++) {
      if (length > compact.length) break;
      const distance = editDistance(name, compact.slice(0, length));
      if (distance > tolerance) continue;
      const cut = ends[length - 1] as number;
      const boundary = cut >= text.length || /[\s:;.]/.test(text[cut] as string);
      if (best === null || distance < best.distance || (distance === best.distance && boundary && !best.boundary)) {
        best = { distance, cut, boundary };
      }
    }
  }
  if (best === null) return null;
  return { key: spec.key, value: text.slice(best.cut).replace(/^[\s:;.]+/, '') };
}

/** The label at the start of `line` and the value after it, or null when the line has no label. */
export function matchLabel<K extends string>(line: string, specs: readonly LabelSpec<K>[]): LabelHit<K> | null {
  const text = normaliseLine(line);
  // A `;` is a colon the recogniser misread; labels never contain either.
  const colon = text.search(/[:;]/);
  if (colon > 0) {
    const key = matchHead(text.slice(0, colon), specs);
    if (key !== null) return { key, value: text.slice(colon + 1).replace(/^[\s:;]+/, '') };
  }
  const prefix = matchPrefix(text, specs);
  if (prefix === null) return null;
  return { key: prefix.key, value: text.slice(prefix.cut).replace(/^[\s:;.]+/, '') };
}
