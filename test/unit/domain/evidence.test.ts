import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  fieldConfidence,
  MIN_CONFIDENT_LINES_FOR_OTHER_DOCUMENT,
  weighEvidence,
} from '../../../domain/checks/evidence.ts';
import type { OcrResult } from '../../../domain/ocrResult.ts';
import { reason } from '../../../domain/reasons.ts';

/** A line whose characters were all read at `sure`, except those at `doubtful` (read at 0.5). */
function line(text: string, sure = 0.99, doubtful: readonly number[] = []) {
  return {
    text,
    confidence: 0.95,
    chars: [...text].map((_, index) => (doubtful.includes(index) ? 0.5 : sure)),
  };
}

const ocrOf = (...lines: OcrResult['lines']): OcrResult => ({ text: lines.map((l) => l.text).join('\n'), lines });

describe('the evidence of a check', () => {
  const nikLine = 'NIK : 3171014101900001';
  const firstDigit = nikLine.indexOf('3');

  it("should be a field's least sure character after the label's colon", () => {
    assert.equal(fieldConfidence(ocrOf(line(nikLine)), 'nik', 0), 0.99);
    assert.equal(fieldConfidence(ocrOf(line(nikLine, 0.99, [firstDigit + 5])), 'nik', 0), 0.5);
    assert.equal(fieldConfidence(ocrOf(line(nikLine, 0.99, [1])), 'nik', 0), 0.99, 'the label does not count');
  });

  it('should count only digits, and letters standing for digits, in a digit field', () => {
    const birth = 'Tempat/Tgl Lahir : JAKARTA, 17-O8-1990';
    const city = birth.indexOf('J');
    assert.equal(fieldConfidence(ocrOf(line(birth, 0.99, [city])), 'tanggal_lahir', 0), 0.99);
    assert.equal(fieldConfidence(ocrOf(line(birth, 0.99, [birth.indexOf('O')])), 'tanggal_lahir', 0), 0.5);
  });

  it("should fall back to the line's confidence without per-character probabilities, and give 0 when the field was not read", () => {
    assert.equal(fieldConfidence(ocrOf({ text: nikLine, confidence: 0.8 }), 'nik', 0), 0.8);
    assert.equal(fieldConfidence(ocrOf(line(nikLine)), 'nik', undefined), 0);
  });

  it('should keep a rejecting check on confident characters and send one on a doubtful character to review, naming the field', () => {
    const mismatch = [reason('NIK_BIRTHDATE_MISMATCH'), reason('NIK_PROVINCE_MISMATCH')];
    const confident = ocrOf(line(nikLine), line('Tempat/Tgl Lahir : JAKARTA, 17-08-1990'));
    const fieldLines = { nik: 0, tanggal_lahir: 1 };
    assert.deepEqual(weighEvidence(mismatch, { ocr: confident, fieldLines }), mismatch);

    const doubtful = ocrOf(line(nikLine, 0.99, [firstDigit + 7]), line('Tempat/Tgl Lahir : JAKARTA, 17-08-1990'));
    const [weighed, info] = weighEvidence(mismatch, { ocr: doubtful, fieldLines });
    assert.equal(weighed?.code, 'UNCERTAIN_CHECK_FAILED');
    assert.equal(weighed?.severity, 'review');
    assert.match(weighed?.message ?? '', /Check: NIK_BIRTHDATE_MISMATCH; field read uncertainly: nik\./);
    assert.deepEqual(info, mismatch[1], 'other reasons stay as they are');
  });

  it('should never reject a NIK or NPWP of the wrong length', () => {
    const ocr = ocrOf(line('NIK : 317101410190'));
    const [nik, npwp] = weighEvidence([reason('NIK_FORMAT_INVALID'), reason('NPWP_FORMAT_INVALID')], {
      ocr,
      fieldLines: { nik: 0 },
    });
    assert.equal(nik?.code, 'UNCERTAIN_CHECK_FAILED');
    assert.match(nik?.message ?? '', /field read uncertainly: nik/);
    assert.match(npwp?.message ?? '', /field read uncertainly: npwp/);
  });

  it('should call an image not a KTP or NPWP only when much of it was read confidently', () => {
    const unknown = [reason('DOCUMENT_TYPE_UNKNOWN')];
    const many = Array.from({ length: MIN_CONFIDENT_LINES_FOR_OTHER_DOCUMENT }, (_, index) => ({
      text: `LINE ${index}`,
      confidence: 0.95,
    }));
    assert.deepEqual(weighEvidence(unknown, { ocr: ocrOf(...many), fieldLines: {} }), unknown);
    const few = many.slice(1);
    assert.deepEqual(
      weighEvidence(unknown, { ocr: ocrOf(...few), fieldLines: {} }).map((item) => item.code),
      ['DOCUMENT_TYPE_UNREADABLE'],
    );
    const blurred = many.map((entry) => ({ ...entry, confidence: 0.7 }));
    assert.deepEqual(
      weighEvidence(unknown, { ocr: ocrOf(...blurred), fieldLines: {} }).map((item) => item.code),
      ['DOCUMENT_TYPE_UNREADABLE'],
    );
  });
});
