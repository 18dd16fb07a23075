import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeNik } from '../../../domain/identifiers/nikDecoding.ts';
import { regions, TODAY } from './support.ts';

/** Made-up NIKs: Gambir, Jakarta Pusat (31.71.01); a woman born 1990-01-01, a man born 1985-08-12. */
const WOMAN = '3171014101900001';
const MAN = '3171011208850003';

describe('decoding a NIK beside the card', () => {
  it('should name its regions, and give its birth date and sex', () => {
    const decoded = decodeNik(WOMAN, {}, regions, TODAY);
    assert.ok(decoded);
    assert.deepEqual(decoded.province, {
      code: '31',
      name: 'Daerah Khusus Ibukota Jakarta',
      printed: null,
      agrees: null,
    });
    assert.equal(decoded.regency.name, 'Kota Administrasi Jakarta Pusat');
    assert.deepEqual(decoded.district, { code: '31.71.01', name: 'Gambir', printed: null, agrees: null });
    assert.deepEqual(decoded.birthDate, { fromNik: '1990-01-01', printed: null, agrees: null });
    assert.deepEqual(decoded.sex, { fromNik: 'PEREMPUAN', printed: null, agrees: null });
    assert.equal(decoded.serial, '0001');
    assert.equal(decodeNik(MAN, {}, regions, TODAY)?.sex.fromNik, 'LAKI-LAKI');
  });

  it('should compare each part with what the card prints', () => {
    const agreeing = decodeNik(
      WOMAN,
      {
        provinsi: 'DKI JAKARTA',
        kabupaten_kota: 'JAKARTA PUSAT',
        kecamatan: 'GAMBIR',
        tanggal_lahir: '1990-01-01',
        jenis_kelamin: 'PEREMPUAN',
      },
      regions,
      TODAY,
    );
    assert.deepEqual(
      [agreeing?.province, agreeing?.regency, agreeing?.district, agreeing?.birthDate, agreeing?.sex].map(
        (item) => item?.agrees,
      ),
      [true, true, true, true, true],
    );
    // A KTP WNA prints the English value; it means the same.
    assert.equal(decodeNik(WOMAN, { jenis_kelamin: 'FEMALE' }, regions, TODAY)?.sex.agrees, true);

    const differing = decodeNik(
      WOMAN,
      {
        provinsi: 'JAWA BARAT',
        kabupaten_kota: 'KOTA BANDUNG',
        tanggal_lahir: '1990-01-02',
        jenis_kelamin: 'LAKI-LAKI',
      },
      regions,
      TODAY,
    );
    assert.deepEqual(
      [differing?.province.agrees, differing?.regency.agrees, differing?.birthDate.agrees, differing?.sex.agrees],
      [false, null, false, false],
      'a regency outside the NIK’s province is not resolved within it: no verdict',
    );
    assert.equal(decodeNik(WOMAN, { kabupaten_kota: 'JAKARTA SELATAN' }, regions, TODAY)?.regency.agrees, false);
  });

  it('should say nothing it cannot tell: unreadable or unknown printed values, impossible NIK dates', () => {
    const unknown = decodeNik(
      WOMAN,
      { provinsi: 'QQQQ', kecamatan: 'ZZZZZZ', tanggal_lahir: '01-01-1990', jenis_kelamin: 'X' },
      regions,
      TODAY,
    );
    assert.deepEqual(
      [unknown?.province.agrees, unknown?.district.agrees, unknown?.birthDate.agrees, unknown?.sex.agrees],
      [null, null, null, null],
    );
    // Month 78: no birth date, yet its digits are still compared with the card's.
    const impossible = decodeNik('3171014178900001', { tanggal_lahir: '1990-01-01' }, regions, TODAY);
    assert.equal(impossible?.birthDate.fromNik, null);
    assert.equal(impossible?.birthDate.agrees, false);
    // A region code that does not exist has no name.
    assert.equal(decodeNik('9971014101900001', {}, regions, TODAY)?.province.name, null);
    for (const malformed of ['', '317101410190000', '317101410190000X', '31710141019000011'])
      assert.equal(decodeNik(malformed, {}, regions, TODAY), null, malformed);
  });
});
