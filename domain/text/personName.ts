/**
 * Whether two readings of a person's name, from two different cards, name the same person. The same
 * person's name differs between a KTP and an NPWP card in ways that do not make it another name:
 *  - the recogniser confuses look-alike characters (0/O, 1/I/L, 5/S, 8/B, 2/Z, 6/G), drops or adds
 *    a space, reads a dot as a comma, and loses or swaps a letter;
 *  - one card abbreviates: initials (`M. RIZKY`), the usual short forms of common first names
 *    (`MOH`, `MOHD`, `MUH` for MUHAMMAD; `ABD` for ABDUL; `ST` for SITI), a middle name left out;
 *  - one card prints titles the other does not: `H.`, `HJ`, `DR`, `IR`, `PROF` before the name,
 *    degrees after it (`, S.KOM`, `S.H.`, `M.M.`);
 *  - cards issued before and after the 1972 spelling reform (EYD) spell the same name `SOEKARNO` and
 *    `SUKARNO`, `DJOKO` and `JOKO`; doubled letters come and go (`MUHAMAD`).
 * Anything else is a different name. Pure: no I/O.
 */
import { editDistance, toleranceFor } from './fuzzy.ts';

/** How two names were found to agree, from the closest to the loosest. */
export type NameAgreement =
  /** The same words once case, punctuation, spacing and titles are set aside. */
  | 'exact'
  /** The same words up to look-alike characters, a letter or two, spaces and old spellings. */
  | 'close'
  /** One name abbreviates the other: initials, short forms, or a name left out. */
  | 'abbreviated';

export type NameComparison =
  | { outcome: 'match'; agreement: NameAgreement }
  | { outcome: 'mismatch' }
  /** A name without a word of two letters or more once titles are set aside: nothing to compare. */
  | { outcome: 'unreadable' };

/**
 * Characters the recogniser reads for one another, folded to one of each pair for comparing (in
 * names, unlike in numbers, the letter is the likely truth). `L` joins `I` and `1`: on a card's
 * sans-serif capitals they differ by a short foot that blur erases.
 */
const CONFUSABLE: Readonly<Record<string, string>> = {
  '0': 'O',
  Q: 'O',
  '1': 'I',
  L: 'I',
  '|': 'I',
  '!': 'I',
  '5': 'S',
  '8': 'B',
  '2': 'Z',
  '6': 'G',
};

/** Written before a name: religious, academic, professional and courtesy titles (dots removed). */
const PREFIX_TITLES: ReadonlySet<string> = new Set([
  'H',
  'HJ',
  'HJH',
  'HAJI',
  'HAJAH',
  'HAJJAH',
  'KH',
  'DR',
  'DRS',
  'DRA',
  'DRG',
  'DRH',
  'IR',
  'PROF',
  'NY',
  'TN',
  'SDR',
  'SDRI',
]);

/**
 * Written after a name: Indonesian degrees (Sarjana, Magister, Diploma, specialist) and a few
 * foreign ones, dots removed. `S.KOM` is `SKOM`, `S.H.` is `SH`, `A.MD.KEB` is `AMDKEB`.
 */
const SUFFIX_TITLES: ReadonlySet<string> = new Set([
  'SAG',
  'SAK',
  'SDS',
  'SE',
  'SFARM',
  'SGZ',
  'SH',
  'SHI',
  'SHUT',
  'SI',
  'SIKOM',
  'SIP',
  'SKED',
  'SKEP',
  'SKG',
  'SKM',
  'SKOM',
  'SP',
  'SPD',
  'SPDI',
  'SPSI',
  'SPT',
  'SS',
  'SSI',
  'SSN',
  'SSOS',
  'SST',
  'SSTP',
  'ST',
  'STP',
  'STR',
  'AMD',
  'AMDKEB',
  'AMDKEP',
  'AMK',
  'MA',
  'MAG',
  'MAK',
  'MBA',
  'MH',
  'MHUM',
  'MKES',
  'MKM',
  'MKN',
  'MKOM',
  'MM',
  'MPD',
  'MPH',
  'MPSI',
  'MSC',
  'MSI',
  'MT',
  'APT',
  'NS',
  'BSC',
  'LC',
  'PHD',
  'SPA',
  'SPB',
  'SPOG',
  'SPPD',
  'SPM',
  'SPKK',
  'SPJP',
]);

/** Words that join a name to a father's name (`AHMAD BIN ABDULLAH`): not a name. */
const PARTICLES: ReadonlySet<string> = new Set(['BIN', 'BINTI']);

/**
 * Spellings and short forms of the same common first names. These names are shared by so many
 * people that agreeing on one of them alone says nothing (see `distinctive`).
 */
const NAME_FORMS: readonly (readonly string[])[] = [
  [
    'MUHAMMAD',
    'MUHAMAD',
    'MOHAMMAD',
    'MOHAMAD',
    'MOHAMMED',
    'MUHAMMED',
    'MUCHAMMAD',
    'MOCHAMMAD',
    'MOHD',
    'MOH',
    'MUH',
    'MUHD',
    'MHD',
    'MOCH',
    'MUCH',
    'MHMD',
  ],
  ['AHMAD', 'ACHMAD', 'AHMED', 'ACHMED', 'AHMAT'],
  ['ABDUL', 'ABD'],
  ['SITI', 'ST'],
  ['NUR', 'NOOR'],
];

/** Upper case, accents removed. */
const upper = (text: string) => text.normalize('NFKD').replace(/\p{M}/gu, '').toUpperCase();

/** Look-alike characters folded (on upper-case text). */
function fold(text: string): string {
  let out = '';
  for (const char of text) out += CONFUSABLE[char] ?? char;
  return out;
}

/**
 * A word as it is compared: look-alikes folded, then in the spelling of today: the pre-1972
 * spellings that names keep (`OE` → `U`, `DJ` → `J`, `TJ` → `C`, `SJ` → `SY`, `NJ` → `NY`,
 * `CH` → `KH`), and doubled letters made single.
 */
function keyOf(letters: string): string {
  return fold(letters)
    .replace(/OE/g, 'U')
    .replace(/DJ/g, 'J')
    .replace(/TJ/g, 'C')
    .replace(/SJ/g, 'SY')
    .replace(/NJ/g, 'NY')
    .replace(/CH/g, 'KH')
    .replace(/([A-Z])\1+/g, '$1');
}

const folded = (words: readonly string[]) => new Set(words.map(fold));
const PREFIXES = folded([...PREFIX_TITLES]);
const SUFFIXES = folded([...SUFFIX_TITLES]);
const JOINERS = folded([...PARTICLES]);
const FORM_OF = new Map<string, number>(
  NAME_FORMS.flatMap((forms, group) => forms.map((form) => [keyOf(form), group])),
);

/** One word of a name: its letters as printed (upper case), its comparison key, whether a dot ended it. */
type Word = { letters: string; key: string; dotted: boolean };

/**
 * How many words at the start (`from: 'start'`) or end of `words` make a title of `titles`: one
 * word, or up to three where all but the last end in a dot (`S.KOM`, `A.MD.KEB`, `K.H.`).
 */
function titleLength(words: readonly Word[], titles: ReadonlySet<string>, from: 'start' | 'end'): number {
  for (const size of [1, 2, 3]) {
    if (words.length <= size) break;
    const run = from === 'start' ? words.slice(0, size) : words.slice(-size);
    if (run.slice(0, -1).some((word) => !word.dotted)) continue;
    if (titles.has(fold(run.map((word) => word.letters).join('')))) return size;
  }
  return 0;
}

/**
 * The words of a name: apostrophes dropped (`MA'RUF`), cut at spaces, punctuation and dots
 * (`M.RIZKY` is two words, the first one dotted); titles before and degrees after set aside, and
 * `BIN`/`BINTI`. A title is never the whole name.
 */
export function nameWords(name: string): Word[] {
  const words: Word[] = [];
  for (const chunk of upper(name)
    .replace(/['`\u2019]/g, '')
    .split(/[\s,;:/\-_()]+/)) {
    const parts = chunk.replace(/[^A-Z0-9|!.]/g, '').split('.');
    parts.forEach((letters, index) => {
      if (letters.length > 0) words.push({ letters, key: keyOf(letters), dotted: index < parts.length - 1 });
    });
  }
  for (let size = titleLength(words, PREFIXES, 'start'); size > 0; size = titleLength(words, PREFIXES, 'start'))
    words.splice(0, size);
  for (let size = titleLength(words, SUFFIXES, 'end'); size > 0; size = titleLength(words, SUFFIXES, 'end'))
    words.splice(-size, size);
  return words.filter((word) => !JOINERS.has(fold(word.letters)));
}

type Pairing = 'exact' | 'close' | 'abbreviated';

/** How word `a` stands for word `b` (either may be the short one), or null when it does not. */
function pairWords(a: Word, b: Word): Pairing | null {
  if (a.letters === b.letters) return 'exact';
  if (a.key === b.key) return 'close';
  const [short, long] = a.key.length <= b.key.length ? [a, b] : [b, a];
  const group = FORM_OF.get(a.key);
  if (group !== undefined && group === FORM_OF.get(b.key)) return 'abbreviated';
  // An initial; or a dotted short form of the other (`ABD.`, `SYAMS.`).
  if (short.key.length === 1 && long.key.startsWith(short.key)) return 'abbreviated';
  if (short.dotted && short.key.length >= 2 && long.key.startsWith(short.key)) return 'abbreviated';
  // One-letter words differ by a whole word; longer ones may carry a misread letter or two.
  if (short.key.length >= 2 && editDistance(a.key, b.key) <= toleranceFor(Math.min(a.key.length, b.key.length)))
    return 'close';
  return null;
}

/** Two or three words of one name read as one word of the other (a lost or an added space). */
function pairJoined(word: Word, run: readonly Word[]): Pairing | null {
  const letters = run.map((item) => item.letters).join('');
  const joined: Word = { letters, key: keyOf(letters), dotted: false };
  const pairing = pairWords(word, joined);
  // An initial or a short form cannot stand for several words.
  return pairing === 'abbreviated' ? null : pairing === null ? null : 'close';
}

/** A word that, agreed on, says something about who this is: not a common first name, not an initial. */
const distinctive = (word: Word) => word.key.length >= 2 && !FORM_OF.has(word.key);

type Alignment = {
  /** Words of `other` (the name that may leave words out) that words of `kept` account for. */
  covered: number;
  /** Full agreements (not initials or short forms) on a distinctive word. */
  distinctive: number;
  worst: Pairing;
  score: number;
};

const RANK: Readonly<Record<Pairing, number>> = { exact: 0, close: 1, abbreviated: 2 };
const worse = (a: Pairing, b: Pairing): Pairing => (RANK[a] >= RANK[b] ? a : b);
const JOIN_MAX = 3;

/**
 * The best in-order alignment of every word of `kept` with words of `other`, where `other` may leave
 * words unmatched (the names a card left out) but `kept` may not. Null when there is none.
 */
function align(kept: readonly Word[], other: readonly Word[]): Alignment | null {
  const memo = new Map<number, Alignment | null>();
  const best = (a: Alignment | null, b: Alignment | null) =>
    a === null
      ? b
      : b === null
        ? a
        : b.score > a.score || (b.score === a.score && RANK[b.worst] < RANK[a.worst])
          ? b
          : a;
  const step = (i: number, j: number): Alignment | null => {
    if (i === kept.length) return { covered: 0, distinctive: 0, worst: 'exact', score: 0 };
    if (j === other.length) return null;
    const key = i * (other.length + 1) + j;
    if (memo.has(key)) return memo.get(key) as Alignment | null;
    // `other[j]` left out.
    let result = step(i, j + 1);
    const extend = (rest: Alignment | null, pairing: Pairing | null, covered: number, full: boolean) => {
      if (rest === null || pairing === null) return;
      const strong = full && pairing !== 'abbreviated';
      result = best(result, {
        covered: rest.covered + covered,
        distinctive: rest.distinctive + (strong ? 1 : 0),
        worst: worse(rest.worst, pairing),
        score: rest.score + (pairing === 'abbreviated' ? 1 : 2) * covered,
      });
    };
    const word = kept[i] as Word;
    extend(step(i + 1, j + 1), pairWords(word, other[j] as Word), 1, distinctive(word));
    for (let size = 2; size <= JOIN_MAX; size++) {
      // One word of `kept` read as several of `other`, or several of `kept` as one of `other`.
      if (j + size <= other.length)
        extend(step(i + 1, j + size), pairJoined(word, other.slice(j, j + size)), size, distinctive(word));
      if (i + size <= kept.length) {
        const run = kept.slice(i, i + size);
        const joined = pairJoined(other[j] as Word, run);
        extend(step(i + size, j + 1), joined, 1, run.some(distinctive));
      }
    }
    memo.set(key, result);
    return result;
  };
  return step(0, 0);
}

/**
 * Compares two names as printed on two cards. A match needs every word of one name to stand for a
 * word of the other in order (the other may have left words out), at least one full agreement on a
 * distinctive word (agreeing on `MUHAMMAD` alone, or on initials, says nothing), and at least half
 * the words of the longer name accounted for (`BUDI` is not `BUDI SANTOSO WIBOWO`).
 */
export function compareNames(first: string, second: string): NameComparison {
  const a = nameWords(first);
  const b = nameWords(second);
  if (!a.some((word) => word.key.length >= 2) || !b.some((word) => word.key.length >= 2))
    return { outcome: 'unreadable' };
  if (a.length === b.length && a.every((word, index) => word.letters === b[index]?.letters))
    return { outcome: 'match', agreement: 'exact' };
  const candidates: { alignment: Alignment; otherLength: number }[] = [];
  for (const [kept, other] of [
    [a, b],
    [b, a],
  ] as const) {
    const alignment = align(kept, other);
    if (alignment !== null) candidates.push({ alignment, otherLength: other.length });
  }
  for (const { alignment, otherLength } of candidates.sort((x, y) => y.alignment.score - x.alignment.score)) {
    if (alignment.distinctive === 0) continue;
    if (alignment.covered * 2 < otherLength) continue;
    const leftOut = alignment.covered < otherLength;
    return { outcome: 'match', agreement: leftOut ? 'abbreviated' : alignment.worst };
  }
  return { outcome: 'mismatch' };
}
