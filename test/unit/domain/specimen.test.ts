/**
 * The shared specimen labels (shared/eval/specimen/*.json: mock-up and parody cards, no real person)
 * fed to the checks as if every field had been read perfectly: each `must_flag` line must be covered
 * by the reasons, and none may be approved automatically.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { checkKtp, checkNpwp } from '../../../domain/checks/checks.ts';
import { fieldShare, score } from '../../../domain/checks/score.ts';
import { POLICY_VERSION } from '../../../domain/policy.ts';
import type { Reason } from '../../../domain/reasons.ts';
import { decide, regions, TODAY } from './support.ts';

/** The shared folder sits next to the repository checkout; FILOT_SPECIMEN_DIR points elsewhere. */
const SPECIMEN_DIR =
  process.env.FILOT_SPECIMEN_DIR ?? fileURLToPath(new URL('../../../../shared/eval/specimen/', import.meta.url));

type Label = {
  type: 'KTP' | 'NPWP';
  fields: Record<string, string>;
  expect: { not_decision: string[]; must_flag: string[] };
};

/** A reason a must_flag line expects: its code, and for field reasons the field it names. */
type Expected = { code: string; field?: string };

/**
 * Each label's must_flag lines, in order, mapped by hand to the reasons that cover them. An empty
 * list is a defect the checks cannot see (a cartoon photo).
 */
const MUST_FLAG: Readonly<Record<string, Expected[][]>> = {
  'ktp-abdurrahman-hadin': [
    // NIK region 3121 / district 00 does not exist (DKI Jakarta prefix on a Jawa Tengah card)
    [{ code: 'NIK_REGION_UNKNOWN' }, { code: 'NIK_PROVINCE_MISMATCH' }],
    // photo is a cartoon (not checked by OCR)
    [],
  ],
  'ktp-boruto': [
    // province KONOHAGAKURE does not exist
    [{ code: 'PROVINCE_UNKNOWN' }],
    // holder was 7 at issue (KTP is issued from 17)
    [{ code: 'UNDERAGE' }],
    // NIK region 3329 is Jawa Tengah, not the printed province
    [{ code: 'NIK_PROVINCE_MISMATCH' }],
  ],
  'ktp-mira-setiawan': [
    // NIK birth-date part 567890 is not a date (month 78) and disagrees with the printed 18-02-1986
    [{ code: 'NIK_DATE_INVALID' }, { code: 'NIK_BIRTHDATE_MISMATCH' }],
    // card expired 2017-02-22
    [{ code: 'DOCUMENT_EXPIRED' }],
  ],
  'ktp-thor-parody': [
    // NIK says female born 02-12-1996; card says LAKI-LAKI born 03-12-1974
    [{ code: 'NIK_SEX_MISMATCH' }, { code: 'NIK_BIRTHDATE_MISMATCH' }],
    // religion and nationality are not valid KTP values
    [
      { code: 'FIELD_VALUE_UNKNOWN', field: 'agama' },
      { code: 'FIELD_VALUE_UNKNOWN', field: 'kewarganegaraan' },
    ],
    // header (province, regency) cut off
    [{ code: 'FIELD_MISSING', field: 'provinsi' }],
  ],
  'npwp-murni-flat': [
    // NPWP check digit fails (Luhn over the first 9 digits)
    [{ code: 'NPWP_CHECK_DIGIT_INVALID' }],
    // NIK region 3223 does not exist
    [{ code: 'NIK_REGION_UNKNOWN' }],
  ],
  'npwp-murni-handheld': [
    // NPWP check digit fails
    [{ code: 'NPWP_CHECK_DIGIT_INVALID' }],
    // registration date cut off at the card's edge
    [{ code: 'FIELD_MISSING', field: 'tanggal_terdaftar' }],
  ],
};

const covers = (reasons: readonly Reason[], expected: Expected) =>
  reasons.some(
    (reason) =>
      reason.code === expected.code && (!expected.field || reason.message.includes(`Field: ${expected.field}.`)),
  );

const available = existsSync(SPECIMEN_DIR);
const stems = available
  ? readdirSync(SPECIMEN_DIR)
      .filter((name) => name.endsWith('.json'))
      .map((name) => name.slice(0, -'.json'.length))
      .sort()
  : [];

describe('the specimen labels', { skip: available ? false : `no specimen folder at ${SPECIMEN_DIR}` }, () => {
  it('should have a hand mapping for every label', () => {
    assert.deepEqual(stems, Object.keys(MUST_FLAG).sort());
  });

  for (const stem of stems) {
    describe(stem, () => {
      const label = JSON.parse(readFileSync(`${SPECIMEN_DIR}/${stem}.json`, 'utf8')) as Label;
      const context = { regions, today: TODAY };
      const reasons = label.type === 'KTP' ? checkKtp(label.fields, context) : checkNpwp(label.fields, context);
      const mapping = MUST_FLAG[stem] ?? [];

      it('should map each must_flag line', () => {
        assert.equal(mapping.length, label.expect.must_flag.length);
      });

      label.expect.must_flag.forEach((line, index) => {
        it(`should flag: ${line}`, () => {
          for (const expected of mapping[index] ?? []) {
            assert.ok(
              covers(reasons, expected),
              `${expected.code} ${expected.field ?? ''} in ${JSON.stringify(reasons)}`,
            );
          }
        });
      });

      it('should not be approved automatically', () => {
        // As if read perfectly: full OCR confidence, so only the checks keep it from approval.
        const evaluation = {
          score: score({ share: fieldShare(label.type, label.fields), confidence: 1, reasons }),
          reasons,
          fields: label.fields,
          policyVersion: POLICY_VERSION,
        };
        const status = decide(label.type, evaluation);
        assert.notEqual(status, 'auto_approve');
        for (const decision of label.expect.not_decision) assert.notEqual(status, decision);
      });
    });
  }
});
