import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ageOn, isRealDate, todayIn } from '../../../domain/dates.ts';
import { closest, editDistance, fuzzyContains, respaceLike } from '../../../domain/text/fuzzy.ts';
import {
  cleanValue,
  digitField,
  findDate,
  normaliseLine,
  normaliseRtRw,
  parseDate,
  repairDigits,
  upperText,
} from '../../../domain/text/normalise.ts';
import { TODAY } from './support.ts';

describe('text normalisation', () => {
  it('should fold full-width colons and letters and collapse white space', () => {
    assert.equal(normaliseLine('  Nama：  SITI\t CONTOH '), 'Nama: SITI CONTOH');
    assert.equal(normaliseLine('ＮＩＫ∶ 1'), 'NIK: 1');
    assert.equal(upperText('Status  Perkawinan : belum kawin'), 'STATUS PERKAWINAN : BELUM KAWIN');
  });

  it('should strip the separators OCR leaves around a value but keep the value', () => {
    assert.equal(cleanValue(': : JL. PERCOBAAN NO. 12 ,'), 'JL. PERCOBAAN NO. 12');
    assert.equal(cleanValue('-'), '-');
  });
});

describe('digit repair', () => {
  it('should map the letters OCR reads for digits', () => {
    assert.equal(repairDigits('OoDQ Il|i! Ss B Zz G T'), '0000 11111 55 8 22 6 7');
  });

  it('should repair a NIK read with letters for digits', () => {
    assert.equal(digitField('3171O14IO19OOOO1'), '3171014101900001');
  });

  it('should drop spaces and printed separators inside a number', () => {
    assert.equal(digitField('3171 0141 0190 0001'), '3171014101900001');
    assert.equal(digitField('01.234.567.8-901.OOO'), '012345678901000');
  });

  it('should end the number at a word of text, such as a watermark crossing it', () => {
    assert.equal(digitField('7212053001653495 QNLINE'), '7212053001653495');
    assert.equal(digitField('1906034911511782 ONLIN E'), '1906034911511782');
    assert.equal(digitField('COPY 3171 0141 0190 0001'), '3171014101900001');
    assert.equal(digitField('3171O14IO 19OOOO1'), '3171014101900001', 'look-alikes alone are still digits');
    assert.equal(digitField('NIK:5272056103608400'), '5272056103608400', 'a label glued to the number is not text');
  });

  it('should return null when there are no digits', () => {
    assert.equal(digitField('NAMA'), null);
    assert.equal(digitField('-'), null);
  });
});

describe('dates', () => {
  it('should parse the printed forms and their OCR variants to ISO', () => {
    for (const text of [
      '01-02-1990',
      '01/02/1990',
      '01.02.1990',
      '01 02 1990',
      '1-2-1990',
      '01--02-1990',
      '0l-O2-199O',
    ]) {
      assert.equal(parseDate(text), '1990-02-01', text);
    }
    assert.equal(parseDate('01021990'), '1990-02-01');
  });

  it('should give two-digit years a century only when today is known', () => {
    assert.equal(parseDate('01-02-90'), null);
    assert.equal(parseDate('01-02-90', { today: TODAY }), '1990-02-01');
    assert.equal(parseDate('01-02-05', { today: TODAY }), '2005-02-01');
    // An expiry date is put in the century nearest to today, not in the past.
    assert.equal(parseDate('01-02-30', { today: TODAY, twoDigitYear: 'nearest' }), '2030-02-01');
    assert.equal(parseDate('01-02-30', { today: TODAY, twoDigitYear: 'past' }), '1930-02-01');
  });

  it('should refuse dates that are not on the calendar', () => {
    for (const text of ['31-04-1990', '29-02-2001', '00-01-1990', '15-13-1990', '1990-01-01', 'SEUMUR HIDUP']) {
      assert.equal(parseDate(text), null, text);
    }
    assert.equal(parseDate('29-02-2000'), '2000-02-29');
  });

  it('should find the date after a birth place, with or without comma and space', () => {
    assert.deepEqual(findDate('JAKARTA, 01-01-1990'), { iso: '1990-01-01', index: 9 });
    assert.equal(findDate('JAKARTA,01-01-1990')?.iso, '1990-01-01');
    assert.equal(findDate('JAKARTA01-01-1990')?.iso, '1990-01-01');
    assert.equal(findDate('JAKARTA,O1-01-199O')?.index, 8);
    // A place ending in a letter that looks like a digit does not take the date's first digits.
    assert.equal(findDate('BANDUNG.01-01-1990')?.iso, '1990-01-01');
    assert.equal(findDate('no date here'), null);
  });

  it('should find a date with a separator lost or read as a space, but not inside a longer number', () => {
    assert.deepEqual(findDate('SERUYAN 07-121946'), { iso: '1946-12-07', index: 8 });
    assert.equal(findDate('TANGERANG 1310-2007')?.iso, '2007-10-13');
    assert.equal(findDate('KAIMANA 15081976')?.iso, '1976-08-15');
    assert.equal(findDate('TANGGA 29 06-2026')?.iso, '2026-06-29');
    // Both separators read beat a packed reading of the same digits.
    assert.equal(findDate('17-08-1990')?.iso, '1990-08-17');
    // A NIK holds a packed date (day, month, year) but is no date.
    assert.equal(findDate('NIK 3171014101900001'), null);
    assert.equal(findDate('1508197612'), null);
  });

  it('should tell real calendar dates and compute whole years of age', () => {
    assert.equal(isRealDate('2024-02-29'), true);
    assert.equal(isRealDate('2023-02-29'), false);
    assert.equal(ageOn('2009-11-25', TODAY), 17);
    assert.equal(ageOn('2009-11-26', TODAY), 16);
  });

  it('should give today in Jakarta time', () => {
    // 20:00 UTC on the 24th is already the 25th in Jakarta (UTC+7).
    assert.equal(todayIn(new Date('2026-11-24T20:00:00Z')), '2026-11-25');
  });
});

describe('RT/RW', () => {
  it('should zero-pad and repair to NNN/NNN', () => {
    assert.equal(normaliseRtRw('001/002'), '001/002');
    assert.equal(normaliseRtRw('1/2'), '001/002');
    assert.equal(normaliseRtRw('OO7 / OO8'), '007/008');
    assert.equal(normaliseRtRw('007008'), '007/008');
    assert.equal(normaliseRtRw('007I008'), '007/008');
  });

  it('should refuse values that are not two numbers', () => {
    assert.equal(normaliseRtRw('JL. MAWAR'), null);
    assert.equal(normaliseRtRw('0001/0002'), null);
  });
});

describe('fuzzy matching', () => {
  it('should count edits', () => {
    assert.equal(editDistance('KEWARGANEGARAAN', 'KEWARGANEGARAAR'), 1);
    assert.equal(editDistance('', 'ABC'), 3);
    assert.equal(editDistance('SEUMURHIDUP', 'SEUMURHIDIP'), 1);
  });

  it('should find a word inside a longer text with a few edits', () => {
    assert.equal(fuzzyContains('XXDIREKTORATJENDRALPAJAKXX', 'DIREKTORATJENDERALPAJAK', 1), true);
    assert.equal(fuzzyContains('NOTHINGHERE', 'DIREKTORAT', 2), false);
  });

  it('should snap to the nearest candidate, and refuse distant or ambiguous ones', () => {
    assert.equal(closest('BELUMKAWIN', ['BELUM KAWIN', 'KAWIN']), 'BELUM KAWIN');
    assert.equal(closest('WNI 22-02-2012', ['WNI', 'WNA'], { prefix: true }), 'WNI');
    assert.equal(closest('ASGARDIAN', ['WNI', 'WNA'], { prefix: true }), null);
    assert.equal(closest('WNX', ['WNI', 'WNA']), null);
  });

  it('should give back dropped spaces only when the letters line up', () => {
    assert.equal(respaceLike('SEUMURHIDIP', 'SEUMUR HIDUP'), 'SEUMUR HIDIP');
    assert.equal(respaceLike('SEUMUR HIDUP', 'SEUMUR HIDUP'), 'SEUMUR HIDUP');
    assert.equal(respaceLike('SEUMURHIDU', 'SEUMUR HIDUP'), 'SEUMURHIDU');
  });
});
