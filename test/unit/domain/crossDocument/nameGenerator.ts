/**
 * Made-up Indonesian-sounding names for the property tests of the name comparison, from a seeded
 * generator so a failure always reproduces. Words are built from syllables, so they are not anyone's
 * name and no two generated words are one misread apart by accident more often than real names are.
 */

/** mulberry32: a small, fast, seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ONSETS = ['B', 'D', 'G', 'H', 'J', 'K', 'M', 'N', 'P', 'R', 'S', 'T', 'W', 'Y', 'SY', 'NG'];
const VOWELS = ['A', 'I', 'U', 'E', 'O'];
const CODAS = ['', '', '', 'N', 'R', 'S', 'T', 'NG', 'H'];

const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** A word of three syllables: long enough to be distinctive, as most family and given names are. */
function randomWord(random: () => number): string {
  let word = '';
  for (let syllable = 0; syllable < 3; syllable++) word += pick(random, ONSETS) + pick(random, VOWELS);
  return word + pick(random, CODAS);
}

/** A name of two to four words. */
export function randomName(random: () => number): string {
  const length = 2 + Math.floor(random() * 3);
  return Array.from({ length }, () => randomWord(random)).join(' ');
}
