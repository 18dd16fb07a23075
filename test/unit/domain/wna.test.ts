import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkKtp } from '../../../domain/checks/checks.ts';
import { ENUMS, enumValue, isForeignNationality, meaningOf, snapEnum } from '../../../domain/extraction/enums.ts';
import { extractKtp } from '../../../domain/extraction/ktp.ts';
import { occupationValue } from '../../../domain/extraction/ktpValues.ts';
import { matchNationality, NATIONALITIES, nationalityName } from '../../../domain/extraction/nationalities.ts';
import { codes, KTP_FIELDS, ktpLines, regions, TODAY } from './support.ts';

/**
 * A foreign resident's KTP (KTP WNA): the same labels and NIK as a citizen's card, values in English,
 * a nationality under Kewarganegaraan and a fixed expiry (the residence permit's). The holder is the
 * woman of KTP_FIELDS (her NIK encodes 1 Jan 1990, female).
 */
const WNA = {
  ...KTP_FIELDS,
  nama: 'KALINGNA ASRUHNI',
  tempat_lahir: 'KUALA LUMPUR',
  jenis_kelamin: 'FEMALE',
  agama: 'BUDDHISM',
  status_perkawinan: 'NOT MARRIED',
  pekerjaan: 'PRIVATE EMPLOYEE',
  kewarganegaraan: 'KOREA SELATAN',
  berlaku_hingga: '2029-05-12',
};

const context = { regions, today: TODAY };
const check = (changes: Record<string, string> = {}) => codes(checkKtp({ ...WNA, ...changes }, context));

describe('KTP WNA (foreign resident)', () => {
  it('should read the English values and the nationality as printed, and the fixed expiry as a date', () => {
    const fields: Record<string, string | null> = extractKtp(
      ktpLines({ ...WNA, berlaku_hingga: '12-05-2029' }),
      context,
    );
    for (const [field, value] of Object.entries(WNA)) assert.equal(fields[field], value, field);
  });

  it('should find nothing wrong with a valid card', () => {
    assert.deepEqual(check(), []);
    for (const [field, value] of [
      ['jenis_kelamin', 'FEMALE'],
      ['agama', 'CHRISTIAN'],
      ['agama', 'CATHOLIC'],
      ['agama', 'ISLAM'],
      ['agama', 'HINDUISM'],
      ['agama', 'CONFUCIANISM'],
      ['status_perkawinan', 'MARRIED'],
      ['status_perkawinan', 'SINGLE'],
      ['status_perkawinan', 'DIVORCED'],
      ['status_perkawinan', 'WIDOWED'],
      ['kewarganegaraan', 'CHINA'],
      ['kewarganegaraan', 'JAPAN'],
      ['kewarganegaraan', 'JEPANG'],
      ['kewarganegaraan', 'SOUTH KOREA'],
      ['kewarganegaraan', 'AUSTRALIA'],
      ['kewarganegaraan', 'USA'],
      ['pekerjaan', 'KARYAWAN SWASTA'],
    ] as const) {
      assert.deepEqual(check({ [field]: value }), [], `${field} ${value}`);
    }
  });

  it('should check the NIK against the sex printed in English', () => {
    assert.deepEqual(check({ jenis_kelamin: 'MALE' }), ['NIK_SEX_MISMATCH']);
    assert.equal(meaningOf('jenis_kelamin', 'FEMALE'), 'PEREMPUAN');
    assert.equal(meaningOf('status_perkawinan', 'NOT MARRIED'), 'BELUM KAWIN');
    assert.equal(meaningOf('agama', 'KATOLIK'), 'KATOLIK');
  });

  it('should apply the NIK rules and the age rule as on any KTP', () => {
    assert.deepEqual(check({ nik: '3171014101900000' }), ['NIK_SERIAL_INVALID']);
    assert.deepEqual(check({ tanggal_lahir: '1990-01-02' }), ['NIK_BIRTHDATE_MISMATCH']);
    assert.ok(check({ nik: '9971014101900001' }).includes('NIK_REGION_UNKNOWN'));
  });

  it('should give DOCUMENT_EXPIRED for a passed expiry, naming the residence permit', () => {
    const reasons = checkKtp({ ...WNA, berlaku_hingga: '2024-05-12' }, context);
    assert.deepEqual(codes(reasons), ['DOCUMENT_EXPIRED']);
    assert.match(reasons[0]?.message ?? '', /residence permit/);
    // A citizen's card keeps the plain message.
    const citizen = checkKtp({ ...KTP_FIELDS, berlaku_hingga: '2024-05-12' }, context);
    assert.doesNotMatch(citizen[0]?.message ?? '', /residence permit/);
  });

  it('should flag SEUMUR HIDUP on a foreign resident card, never on a citizen one', () => {
    const reasons = checkKtp({ ...WNA, berlaku_hingga: 'SEUMUR HIDUP' }, context);
    assert.deepEqual(codes(reasons), ['FIELD_VALUE_UNKNOWN']);
    assert.match(reasons[0]?.message ?? '', /Field: berlaku_hingga\./);
    assert.deepEqual(codes(checkKtp({ ...KTP_FIELDS, berlaku_hingga: 'SEUMUR HIDUP' }, context)), []);
    assert.deepEqual(
      codes(checkKtp({ ...KTP_FIELDS, kewarganegaraan: 'WNA', berlaku_hingga: 'SEUMUR HIDUP' }, context)),
      ['FIELD_VALUE_UNKNOWN'],
    );
  });

  it('should still flag a value outside every list', () => {
    assert.deepEqual(check({ agama: 'PASTAFARIAN' }), ['FIELD_VALUE_UNKNOWN']);
    assert.deepEqual(check({ kewarganegaraan: 'NARNIA' }), ['FIELD_VALUE_UNKNOWN']);
    assert.deepEqual(check({ jenis_kelamin: 'UNKNOWN' }), ['FIELD_VALUE_UNKNOWN']);
  });
});

describe('English enumeration values', () => {
  it('should snap misread English values and keep them in English', () => {
    assert.equal(enumValue('jenis_kelamin', 'MAIE'), 'MALE');
    assert.equal(enumValue('jenis_kelamin', 'FEMALE'), 'FEMALE');
    assert.equal(enumValue('jenis_kelamin', 'MALE'), 'MALE');
    assert.equal(enumValue('status_perkawinan', 'NOTMARRIED'), 'NOT MARRIED');
    assert.equal(enumValue('status_perkawinan', 'MARRIED'), 'MARRIED');
    assert.equal(enumValue('status_perkawinan', 'MARIED'), 'MARRIED');
    assert.equal(enumValue('agama', 'CHRISTlAN'), 'CHRISTIAN');
    assert.equal(enumValue('agama', 'BUDDHISM'), 'BUDDHISM');
    // Two English spellings of one religion are not an ambiguity.
    assert.equal(enumValue('agama', 'BUDDHIS'), 'BUDDHISM');
    // The Indonesian values are read as before.
    assert.equal(enumValue('status_perkawinan', 'BELUMKAWIN'), 'BELUM KAWIN');
    assert.equal(enumValue('agama', 'KATHOLIK'), 'KATOLIK');
    assert.equal(enumValue('kewarganegaraan', 'WNI 22-02-2012'), 'WNI');
  });

  it('should give back the spaces of an English occupation', () => {
    assert.equal(occupationValue('PRIVATEEMPLOYEE'), 'PRIVATE EMPLOYEE');
    assert.equal(occupationValue('TEACHER'), 'TEACHER');
  });

  it('should read a nationality after its label, spaces dropped or a date after it, but not snap a misread one', () => {
    assert.equal(enumValue('kewarganegaraan', 'KOREASELATAN'), 'KOREA SELATAN');
    assert.equal(enumValue('kewarganegaraan', 'JAPAN 22-02-2012'), 'JAPAN');
    assert.equal(enumValue('kewarganegaraan', 'south korea'), 'SOUTH KOREA');
    // One letter from another country or a word: kept as read, for the checks to flag.
    assert.equal(enumValue('kewarganegaraan', 'IRAX'), 'IRAX');
    assert.equal(enumValue('kewarganegaraan', 'JEPARA'), 'JEPARA');
    assert.equal(matchNationality('HELLO WORLD'), null);
  });

  it('should not take a country name standing alone on an unlabelled line for the nationality', () => {
    assert.equal(snapEnum('kewarganegaraan', 'MALAYSIA', { prefix: false }), null);
    assert.equal(snapEnum('kewarganegaraan', 'WNI', { prefix: false }), 'WNI');
    const lines = ktpLines().filter((line) => !line.startsWith('Kewarganegaraan'));
    lines.splice(9, 0, 'INDIA');
    assert.equal(extractKtp(lines, context).kewarganegaraan, null);
  });

  it('should list nationalities in English and Indonesian from CLDR, without Indonesia or non-countries', () => {
    for (const name of ['CHINA', 'JAPAN', 'JEPANG', 'SOUTH KOREA', 'KOREA SELATAN', 'AUSTRALIA', 'BELANDA', 'INDIA']) {
      assert.ok(NATIONALITIES.includes(name), name);
    }
    for (const name of ['INDONESIA', 'EUROPEAN UNION', 'UNITED NATIONS', 'UNKNOWN REGION', 'WNI']) {
      assert.ok(!NATIONALITIES.includes(name), name);
    }
    assert.equal(nationalityName('KR', 'id'), 'KOREA SELATAN');
    // Accents and apostrophes dropped (Côte d’Ivoire), as the labels write upper-case ASCII.
    assert.equal(nationalityName('CI', 'en'), 'COTE DIVOIRE');
    assert.throws(() => nationalityName('ID', 'en'));
    for (const name of NATIONALITIES) assert.match(name, /^[A-Z]+([ -][A-Z]+)*$/, name);
    assert.ok(isForeignNationality('CHINA') && isForeignNationality('WNA') && !isForeignNationality('WNI'));
    assert.ok(!isForeignNationality('NARNIA'));
    assert.ok(ENUMS.kewarganegaraan.includes('WNI'));
  });
});
