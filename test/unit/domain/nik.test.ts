import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkNik, parseNik } from '../../../domain/identifiers/nik.ts';
import { codes, regions, TODAY } from './support.ts';

describe('parseNik', () => {
  it('should split a man’s NIK into regions, birth date, sex and serial', () => {
    assert.deepEqual(parseNik('3273011506850002', TODAY), {
      provinceCode: '32',
      regencyCode: '32.73',
      districtCode: '32.73.01',
      encodedDay: 15,
      day: 15,
      month: 6,
      yy: 85,
      sex: 'LAKI-LAKI',
      birthDate: '1985-06-15',
      serial: '0002',
    });
  });

  it('should read a day over 40 as a woman born on day − 40', () => {
    const parts = parseNik('3171014101900001', TODAY);
    assert.equal(parts?.sex, 'PEREMPUAN');
    assert.equal(parts?.day, 1);
    assert.equal(parts?.birthDate, '1990-01-01');
    assert.equal(parseNik('3171017112900001', TODAY)?.birthDate, '1990-12-31');
  });

  it('should put YY ≤ today’s YY in the 2000s and later YY in the 1900s', () => {
    assert.equal(parseNik('3171011506050001', TODAY)?.birthDate, '2005-06-15');
    assert.equal(parseNik('3171011506260001', TODAY)?.birthDate, '2026-06-15');
    assert.equal(parseNik('3171011506270001', TODAY)?.birthDate, '1927-06-15');
    // The same NIK read a year earlier: 26 is then past today's YY.
    assert.equal(parseNik('3171011506260001', '2025-11-25')?.birthDate, '1926-06-15');
  });

  it('should not put a birth date after today: YY = this year with a later month is the 1900s', () => {
    assert.equal(parseNik('3171011512260001', TODAY)?.birthDate, '1926-12-15');
  });

  it('should leave date and sex empty when the day or month is impossible', () => {
    const parts = parseNik('3171234567890123', TODAY);
    assert.equal(parts?.birthDate, null);
    assert.equal(parts?.sex, 'PEREMPUAN'); // day 56 − 40 = 16 is a day; month 78 is not a month
    const noDay = parseNik('3171013501900001', TODAY);
    assert.equal(noDay?.sex, null);
    assert.equal(noDay?.birthDate, null);
  });

  it('should return null for anything but 16 digits', () => {
    assert.equal(parseNik('317101410190000', TODAY), null);
    assert.equal(parseNik('317101410190000A', TODAY), null);
    assert.equal(parseNik('31710141019000011', TODAY), null);
  });

  it('should refuse a today that is not an ISO date', () => {
    assert.throws(() => parseNik('3171014101900001', '25-11-2026'), TypeError);
  });
});

describe('checkNik', () => {
  const check = (nik: string) => codes(checkNik(nik, regions, TODAY));

  it('should accept well-formed NIKs of existing regions', () => {
    assert.deepEqual(check('3171014101900001'), []);
    assert.deepEqual(check('3273011506850002'), []);
    assert.deepEqual(check('3329091212121059'), []); // Brebes, Jawa Tengah (the Boruto specimen)
  });

  it('should flag a NIK that is not 16 digits, and nothing else', () => {
    assert.deepEqual(check('317101410190000'), ['NIK_FORMAT_INVALID']);
    assert.deepEqual(check('3171O14IO19OOOO1'), ['NIK_FORMAT_INVALID']);
  });

  it('should flag province, regency and district codes that do not exist', () => {
    assert.deepEqual(check('9971014101900001'), ['NIK_REGION_UNKNOWN']); // province 99
    assert.deepEqual(check('3121003009870001'), ['NIK_REGION_UNKNOWN']); // regency 31.21
    assert.deepEqual(check('3223132501920001'), ['NIK_REGION_UNKNOWN']); // regency 32.23
    assert.deepEqual(check('3173334212960003'), ['NIK_REGION_UNKNOWN']); // district 31.73.33
    assert.match(checkNik('3173334212960003', regions, TODAY)[0]?.message ?? '', /district/);
  });

  it('should flag an impossible birth date', () => {
    assert.deepEqual(check('3171013102900001'), ['NIK_DATE_INVALID']); // 31 February
    assert.deepEqual(check('3171010013900001'), ['NIK_DATE_INVALID']); // day 00, month 13
  });

  it('should flag the serial 0000', () => {
    assert.deepEqual(check('3171014101900000'), ['NIK_SERIAL_INVALID']);
  });

  it('should never quote the NIK in a message', () => {
    for (const reason of checkNik('9971013102900000', regions, TODAY)) {
      assert.equal(reason.message.includes('99710131'), false);
    }
  });
});
