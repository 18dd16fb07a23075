import type { Rng } from './random.ts';

/**
 * Invented Indonesian-sounding words for names, streets and the like.
 *
 * Names are GENERATED from syllables: no list of real persons' names is used anywhere in the
 * generator, and none may be added. A generated name can coincide with a real one by chance (short
 * Javanese-style names are common words), but it is never taken from, or linked to, a real person.
 */

const ONSETS = ['b', 'd', 'g', 'h', 'j', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'w', 'y', 'c', 'ng', 'ny', 'pr', 'sr'];
const VOWELS = ['a', 'a', 'a', 'i', 'i', 'u', 'u', 'e', 'o'];
const CODAS = ['', '', '', '', 'n', 'ng', 'r', 'h', 's', 'm'];

const MALE_ENDINGS = ['o', 'an', 'di', 'no', 'to', 'ar', 'us', 'ri', 'ad', 'wan'];
const FEMALE_ENDINGS = ['i', 'a', 'ni', 'ti', 'sih', 'wati', 'yah', 'na', 'ra', 'ah'];

export type NameSex = 'male' | 'female';

function syllable(rng: Rng): string {
  return rng.pick(ONSETS) + rng.pick(VOWELS) + rng.pick(CODAS);
}

/** One capitalised-later word of 2–3 syllables plus an ending that leans male or female. */
function givenWord(rng: Rng, sex: NameSex): string {
  let word = rng.chance(0.25) ? rng.pick(VOWELS) : '';
  const count = rng.int(1, 2);
  for (let i = 0; i < count; i++) word += syllable(rng);
  word += rng.pick(sex === 'male' ? MALE_ENDINGS : FEMALE_ENDINGS);
  return word.replace(/(.)\1\1+/g, '$1$1');
}

/** A full name of one to three generated words, upper case, at most `maxLength` characters. */
export function generatePersonName(rng: Rng, sex: NameSex, maxLength = 26): string {
  for (;;) {
    const words = rng.weighted([
      [1, 2],
      [2, 6],
      [3, 2],
    ]);
    const parts: string[] = [];
    for (let i = 0; i < words; i++) parts.push(givenWord(rng, sex));
    const name = parts.join(' ').toUpperCase();
    if (name.length >= 4 && name.length <= maxLength) return name;
  }
}

/** Street-name words: plants, birds and common nouns (no people). */
const STREET_WORDS = [
  'MAWAR',
  'MELATI',
  'KENANGA',
  'ANGGREK',
  'CEMPAKA',
  'KAMBOJA',
  'TERATAI',
  'FLAMBOYAN',
  'BERINGIN',
  'AKASIA',
  'CEMARA',
  'JATI',
  'MAHONI',
  'KELAPA',
  'MANGGA',
  'RAMBUTAN',
  'DURIAN',
  'SALAK',
  'MERPATI',
  'RAJAWALI',
  'CENDRAWASIH',
  'KASUARI',
  'NURI',
  'KUTILANG',
  'ELANG',
  'MERDEKA',
  'PELITA',
  'SEJAHTERA',
  'MAKMUR',
  'SENTOSA',
  'HARAPAN',
  'BAHAGIA',
  'PERINTIS',
  'PEMUDA',
  'PENDIDIKAN',
  'PASAR',
  'STASIUN',
  'SUNGAI',
  'TELAGA',
  'GUNUNG',
  'BUKIT',
  'PANTAI',
  'KEBUN',
  'SAWAH',
];
const STREET_SUFFIXES = ['RAYA', 'BARAT', 'TIMUR', 'UTARA', 'SELATAN', 'DALAM', 'INDAH', 'BARU', 'LAMA'];

/** `JL. <WORD> NO. <n>`, sometimes with a second word (`JL. MAWAR INDAH NO. 12`). */
export function generateStreetAddress(rng: Rng): string {
  let street = rng.chance(0.7) ? rng.pick(STREET_WORDS) : givenWord(rng, rng.chance(0.5) ? 'male' : 'female');
  if (rng.chance(0.3)) street += ` ${rng.pick(STREET_SUFFIXES)}`;
  const number = rng.chance(0.8) ? rng.int(1, 99) : rng.int(100, 250);
  return `JL. ${street.toUpperCase()} NO. ${number}`;
}
