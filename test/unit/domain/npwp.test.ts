import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  checkNpwpNumber,
  extractNpwp,
  NPWP_FIELDS as FIELD_NAMES,
  formatNpwp,
} from '../../../domain/extraction/npwp.ts';
import { luhnValid } from '../../../domain/identifiers/luhn.ts';
import { codes, luhnDigit, NPWP_FIELDS, npwpLines, regions, TODAY, validNpwp } from './support.ts';

const options = { regions, today: TODAY };
const check = (npwp: string) => codes(checkNpwpNumber(npwp, regions, TODAY));

describe('extractNpwp', () => {
  it('should read every field of a clean card', () => {
    assert.deepEqual(extractNpwp(npwpLines(), options), NPWP_FIELDS);
  });

  it('should return all 5 fields, null when not read', () => {
    const fields = extractNpwp(['NPWP : 01.234.567.8-901.000'], options);
    assert.deepEqual(Object.keys(fields), [...FIELD_NAMES]);
    assert.equal(fields.npwp, '01.234.567.8-901.000');
    assert.equal(fields.tanggal_terdaftar, null);
  });

  it('should read a noisy card: full-width colon, letters for digits, dropped spaces', () => {
    const fields = extractNpwp(
      [
        'KEMENTERIANKEUANGAN REPUBLIKINDONESIA',
        'DIREKTORATJENDERALPAJAK',
        `NPWP：${NPWP_FIELDS.npwp.replace(/0/g, 'O').replace(/1/g, 'l')}`,
        'SITI CONTOH',
        'NIK::3171O14IO19OOOO1',
        'JL. PERCOBAAN NO. 12 RT 001 RW 002',
        'GAMBIR, GAMBIR,',
        'JAKARTA PUSAT',
        'KPPPRATAMA JAKARTA GAMBIR SATU',
        'TanggalTerdaftar:1O-03-2015',
      ],
      options,
    );
    assert.deepEqual(fields, NPWP_FIELDS);
  });

  it('should read the number printed without its label, and Terdaftar without Tanggal', () => {
    const fields = extractNpwp(
      ['DIREKTORAT JENDERAL PAJAK', NPWP_FIELDS.npwp, 'SITI CONTOH', 'JL. PERCOBAAN NO. 12', 'Terdaftar : 10/03/2015'],
      options,
    );
    assert.equal(fields.npwp, NPWP_FIELDS.npwp);
    assert.equal(fields.nama, 'SITI CONTOH');
    assert.equal(fields.alamat, 'JL. PERCOBAAN NO. 12');
    assert.equal(fields.tanggal_terdaftar, '2015-03-10');
  });

  it('should take the number from the line after a label-only NPWP line', () => {
    const fields = extractNpwp(['NPWP', NPWP_FIELDS.npwp, 'SITI CONTOH'], options);
    assert.equal(fields.npwp, NPWP_FIELDS.npwp);
    assert.equal(fields.nama, 'SITI CONTOH');
  });

  it('should keep a 16-digit NPWP as 16 digits', () => {
    assert.equal(extractNpwp(['NPWP16 : 0012345678901000'], options).npwp, '0012345678901000');
    assert.equal(extractNpwp(['NPWP : 3171014101900001', 'SITI CONTOH'], options).npwp, '3171014101900001');
  });

  it('should take a long number whose label was lost, after the NPWP, as the NIK even a few digits short', () => {
    const npwp = `NPWP : ${NPWP_FIELDS.npwp}`;
    assert.equal(extractNpwp([npwp, 'SITI CONTOH', 'NK:64710354010556'], options).nik, '64710354010556');
    assert.equal(extractNpwp([npwp, 'NEC:760076209960282'], options).nik, '760076209960282');
    // Before the NPWP, or too short to be a NIK, or a second dotted NPWP: not the NIK.
    assert.equal(extractNpwp(['NK:64710354010556', npwp], options).nik, null);
    assert.equal(extractNpwp([npwp, 'NK:1234567890'], options).nik, null);
    assert.equal(extractNpwp([npwp, NPWP_FIELDS.npwp], options).nik, null);
  });

  it('should read labelled name and address on newer cards', () => {
    const fields = extractNpwp(
      ['NPWP : 3171014101900001', 'Nama : SITI CONTOH', 'Alamat : JL. PERCOBAAN NO. 12'],
      options,
    );
    assert.equal(fields.nama, 'SITI CONTOH');
    assert.equal(fields.alamat, 'JL. PERCOBAAN NO. 12');
  });

  it('should take a date alone after the address for the registration date whose label was lost', () => {
    const lines = [...npwpLines().slice(0, -1), '10-03-2015'];
    assert.deepEqual(extractNpwp(lines, options), NPWP_FIELDS);
  });

  it('should leave the registration date null when it is cut off', () => {
    const lines = npwpLines().slice(0, -1);
    assert.equal(extractNpwp(lines, options).tanggal_terdaftar, null);
    assert.equal(extractNpwp(lines, options).alamat, NPWP_FIELDS.alamat);
  });
});

describe('the NPWP layouts', () => {
  const OLD_CARD = {
    npwp: NPWP_FIELDS.npwp,
    nama: 'SITI CONTOH',
    alamat: 'JL. PERCOBAAN NO. 12 RT 001 RW 002 GAMBIR, GAMBIR, JAKARTA PUSAT',
    tanggal_terdaftar: '2004-03-10',
  };

  it('should read the old DJP card: Departemen Keuangan header, no NIK line', () => {
    const fields = extractNpwp(
      [
        'DEPARTEMEN KEUANGAN REPUBLIK INDONESIA',
        'DIREKTORAT JENDERAL PAJAK',
        `NPWP : ${OLD_CARD.npwp}`,
        OLD_CARD.nama,
        'JL. PERCOBAAN NO. 12 RT 001 RW 002',
        'GAMBIR, GAMBIR, JAKARTA PUSAT',
        'KPP PRATAMA JAKARTA GAMBIR SATU',
        'Tanggal Terdaftar : 10-03-2004',
      ],
      options,
    );
    assert.deepEqual(fields, { ...OLD_CARD, nik: null });
  });

  it('should never take a header line for the name or the address, wherever the recogniser puts it', () => {
    // On a real old card the header was read after the number, in pieces and misspelt, and was
    // taken for the name and the address.
    const headers = [
      ['DEPARTEMEN KEUANGAN REPUBLIK INDONESIA', 'DIREKTORAT JENDERAL PAJAK'],
      ['DEPARTEMEN KEUANGAN', 'REPUBLIK INDONESIA', 'DIREKTORAT JENDERAL', 'PAJAK'],
      ['DEPARTEMEN KEUANGAN REPUBUK INDONESlA', 'DlREKTORAT JENDRAL PAJAK'],
      ['DEPARTEMENKEUANGAN', 'JENDERAL PAJAK'],
      ['KEMENTERIAN KEUANGAN REPUBLIK INDONESIA', 'DIREKTORAT JENDERAL PAJAK'],
      ['NOMOR POKOK WAJIB PAJAK', 'KANWIL DJP JAKARTA PUSAT'],
    ];
    for (const header of headers) {
      const body = [
        `NPWP : ${OLD_CARD.npwp}`,
        OLD_CARD.nama,
        'JL. PERCOBAAN NO. 12 RT 001 RW 002',
        'GAMBIR, GAMBIR, JAKARTA PUSAT',
        'KPP PRATAMA JAKARTA GAMBIR SATU',
        'Tanggal Terdaftar : 10-03-2004',
      ];
      // Before the number, between the number and the name, and between the name and the address.
      for (const at of [0, 1, 2]) {
        const lines = [...body.slice(0, at), ...header, ...body.slice(at)];
        const fields = extractNpwp(lines, options);
        assert.equal(fields.nama, OLD_CARD.nama, `${header.join(' / ')} at ${at}`);
        assert.equal(fields.alamat, OLD_CARD.alamat, `${header.join(' / ')} at ${at}`);
      }
    }
  });

  it('should leave the name empty rather than take a header when the name line is lost', () => {
    const fields = extractNpwp(
      [`NPWP : ${OLD_CARD.npwp}`, 'DEPARTEMEN KEUANGAN', 'REPUBLIK INDONESIA', 'Tanggal Terdaftar : 10-03-2004'],
      options,
    );
    assert.equal(fields.nama, null);
    assert.equal(fields.alamat, null);
  });

  it('should still read names and addresses that share a word with the header', () => {
    const fields = extractNpwp(
      [`NPWP : ${OLD_CARD.npwp}`, 'PAJAR INDONESIANTO', 'JL. KEUANGAN RAYA NO. 3', 'Terdaftar : 10-03-2004'],
      options,
    );
    assert.equal(fields.nama, 'PAJAR INDONESIANTO');
    assert.equal(fields.alamat, 'JL. KEUANGAN RAYA NO. 3');
  });

  it('should read the 16-digit NPWP (the NIK) as printed, without a NIK line, and validate it as a NIK', () => {
    const fields = extractNpwp(
      [
        'KEMENTERIAN KEUANGAN REPUBLIK INDONESIA',
        'DIREKTORAT JENDERAL PAJAK',
        'NPWP : 3171014101900001',
        'SITI CONTOH',
        'JL. PERCOBAAN NO. 12 RT 001 RW 002',
        'GAMBIR, GAMBIR, JAKARTA PUSAT',
        'KPP PRATAMA JAKARTA GAMBIR SATU',
        'Terdaftar : 10-03-2015',
      ],
      options,
    );
    assert.equal(fields.npwp, '3171014101900001');
    assert.equal(fields.nik, null);
    assert.equal(fields.nama, 'SITI CONTOH');
    assert.deepEqual(check(fields.npwp as string), []);
    // Its serial 0000 breaks a NIK rule, not a check digit.
    assert.deepEqual(check('3171014101900000'), ['NPWP_CHECK_DIGIT_UNVERIFIABLE']);
  });
});

describe('the NPWP number', () => {
  it('should format 15 digits in the printed dotted form', () => {
    assert.equal(formatNpwp('012345678901000'), '01.234.567.8-901.000');
    assert.equal(formatNpwp('1234'), '1234');
  });

  it('should compute Luhn like the reference examples', () => {
    // The OECD TIN example 09.254.294.3-… (shared/notes/kyc-domain.md §3.2) passes Luhn over 9 digits.
    assert.equal(luhnValid('092542943'), true);
    assert.equal(luhnValid('092542944'), false);
    assert.equal(luhnValid('79927398713'), true); // the textbook Luhn example
    assert.equal(luhnValid('12a'), false);
  });

  it('should accept 15-digit numbers whose check digit is right', () => {
    for (const serial of ['01234567', '31666837', '72731815', '00000001', '98765432']) {
      const npwp = validNpwp(serial);
      assert.deepEqual(check(npwp), [], npwp);
      assert.deepEqual(check(npwp.replace(/\D/g, '')), [], 'also without separators');
    }
  });

  it('should reject 15-digit numbers whose check digit is wrong', () => {
    assert.deepEqual(check('99.999.999.9-999.000'), ['NPWP_CHECK_DIGIT_INVALID']);
    const good = validNpwp('01234567');
    const wrongDigit = String((Number(luhnDigit('01234567')) + 1) % 10);
    assert.deepEqual(check(`${good.slice(0, 11)}${wrongDigit}${good.slice(12)}`), ['NPWP_CHECK_DIGIT_INVALID']);
  });

  it('should check a 16-digit number starting with 0 as the converted 15-digit one', () => {
    const digits = validNpwp('01234567').replace(/\D/g, '');
    assert.deepEqual(check(`0${digits}`), []);
    assert.deepEqual(check('0999999999999000'), ['NPWP_CHECK_DIGIT_INVALID']);
  });

  it('should check a 16-digit number not starting with 0 as a NIK', () => {
    assert.deepEqual(check('3171014101900001'), []);
    // Region 99 does not exist: not a NIK, and no other rule can verify it.
    assert.deepEqual(check('9971014101900001'), ['NPWP_CHECK_DIGIT_UNVERIFIABLE']);
  });

  it('should refuse other lengths and other characters', () => {
    assert.deepEqual(check('01.234.567.8-901.00'), ['NPWP_FORMAT_INVALID']);
    assert.deepEqual(check('12345678901234567'), ['NPWP_FORMAT_INVALID']);
    assert.deepEqual(check('01.234.567.8-901.OOO'), ['NPWP_FORMAT_INVALID']);
  });

  it('should give the check-digit failures their catalogue severities', () => {
    assert.equal(checkNpwpNumber('99.999.999.9-999.000', regions, TODAY)[0]?.severity, 'reject');
    assert.equal(checkNpwpNumber('9971014101900001', regions, TODAY)[0]?.severity, 'review');
  });
});
