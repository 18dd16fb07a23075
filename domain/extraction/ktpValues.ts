/**
 * Turning the text after a KTP label into the field value the labels use (shared/eval/README.md):
 * one function per kind of field, plus the shape tests that decide whether a line standing alone
 * can be the value of a label printed on the line before.
 */

import type { RegionIndex } from '../identifiers/regions.ts';
import { compactOf } from '../text/fuzzy.ts';
import {
  cleanValue,
  type DateOptions,
  digitField,
  findDate,
  normaliseRtRw,
  parseDate,
  upperText,
} from '../text/normalise.ts';
import { bloodGroup, isLifetime, lifetimeValue, looksLikeBloodGroup } from './enums.ts';
import { respaceOccupation } from './occupations.ts';

/** A NIK as read: the longest digit run after repair (length is checked later, not here). */
export function nikValue(text: string): string | null {
  return digitField(text);
}

/**
 * The comma between place and date read as `1`, `|` or `!` (`JAKARTA117-08-1990`, `JAKARTA1 17-08-1990`).
 * A KTP prints the day with two digits, which tells this from a place glued to its date
 * (`JAKARTA17-08-1990`); and no place name ends in a digit.
 */
const MISREAD_COMMA = /([A-Za-z])[1|!]\s*(?=\d{2}\s*[-./]\s*\d{2}\s*[-./]\s*\d{4})/;

/** `KOTA, DD-MM-YYYY` → place and ISO date; either may be null. */
export function birthValue(text: string, options: DateOptions): { place: string | null; date: string | null } {
  const value = cleanValue(text).replace(MISREAD_COMMA, '$1, ');
  const found = findDate(value, { ...options, twoDigitYear: 'past' });
  if (found) {
    const place = lettersForDigits(cleanValue(value.slice(0, found.index).replace(/[\s,.]+$/, '')));
    return { place: place === '' ? null : place, date: found.iso };
  }
  // No readable date: the place is what comes before the last comma, or the whole value.
  const comma = value.lastIndexOf(',');
  const place = lettersForDigits(cleanValue(comma >= 0 ? value.slice(0, comma) : value));
  return { place: place === '' || !/[A-Z]/.test(place) ? null : place, date: null };
}

/** `SEUMUR HIDUP` (spelling kept), an ISO date, or the cleaned text when it is neither. */
export function expiryValue(text: string, options: DateOptions): string | null {
  const value = cleanValue(text).replace(/\.+$/, '');
  if (value === '') return null;
  if (isLifetime(value)) return lifetimeValue(value);
  const date = parseDate(value, { ...options, twoDigitYear: 'nearest' }) ?? findDate(value, options)?.iso;
  return date ?? value;
}

export function rtRwValue(text: string): string | null {
  const value = cleanValue(text);
  if (value === '') return null;
  return normaliseRtRw(value) ?? value;
}

/** Free text (nama, alamat, pekerjaan, kel/desa, kecamatan): kept as read, cleaned. */
export function textValue(text: string): string | null {
  const value = cleanValue(text);
  return /[A-Z0-9]/.test(value) ? value : null;
}

/**
 * Names of people and places hold no digits: a `0` next to a letter is the recogniser's O (seen with
 * monospaced and condensed faces: `G0WA`, `BUNG0`).
 */
export function wordValue(text: string): string | null {
  const value = textValue(text);
  return value === null ? null : lettersForDigits(value);
}

function lettersForDigits(value: string): string {
  return value.replace(/(?<=[A-Z])0|0(?=[A-Z])/g, 'O');
}

/**
 * An address in the printed convention: `JL. X NO. 12 RT 001 RW 002 DESA, KECAMATAN, KOTA X`. OCR
 * drops the space after a dot or comma and reads the O of NO as 0; those are put back.
 */
function addressConvention(value: string): string {
  return value
    .replace(/\bN0(?=\.|\s|\d)/g, 'NO')
    .replace(/\b(JL|NO|GG|KEL|KEC|KAB)\.(?=[A-Z0-9])/g, '$1. ')
    .replace(/\bJL(?=\s)/g, 'JL.')
    .replace(/,(?=\S)/g, ', ');
}

/**
 * At most this many lines make an address: a KTP wraps it onto a second line, an NPWP card prints up
 * to three. More unlabelled lines after it are something else (photo area, stamp, background).
 */
export const ADDRESS_MAX_LINES = 3;

/**
 * One line of an address: like free text, but a trailing comma is kept, since the next line
 * continues the address after it (`UTAN KAYU UTARA, MATRAMAN,` + `JAKARTA TIMUR`).
 */
export function addressValue(text: string): string | null {
  const value = addressConvention(
    upperText(text)
      .replace(/^[\s:;=]+/, '')
      .replace(/[\s:;]+$/, ''),
  );
  return /[A-Z0-9]/.test(value) ? value : null;
}

/**
 * Pekerjaan: free text, with the spaces of a listed occupation given back. On a KTP the issuing date
 * under the photo is printed level with this row, so a trailing date is not part of the occupation.
 */
export function occupationValue(text: string): string | null {
  const value = wordValue(text.replace(/\s+\d{1,2}\s*[-./]\s*\d{1,2}\s*[-./]\s*\d{2,4}\s*$/, ''));
  return value === null ? null : respaceOccupation(value);
}

/** Kecamatan: free text, with the spelling of a district of the same letters when there is one. */
export function districtValue(text: string, regions: RegionIndex | undefined): string | null {
  const value = wordValue(text);
  return value === null ? null : (regions?.findDistrict(value)?.printed ?? value);
}

/** The printed province without the word PROVINSI, re-spaced to a known spelling when one is close. */
export function provinceValue(text: string, regions: RegionIndex | undefined): string | null {
  const value = cleanValue(text.replace(/^\s*PRO[VP]INSI\b/i, ''));
  if (value === '') return null;
  return regions?.findProvince(value)?.printed ?? value;
}

/**
 * The regency or city name without KABUPATEN/KOTA, re-spaced to a known name when one is close
 * (`JAKARTASELATAN` → `JAKARTA SELATAN`).
 */
export function regencyValue(text: string, regions: RegionIndex | undefined): string | null {
  const value = cleanValue(text);
  if (value === '') return null;
  return regions?.findRegency(value)?.printed ?? value;
}

export { bloodGroup };

/** Shape tests for a value found alone on the line after its label. */
export const looksLike = {
  digits: (text: string, minimum: number) => (digitField(text) ?? '').length >= minimum,
  date: (text: string) => findDate(text) !== null || /\d{2}.?\d{2}.?\d{2,4}/.test(text),
  words: (text: string) => /[A-Za-z]{2,}/.test(text) && !/\d{5,}/.test(text),
  bloodGroup: looksLikeBloodGroup,
  lifetimeOrDate: (text: string) => isLifetime(text) || findDate(text) !== null,
  rtRw: (text: string) => normaliseRtRw(text) !== null,
  anyText: (text: string) => compactOf(text).length > 0 || /\d/.test(text),
};
