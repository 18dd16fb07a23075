import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extractKtp, extractKtpDetailed, KTP_FIELDS as FIELD_NAMES } from '../../../domain/extraction/ktp.ts';
import { KTP_FIELDS, ktpLines, regions, TODAY } from './support.ts';

const options = { regions, today: TODAY };
/** The place and date of issue the support card prints under the photo. */
const ISSUED = { tempat_terbit: 'JAKARTA PUSAT', tanggal_terbit: '2016-08-12' };
const NOT_ISSUED = { tempat_terbit: null, tanggal_terbit: null };

/**
 * A KTP as PP-OCR really returns it (shared/notes/ocr-facts.md): spaces between Latin words dropped,
 * `:` read as `：`, doubled or lost, digits read as letters, a misspelt label, the address wrapped.
 */
const NOISY = [
  'PROVINSIDKIJAKARTA',
  'KOTAJAKARTA PUSAT',
  'NIK:3171O14IO19OOOO1',
  'Nama：：SITI CONTOH',
  'Tempat/TglLahir:JAKARTA,O1-01-199O',
  'JenisKelamin:PEREMPUAN Gol.Darah:A',
  'Alamat:JL. PERCOBAAN',
  'NO. 12 BLOK C',
  'RT/RW:OO1/OO2',
  'Kel/Desa GAMBIR',
  'Kecamatan；GAMBIR',
  'Agama:1SLAM',
  'StatusPerkawinan:BELUMKAWIN',
  'Pekerjaan:KARYAWANSWASTA',
  'Kewarganegaraar:WNI',
  'BerlakuHingga:SEUMURHIDUP',
];

describe('extractKtp', () => {
  it('should read every field of a clean card as the labels write it', () => {
    assert.deepEqual(extractKtp(ktpLines(), options), { ...KTP_FIELDS, ...ISSUED });
  });

  it('should return all 19 fields, null when not read', () => {
    const fields = extractKtp(['NIK : 3171014101900001'], options);
    assert.deepEqual(Object.keys(fields), [...FIELD_NAMES]);
    assert.equal(fields.nik, '3171014101900001');
    assert.equal(fields.nama, null);
    assert.equal(fields.golongan_darah, null);
  });

  it('should read a noisy card: dropped spaces, full-width and doubled colons, digit confusions, typos', () => {
    assert.deepEqual(extractKtp(NOISY, options), {
      ...KTP_FIELDS,
      ...NOT_ISSUED,
      alamat: 'JL. PERCOBAAN NO. 12 BLOK C',
      status_perkawinan: 'BELUM KAWIN',
    });
  });

  it('should read the same fields whatever the line order, except the wrapped address line', () => {
    const shuffled = [...NOISY].reverse();
    const fields = extractKtp(shuffled, options);
    assert.deepEqual(fields, {
      ...KTP_FIELDS,
      ...NOT_ISSUED,
      alamat: 'JL. PERCOBAAN',
      status_perkawinan: 'BELUM KAWIN',
    });
  });

  it('should end the address at an RT/RW pair or a labelled line whose label it could not read', () => {
    const withoutRtRwLabel = NOISY.map((line) => (line === 'RT/RW:OO1/OO2' ? 'OO1/OO2' : line));
    assert.deepEqual(extractKtp(withoutRtRwLabel, options), {
      ...KTP_FIELDS,
      ...NOT_ISSUED,
      alamat: 'JL. PERCOBAAN NO. 12 BLOK C',
      status_perkawinan: 'BELUM KAWIN',
    });
    const misreadLabels = NOISY.map((line) =>
      line === 'RT/RW:OO1/OO2' ? 'RT RVV : OO1/OO2' : line === 'Kel/Desa GAMBIR' ? 'Kcl Dcsx : GAMBIR' : line,
    );
    const fields = extractKtp(misreadLabels, options);
    assert.equal(fields.alamat, 'JL. PERCOBAAN NO. 12 BLOK C', 'neither line is taken into the address');
  });

  it('should read the RT/RW and Kel/Desa labels with their slash read as a letter', () => {
    const slashAsLetter = NOISY.map((line) =>
      line === 'RT/RW:OO1/OO2' ? 'RTlRW OO1/OO2' : line === 'Kel/Desa GAMBIR' ? 'KelIDesa GAMBIR' : line,
    );
    const fields = extractKtp(slashAsLetter, options);
    assert.equal(fields.rt_rw, KTP_FIELDS.rt_rw);
    assert.equal(fields.kel_desa, KTP_FIELDS.kel_desa);
  });

  it('should take a value from the line after a label-only line', () => {
    const lines = [
      'PROVINSI',
      'JAWA TENGAH',
      'KABUPATEN',
      'CILACAP',
      'NIK',
      '3301011506850002',
      'Nama',
      'ANDI PERCOBAAN',
      'Tempat/Tgl Lahir',
      'CILACAP, 15-06-1985',
      'Jenis Kelamin',
      'LAKI-LAKI',
      'Alamat',
      'JL. CONTOH NO 3',
      'RT/RW',
      '003/004',
      'Agama',
      'KRISTEN',
      'Berlaku Hingga',
      'SEUMUR HIDUP',
    ];
    const fields = extractKtp(lines, options);
    assert.equal(fields.provinsi, 'JAWA TENGAH');
    assert.equal(fields.kabupaten_kota, 'CILACAP');
    assert.equal(fields.nik, '3301011506850002');
    assert.equal(fields.nama, 'ANDI PERCOBAAN');
    assert.equal(fields.tempat_lahir, 'CILACAP');
    assert.equal(fields.tanggal_lahir, '1985-06-15');
    assert.equal(fields.jenis_kelamin, 'LAKI-LAKI');
    assert.equal(fields.alamat, 'JL. CONTOH NO 3');
    assert.equal(fields.rt_rw, '003/004');
    assert.equal(fields.agama, 'KRISTEN');
    assert.equal(fields.berlaku_hingga, 'SEUMUR HIDUP');
  });

  it('should pair labels and values when all labels come before all values', () => {
    const fields = extractKtp(
      ['Agama', 'Status Perkawinan', 'Kewarganegaraan', 'HINDU', 'CERAI HIDUP', 'WNA'],
      options,
    );
    assert.equal(fields.agama, 'HINDU');
    assert.equal(fields.status_perkawinan, 'CERAI HIDUP');
    assert.equal(fields.kewarganegaraan, 'WNA');
  });

  it('should read the regency printed without KOTA under the province header', () => {
    const fields = extractKtp(['PROVINSI DKI JAKARTA', 'JAKARTASELATAN', 'NIK : 3174014101900001'], options);
    assert.equal(fields.provinsi, 'DKI JAKARTA');
    assert.equal(fields.kabupaten_kota, 'JAKARTA SELATAN');
  });

  it('should drop the PROVINSI, KABUPATEN and KOTA words from the header values', () => {
    const fields = extractKtp(['PROVINSI DAERAH ISTIMEWA YOGYAKARTA', 'KABUPATEN SLEMAN'], options);
    assert.equal(fields.provinsi, 'DAERAH ISTIMEWA YOGYAKARTA');
    assert.equal(fields.kabupaten_kota, 'SLEMAN');
  });

  it('should keep an unknown province and regency as read', () => {
    const fields = extractKtp(['PROVINSI KONOHAGAKURE', 'KABUPATEN KONOHAGAKURE'], options);
    assert.equal(fields.provinsi, 'KONOHAGAKURE');
    assert.equal(fields.kabupaten_kota, 'KONOHAGAKURE');
  });

  it('should work without a region index', () => {
    const fields = extractKtp(['PROVINSI JAWA BARAT', 'KOTA BANDUNG', 'NIK : 3273011506850002']);
    assert.equal(fields.provinsi, 'JAWA BARAT');
    assert.equal(fields.kabupaten_kota, 'BANDUNG');
  });

  describe('OCR confusions in free text', () => {
    const read = (line: string) => extractKtp([line], options);

    it('should drop the issuing date printed level with the occupation', () => {
      assert.equal(read('Pekerjaan : MENGURUS RUMAH TANGGA 26-07-2024').pekerjaan, 'MENGURUS RUMAH TANGGA');
      assert.equal(read('Pekerjaan : KARYAWAN SWASTA 14- 12-2019').pekerjaan, 'KARYAWAN SWASTA');
    });

    it('should read a 0 next to letters as O in names of people and places', () => {
      assert.equal(read('Nama : B0WO SANT0SO').nama, 'BOWO SANTOSO');
      assert.equal(read('Tempat/Tgl Lahir : G0WA, 01-02-1990').tempat_lahir, 'GOWA');
    });

    it('should split place and date of birth whether the comma was lost, glued or read as 1', () => {
      const birth = (value: string) => {
        const fields = read(`Tempat/Tgl Lahir : ${value}`);
        return [fields.tempat_lahir, fields.tanggal_lahir];
      };
      for (const value of [
        'JAKARTA 17-08-1990',
        'JAKARTA. 17-08-1990',
        'JAKARTA17-08-1990',
        'JAKARTA1 17-08-1990',
        'JAKARTA117-08-1990',
        'JAKARTA| 17-08-1990',
      ])
        assert.deepEqual(birth(value), ['JAKARTA', '1990-08-17'], value);
      assert.deepEqual(birth('JAKARTA17-08-1990'), ['JAKARTA', '1990-08-17'], 'a glued two-digit day stays whole');
    });

    it('should write an address in the printed convention', () => {
      assert.equal(
        read('Alamat : JL.MAWAR N0.57 RT 001 RW 002 DUKUH,CIBODAS').alamat,
        'JL. MAWAR NO. 57 RT 001 RW 002 DUKUH, CIBODAS',
      );
      assert.equal(read('Alamat : JL IMUNO NO. 218').alamat, 'JL. IMUNO NO. 218');
    });
  });

  describe('enumerations', () => {
    const read = (line: string) => extractKtp([line], options);

    it('should snap close misreads to the canonical value', () => {
      assert.equal(read('Agama : KATHOLIK').agama, 'KATOLIK');
      assert.equal(read('Agama : BUDHA').agama, 'BUDDHA');
      // Both KONGHUCU and KHONGHUCU are printed; a misread snaps to the nearer spelling.
      assert.equal(read('Agama : KHONGHUCHU').agama, 'KHONGHUCU');
      assert.equal(read('Agama : KONGHUCHU').agama, 'KONGHUCU');
      assert.equal(read('Agama : ISLAN').agama, 'ISLAM');
      assert.equal(read('Status Perkawinan : CERAIMATI').status_perkawinan, 'CERAI MATI');
      assert.equal(read('Status Perkawinan : KAWlN').status_perkawinan, 'KAWIN');
      assert.equal(read('Kewarganegaraan : WN1').kewarganegaraan, 'WNI');
      assert.equal(read('Jenis Kelamin : LAKILAKI').jenis_kelamin, 'LAKI-LAKI');
      assert.equal(read('Jenis Kelamin : PEREMPUAM').jenis_kelamin, 'PEREMPUAN');
    });

    it('should tell the sex from a garbled reading that is far closer to one value than the other', () => {
      assert.equal(read('Jenis Kelamin : LAIG-LAIC').jenis_kelamin, 'LAKI-LAKI');
      assert.equal(read('Jenis Kelamin : LAKT LAN').jenis_kelamin, 'LAKI-LAKI');
      assert.equal(read('Jenis Kelamin : PERENPLIAN').jenis_kelamin, 'PEREMPUAN');
      assert.equal(read('Jenis Kelamin : XQZ').jenis_kelamin, 'XQZ', 'close to neither');
      assert.equal(read('Jenis Kelamin : LA').jenis_kelamin, 'LA', 'too little to tell');
    });

    it("should read a citizen's WNI whose I was lost, but only on a card printed in Indonesian", () => {
      const card = (citizenship: string, sex: string) =>
        extractKtp([`Jenis Kelamin : ${sex}`, `Kewarganegaraan : ${citizenship}`], options).kewarganegaraan;
      assert.equal(card('WN', 'LAKI-LAKI'), 'WNI');
      assert.equal(card('WNT', 'PEREMPUAN'), 'WNI');
      assert.equal(card('WN', 'MALE'), 'WN', "a foreign resident's card prints the sex in English");
      assert.equal(card('WNA', 'LAKI-LAKI'), 'WNA', 'a value in the list is kept');
      assert.equal(card('WONOSOBO', 'LAKI-LAKI'), 'WONOSOBO', 'only a short W… token');
    });

    it('should keep values that are not close to any canonical value', () => {
      assert.equal(read('Agama : ASGARDISM').agama, 'ASGARDISM');
      assert.equal(read('Kewarganegaraan : ASGARDIAN').kewarganegaraan, 'ASGARDIAN');
    });

    it('should ignore another column read onto the same line', () => {
      assert.equal(read('Kewarganegaraan : WNI 12-08-2016').kewarganegaraan, 'WNI');
    });

    it('should read the blood group next to the sex, with its OCR variants', () => {
      assert.equal(read('Jenis Kelamin : LAKI-LAKI Gol. Darah : 0').golongan_darah, 'O');
      assert.equal(read('JenisKelamin:LAKI-LAKIGol.Darah:AB+').golongan_darah, 'AB+');
      assert.equal(read('Jenis Kelamin : LAKI-LAKI Gol. Darah : -').golongan_darah, '-');
      assert.equal(read('Jenis Kelamin : LAKI-LAKI Gol. Darah :').golongan_darah, '-');
      assert.equal(read('Jenis Kelamin : LAKI-LAKI Gol. Darah : 8').golongan_darah, 'B');
      assert.equal(read('Gol. Darah : O−').golongan_darah, 'O-');
      assert.equal(read('Gol. Darah : A +').golongan_darah, 'A+');
      assert.equal(read('Gol. Darah : O JAKARTA BARAT').golongan_darah, 'O');
      assert.equal(read('Gol. Darah : ABC').golongan_darah, 'ABC');
    });

    it('should give the blood group as - when its label is read without a value', () => {
      const fields = extractKtp(['Gol. Darah', 'Alamat : JL. CONTOH'], options);
      assert.equal(fields.golongan_darah, '-');
      assert.equal(fields.alamat, 'JL. CONTOH');
    });

    it('should keep a misspelt lifetime validity as printed, with its space back', () => {
      assert.equal(read('Berlaku Hingga : SEUMURHIDIP').berlaku_hingga, 'SEUMUR HIDIP');
      assert.equal(read('Berlaku Hingga : SEUMUR HIDUP').berlaku_hingga, 'SEUMUR HIDUP');
    });

    it('should read a validity date as ISO', () => {
      assert.equal(read('Berlaku Hingga : 22-02-2017').berlaku_hingga, '2017-02-22');
      assert.equal(read('Berlaku Hingga : 22-O2-2O17').berlaku_hingga, '2017-02-22');
    });
  });

  it('should recognise distinctive values whose label was lost', () => {
    const fields = extractKtp(['3171014101900001', 'BELUM KAWIN', 'SEUMUR HIDUP', 'ISLAM'], options);
    assert.equal(fields.nik, '3171014101900001');
    assert.equal(fields.status_perkawinan, 'BELUM KAWIN');
    assert.equal(fields.berlaku_hingga, 'SEUMUR HIDUP');
    assert.equal(fields.agama, 'ISLAM');
  });

  it('should not take the issue place and date at the bottom right for a field', () => {
    const fields = extractKtp(ktpLines(), options);
    assert.equal(fields.tanggal_lahir, '1990-01-01');
    assert.equal(fields.berlaku_hingga, 'SEUMUR HIDUP');
  });

  it('should give back the spaces of a listed occupation only', () => {
    assert.equal(extractKtp(['Pekerjaan : PELAJARMAHASISWA'], options).pekerjaan, 'PELAJAR/MAHASISWA');
    assert.equal(extractKtp(['Pekerjaan : SHINOBI'], options).pekerjaan, 'SHINOBI');
  });

  it('should read a birth place without a readable date', () => {
    const fields = extractKtp(['Tempat/Tgl Lahir : ASLI GARUD, ??-??-????'], options);
    assert.equal(fields.tempat_lahir, 'ASLI GARUD');
    assert.equal(fields.tanggal_lahir, null);
  });

  it('should stop an address after three lines', () => {
    const fields = extractKtp(['Alamat : JL. CONTOH', 'BLOK A', 'NO 1', 'SEKTOR 2', 'TAMAN'], options);
    assert.equal(fields.alamat, 'JL. CONTOH BLOK A NO 1');
  });

  it('should report the lines the fields came from', () => {
    const { sourceLines } = extractKtpDetailed(['NOISE ###', 'NIK : 3171014101900001', 'Nama', 'SITI CONTOH'], options);
    assert.deepEqual(sourceLines, [1, 2, 3]);
  });
});
