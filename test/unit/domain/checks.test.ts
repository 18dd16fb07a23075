import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkImageQuality,
  checkKtp,
  checkNpwp,
  MINIMUM_AGE,
  REQUIRED_KTP_FIELDS,
  REQUIRED_NPWP_FIELDS,
} from '../../../domain/checks/checks.ts';
import {
  MAX_BRIGHTNESS,
  MIN_BRIGHTNESS,
  MIN_COLOURFULNESS,
  MIN_KTP_COLOURFULNESS,
  MIN_PIXELS,
  MIN_SHARPNESS,
  MIN_SHORT_SIDE_PX,
  MIN_TEXT_COVERAGE,
  MIN_TEXT_WIDTH_PX,
} from '../../../domain/checks/imageQuality.ts';
import type { ImageQuality } from '../../../domain/ocrResult.ts';
import { codes, KTP_FIELDS, NPWP_FIELDS, regions, TODAY } from './support.ts';

const context = { regions, today: TODAY };
const ktp = (changes: Record<string, string | null | undefined> = {}) =>
  checkKtp({ ...KTP_FIELDS, ...changes }, context);
const npwp = (changes: Record<string, string | null | undefined> = {}) =>
  checkNpwp({ ...NPWP_FIELDS, ...changes }, context);

describe('checkKtp', () => {
  it('should find nothing wrong with a valid card', () => {
    assert.deepEqual(ktp(), []);
  });

  it('should name each missing required field, whether null or absent', () => {
    for (const field of REQUIRED_KTP_FIELDS) {
      const reasons = ktp({ [field]: null }).filter((reason) => reason.code === 'FIELD_MISSING');
      assert.equal(reasons.length, 1, field);
      assert.match(reasons[0]?.message ?? '', new RegExp(`Field: ${field}\\.`));
    }
    const { provinsi: _omitted, ...withoutHeader } = KTP_FIELDS;
    assert.deepEqual(codes(checkKtp(withoutHeader, context)), ['FIELD_MISSING']);
  });

  it('should not require the informative fields', () => {
    assert.deepEqual(ktp({ alamat: null, pekerjaan: null, golongan_darah: null }), []);
  });

  it('should send a card whose validity could not be read to a person: it may have expired', () => {
    const reasons = ktp({ berlaku_hingga: null });
    assert.deepEqual(codes(reasons), ['FIELD_MISSING']);
    assert.equal(reasons[0]?.severity, 'review');
    assert.match(reasons[0]?.message ?? '', /Field: berlaku_hingga\./);
  });

  it('should run the NIK structure checks', () => {
    assert.deepEqual(codes(ktp({ nik: '317101410190' })), ['NIK_FORMAT_INVALID']);
    assert.deepEqual(codes(ktp({ nik: '3171014101900000' })), ['NIK_SERIAL_INVALID']);
  });

  it('should flag a NIK birth date that differs from the printed one', () => {
    assert.deepEqual(codes(ktp({ tanggal_lahir: '1990-01-02' })), ['NIK_BIRTHDATE_MISMATCH']);
    assert.deepEqual(codes(ktp({ tanggal_lahir: '1991-01-01' })), ['NIK_BIRTHDATE_MISMATCH']);
    // Same DDMMYY, other century: the NIK cannot tell them apart, so this is no mismatch.
    const man = { nik: '3171011506050001', jenis_kelamin: 'LAKI-LAKI' };
    assert.deepEqual(codes(ktp({ ...man, tanggal_lahir: '1905-06-15' })), []);
  });

  it('should flag a NIK sex that differs from the printed one', () => {
    assert.deepEqual(codes(ktp({ jenis_kelamin: 'LAKI-LAKI' })), ['NIK_SEX_MISMATCH']);
    assert.deepEqual(codes(ktp({ nik: '3171010101900001', jenis_kelamin: 'LAKI-LAKI' })), []);
  });

  it('should note, without failing, a NIK registered in another province than the printed one', () => {
    const reasons = ktp({ provinsi: 'JAWA BARAT', kabupaten_kota: 'BANDUNG' });
    assert.deepEqual(codes(reasons), ['NIK_PROVINCE_MISMATCH']);
    assert.equal(reasons[0]?.severity, 'info');
    assert.deepEqual(codes(ktp({ provinsi: 'DKIJAKARTA' })), []);
  });

  it('should flag a printed province that does not exist', () => {
    assert.deepEqual(codes(ktp({ provinsi: 'KONOHAGAKURE' })), ['NIK_PROVINCE_MISMATCH', 'PROVINCE_UNKNOWN']);
  });

  it(`should flag a holder younger than ${MINIMUM_AGE}, from the printed or else the NIK birth date`, () => {
    assert.deepEqual(codes(ktp({ nik: '3171016511090001', tanggal_lahir: '2009-11-25' })), []);
    assert.deepEqual(codes(ktp({ nik: '3171016611090001', tanggal_lahir: '2009-11-26' })), ['UNDERAGE']);
    assert.deepEqual(codes(ktp({ nik: '3171016611090001', tanggal_lahir: null })), ['FIELD_MISSING', 'UNDERAGE']);
  });

  it('should flag a printed birth date that is not a date or lies in the future', () => {
    assert.deepEqual(codes(ktp({ tanggal_lahir: '1990-02-30' })), ['BIRTHDATE_INVALID']);
    assert.ok(codes(ktp({ tanggal_lahir: '2027-01-01' })).includes('BIRTHDATE_INVALID'));
  });

  it('should flag an expired card, and never a lifetime one however spelt', () => {
    assert.deepEqual(codes(ktp({ berlaku_hingga: '2017-02-22' })), ['DOCUMENT_EXPIRED']);
    assert.deepEqual(codes(ktp({ berlaku_hingga: '2026-11-24' })), ['DOCUMENT_EXPIRED']);
    assert.deepEqual(codes(ktp({ berlaku_hingga: TODAY })), []);
    assert.deepEqual(codes(ktp({ berlaku_hingga: '2031-01-01' })), []);
    for (const lifetime of ['SEUMUR HIDUP', 'SEUMUR HIDIP', 'SEUMURHIDUP', 'seumur hidup']) {
      assert.deepEqual(codes(ktp({ berlaku_hingga: lifetime })), [], lifetime);
    }
    assert.deepEqual(codes(ktp({ berlaku_hingga: 'BESOK' })), ['FIELD_VALUE_UNKNOWN']);
  });

  it('should flag each enumeration outside its list, naming the field', () => {
    const cases: [string, string][] = [
      ['agama', 'ASGARDISM'],
      ['status_perkawinan', 'JOMBLO'],
      ['kewarganegaraan', 'ASGARDIAN'],
      ['jenis_kelamin', 'ALIEN'],
      ['golongan_darah', 'X'],
      ['rt_rw', '1/2/3'],
    ];
    for (const [field, value] of cases) {
      const reasons = ktp({ [field]: value });
      assert.deepEqual(codes(reasons), ['FIELD_VALUE_UNKNOWN'], field);
      assert.match(reasons[0]?.message ?? '', new RegExp(`Field: ${field}\\.`));
      assert.equal(reasons[0]?.message.includes(value), false, 'no value in the message');
    }
  });

  it('should accept every canonical enumeration value', () => {
    for (const agama of ['KRISTEN', 'KATOLIK', 'HINDU', 'BUDDHA', 'KONGHUCU', 'KEPERCAYAAN TERHADAP TUHAN YME']) {
      assert.deepEqual(ktp({ agama }), [], agama);
    }
    for (const golongan_darah of ['-', 'AB', 'O', 'B+', 'AB-']) assert.deepEqual(ktp({ golongan_darah }), []);
    for (const status_perkawinan of ['BELUM KAWIN', 'CERAI HIDUP', 'CERAI MATI']) {
      assert.deepEqual(ktp({ status_perkawinan }), []);
    }
    // A foreign resident's card is valid until a date (its permit's), never for life (wna.test.ts).
    assert.deepEqual(ktp({ kewarganegaraan: 'WNA', berlaku_hingga: '2029-01-01' }), []);
    assert.deepEqual(ktp({ kewarganegaraan: 'JAPAN', berlaku_hingga: '2029-01-01' }), []);
  });
});

describe('checkNpwp', () => {
  it('should find nothing wrong with a valid card', () => {
    assert.deepEqual(npwp(), []);
  });

  it('should name each missing required field', () => {
    for (const field of REQUIRED_NPWP_FIELDS) {
      const reasons = npwp({ [field]: null });
      assert.deepEqual(codes(reasons), ['FIELD_MISSING'], field);
      assert.match(reasons[0]?.message ?? '', new RegExp(`Field: ${field}\\.`));
    }
    assert.deepEqual(npwp({ nik: null, alamat: null }), []);
  });

  it('should check the number and the printed NIK', () => {
    assert.deepEqual(codes(npwp({ npwp: '99.999.999.9-999.000' })), ['NPWP_CHECK_DIGIT_INVALID']);
    assert.deepEqual(codes(npwp({ npwp: '12345' })), ['NPWP_FORMAT_INVALID']);
    assert.deepEqual(codes(npwp({ nik: '3223132501920001' })), ['NIK_REGION_UNKNOWN']);
  });

  it('should flag a registration date that is not a date or lies in the future', () => {
    assert.deepEqual(codes(npwp({ tanggal_terdaftar: '2014-13-12' })), ['REGISTRATION_DATE_INVALID']);
    assert.deepEqual(codes(npwp({ tanggal_terdaftar: '2027-01-01' })), ['REGISTRATION_DATE_INVALID']);
    assert.deepEqual(codes(npwp({ tanggal_terdaftar: TODAY })), []);
  });
});

describe('checkImageQuality', () => {
  const good: ImageQuality = { width: 1280, height: 806, sharpness: 450, brightness: 170, textCoverage: 0.55 };
  const quality = (changes: Partial<ImageQuality>) => codes(checkImageQuality({ ...good, ...changes }));

  it('should find nothing wrong with a good image, or with an image that was not measured', () => {
    assert.deepEqual(quality({}), []);
    assert.deepEqual(checkImageQuality(undefined), []);
  });

  it('should flag a short side under the minimum, or too few pixels', () => {
    assert.deepEqual(quality({ height: MIN_SHORT_SIDE_PX - 1 }), ['IMAGE_RESOLUTION_LOW']);
    assert.deepEqual(quality({ width: MIN_SHORT_SIDE_PX, height: MIN_SHORT_SIDE_PX }), ['IMAGE_RESOLUTION_LOW']);
    assert.ok(MIN_SHORT_SIDE_PX * MIN_SHORT_SIDE_PX < MIN_PIXELS);
    assert.deepEqual(quality({ width: 400, height: MIN_SHORT_SIDE_PX }), []);
  });

  it('should flag blur, darkness, glare and a small card at their thresholds', () => {
    assert.deepEqual(quality({ sharpness: MIN_SHARPNESS - 1 }), ['IMAGE_BLURRY']);
    assert.deepEqual(quality({ sharpness: MIN_SHARPNESS }), []);
    assert.deepEqual(quality({ brightness: MIN_BRIGHTNESS - 1 }), ['IMAGE_TOO_DARK']);
    assert.deepEqual(quality({ brightness: MAX_BRIGHTNESS + 1 }), ['IMAGE_TOO_BRIGHT']);
    assert.deepEqual(quality({ brightness: MAX_BRIGHTNESS }), []);
    assert.deepEqual(quality({ textCoverage: MIN_TEXT_COVERAGE - 0.01 }), ['CARD_TOO_SMALL']);
  });

  it('should judge a card too small by the size of its text, not by its share of the frame', () => {
    assert.deepEqual(quality({ textWidth: MIN_TEXT_WIDTH_PX - 1 }), ['CARD_TOO_SMALL']);
    assert.deepEqual(quality({ textWidth: MIN_TEXT_WIDTH_PX }), []);
    assert.deepEqual(
      quality({ textWidth: 2 * MIN_TEXT_WIDTH_PX, textCoverage: MIN_TEXT_COVERAGE / 4 }),
      [],
      'a card small in a large, sharp photo is cut out and read at full size',
    );
  });

  it('should flag a card without colour: any greyscale image, and a KTP whose blue ground is gone', () => {
    const typed = (colour: number, type: 'KTP' | 'NPWP') =>
      codes(checkImageQuality({ ...good, colourfulness: colour }, type));
    assert.deepEqual(typed(MIN_COLOURFULNESS - 0.5, 'NPWP'), ['IMAGE_NOT_IN_COLOUR']);
    assert.deepEqual(typed(MIN_COLOURFULNESS, 'NPWP'), [], 'a white NPWP in colour measures little more');
    assert.deepEqual(typed(MIN_KTP_COLOURFULNESS - 0.5, 'KTP'), ['IMAGE_NOT_IN_COLOUR']);
    assert.deepEqual(typed(MIN_KTP_COLOURFULNESS, 'KTP'), []);
    assert.deepEqual(quality({}), [], 'not measured: nothing said');
  });

  it('should report every problem of a bad image', () => {
    assert.deepEqual(quality({ width: 200, height: 150, sharpness: 10, brightness: 20, textCoverage: 0.02 }), [
      'IMAGE_RESOLUTION_LOW',
      'IMAGE_BLURRY',
      'IMAGE_TOO_DARK',
      'CARD_TOO_SMALL',
    ]);
  });
});
