/**
 * The nationalities a foreign resident's KTP (KTP WNA) prints under `Kewarganegaraan`, where a
 * citizen's card prints `WNI`. Cards print the country in English or in Indonesian (`JAPAN`,
 * `JEPANG`, `SOUTH KOREA`, `KOREA SELATAN`). The names come from the ICU data that Node carries
 * (`Intl.DisplayNames`, English and Indonesian, long and short forms), so the list follows CLDR
 * rather than a hand-kept copy; a few forms printed on cards that CLDR lacks are added.
 */
import { compactOf } from '../text/fuzzy.ts';

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * Codes CLDR names that are not a nationality (EU, the euro zone, the UN, pseudo-locales, "unknown
 * region"), and Indonesia itself: an Indonesian's card prints WNI.
 */
const NOT_A_NATIONALITY = new Set(['EU', 'EZ', 'UN', 'QO', 'XA', 'XB', 'ZZ', 'ID']);

/** Printed forms CLDR does not give (abbreviations on older cards). */
const PRINTED_FORMS = ['USA', 'UNITED STATES OF AMERICA', 'RRT', 'RRC', 'REPUBLIC OF KOREA', 'KOREA'];

/** A CLDR name in the labels' form: upper case, ASCII letters, `&` spelt out, single spaces. */
function labelForm(name: string, and: string): string {
  return (
    name
      .normalize('NFD')
      .replace(/\p{M}/gu, '')
      .replace(/&/g, ` ${and} `)
      .replace(/[’']/g, '')
      .replace(/[^A-Za-z\s-]/g, ' ')
      // CLDR's disambiguation (`Congo - Brazzaville`) is not a hyphenated name.
      .replace(/\s+-\s+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
      .toUpperCase()
  );
}

function cldrNames(): string[] {
  const namers = [
    { names: new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' }), and: 'AND' },
    { names: new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none', style: 'short' }), and: 'AND' },
    { names: new Intl.DisplayNames(['id'], { type: 'region', fallback: 'none' }), and: 'DAN' },
  ];
  const found = new Set<string>();
  for (const first of LETTERS) {
    for (const second of LETTERS) {
      const code = `${first}${second}`;
      if (NOT_A_NATIONALITY.has(code)) continue;
      for (const { names, and } of namers) {
        const name = names.of(code);
        // Two-letter short forms (US, UK) are too short to tell from a misread word, except these.
        if (name && (name.length > 2 || code === 'US' || code === 'GB')) found.add(labelForm(name, and));
      }
    }
  }
  return [...found];
}

/** Every nationality name accepted under `Kewarganegaraan` besides WNI and WNA, upper case. */
export const NATIONALITIES: readonly string[] = [...new Set([...cldrNames(), ...PRINTED_FORMS])].sort();

const BY_COMPACT = new Map(NATIONALITIES.map((name) => [compactOf(name), name]));

/**
 * The English (`en`) or Indonesian (`id`) name of the country `code` (ISO 3166 alpha-2) in the
 * labels' form, as a card prints it.
 */
export function nationalityName(code: string, language: 'en' | 'id'): string {
  const name = new Intl.DisplayNames([language], { type: 'region', fallback: 'none' }).of(code);
  if (!name || NOT_A_NATIONALITY.has(code)) throw new Error(`no nationality for region code ${code}`);
  return labelForm(name, language === 'en' ? 'AND' : 'DAN');
}

/**
 * The listed nationality `text` reads as, or null. Only the spaces and punctuation may differ
 * (`KOREASELATAN`), and trailing text from another column is allowed after a whole name: country
 * names are short and many differ by one letter from a word or another country (IRAN/IRAK,
 * JEPANG/JEPARA), so a misread letter is not snapped; the value is kept as read and flagged.
 */
export function matchNationality(text: string): string | null {
  const compact = compactOf(text);
  const whole = BY_COMPACT.get(compact);
  if (whole) return whole;
  // The longest listed name that starts the text, followed by a separate word (a date, a column).
  const words = text.trim().split(/\s+/);
  for (let count = words.length - 1; count >= 1; count--) {
    const hit = BY_COMPACT.get(compactOf(words.slice(0, count).join(' ')));
    if (hit) return hit;
  }
  return null;
}
