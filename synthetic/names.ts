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

/** The naming style of a foreign resident's name, by where the holder comes from. */
export type ForeignOrigin = 'east-asian' | 'japanese' | 'south-asian' | 'western' | 'malay';

/**
 * Syllables by style. Like the Indonesian names above these are generated, never taken from a list
 * of persons: only the sound of the syllables follows the style.
 */
const FOREIGN_SYLLABLES: Readonly<Record<Exclude<ForeignOrigin, 'malay'>, readonly string[]>> = {
  'east-asian': [
    'li',
    'wei',
    'zhang',
    'chen',
    'liu',
    'yang',
    'huang',
    'zhao',
    'wu',
    'zhou',
    'xu',
    'sun',
    'ma',
    'hu',
    'guo',
    'lin',
    'he',
    'gao',
    'jun',
    'min',
    'ying',
    'hao',
    'xin',
    'yu',
    'jie',
    'fang',
    'hua',
    'ling',
    'qiang',
    'mei',
    'seo',
    'jin',
    'hyun',
    'soo',
    'kyung',
    'young',
    'ho',
    'jae',
    'won',
    'sung',
    'eun',
    'ji',
    'han',
    'park',
  ],
  japanese: [
    'ka',
    'ki',
    'ta',
    'to',
    'na',
    'no',
    'mi',
    'mo',
    'ra',
    'ri',
    'ro',
    'sa',
    'shi',
    'su',
    'ya',
    'yu',
    'ha',
    'hi',
    'ko',
    'ku',
    'ma',
    'da',
    'ga',
    'ze',
    'ru',
    'te',
    'chi',
    'ne',
    'ka',
    'o',
  ],
  'south-asian': [
    'ra',
    'vi',
    'an',
    'ku',
    'mar',
    'pra',
    'de',
    'ni',
    'sha',
    'su',
    'ja',
    'ya',
    'ma',
    'la',
    'kri',
    'sh',
    'na',
    'ran',
    'dev',
    'pa',
    'ti',
    'ga',
    'va',
    'ha',
    'ri',
    'sri',
    'gu',
    'pta',
    'nan',
    'thi',
  ],
  western: [
    'al',
    'an',
    'ben',
    'car',
    'da',
    'el',
    'fer',
    'gar',
    'hen',
    'is',
    'jo',
    'ka',
    'lo',
    'mar',
    'nor',
    'ol',
    'pe',
    'ro',
    'sa',
    'ste',
    'ter',
    'val',
    'wil',
    'bar',
    'chris',
    'don',
    'ed',
    'fran',
    'har',
    'lan',
    'mil',
    'ver',
  ],
};

const FOREIGN_ENDINGS: Readonly<
  Record<Exclude<ForeignOrigin, 'malay'>, Record<NameSex | 'family', readonly string[]>>
> = {
  'east-asian': { male: [''], female: [''], family: [''] },
  japanese: {
    male: ['shi', 'ro', 'ki', 'to', 'ya'],
    female: ['ko', 'mi', 'na', 'e', 'ka'],
    family: ['moto', 'ta', 'da', 'kawa', 'mura', 'no'],
  },
  'south-asian': {
    male: ['esh', 'an', 'it', 'ul', 'ay'],
    female: ['a', 'ita', 'i', 'ya', 'ika'],
    family: ['an', 'a', 'ar', 'i', 'ey'],
  },
  western: {
    male: ['ton', 'ley', 'ard', 'ick', 'ian', 'o', 'en'],
    female: ['a', 'ine', 'elle', 'ie', 'anne', 'ette'],
    family: ['son', 'man', 'ford', 'er', 'ley', 'ton', 'berg', 'ens', 'wood'],
  },
};

function foreignWord(rng: Rng, origin: Exclude<ForeignOrigin, 'malay'>, kind: NameSex | 'family'): string {
  const syllables = FOREIGN_SYLLABLES[origin];
  // East Asian given and family names are one or two syllables with no ending.
  const count = origin === 'east-asian' ? (kind === 'family' ? 1 : rng.int(1, 2)) : rng.int(1, 2);
  let word = '';
  for (let i = 0; i < count; i++) word += rng.pick(syllables);
  return (word + rng.pick(FOREIGN_ENDINGS[origin][kind])).replace(/(.)\1\1+/g, '$1$1');
}

/**
 * A foreign resident's full name, upper case, at most `maxLength` characters: family name first for
 * East Asian styles, last otherwise, sometimes with a middle name (western).
 */
export function generateForeignName(rng: Rng, sex: NameSex, origin: ForeignOrigin, maxLength = 30): string {
  if (origin === 'malay') return generatePersonName(rng, sex, maxLength);
  for (;;) {
    const given = foreignWord(rng, origin, sex);
    const family = foreignWord(rng, origin, 'family');
    const parts =
      origin === 'east-asian'
        ? [family, given]
        : origin === 'western' && rng.chance(0.4)
          ? [given, foreignWord(rng, origin, sex), family]
          : [given, family];
    const name = parts.join(' ').toUpperCase();
    if (name.length >= 5 && name.length <= maxLength) return name;
  }
}
