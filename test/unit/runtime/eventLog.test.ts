import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DocumentEvent } from '../../../machines/document.events.ts';
import { maskDigitRuns, redactForLog } from '../../../runtime/documents/eventLog.ts';

const LEASE = '00000000-0000-4000-8000-000000000001';
const NIK = '3171014101900001';
const NAME = 'SITI AMINAH';

const review = (reason: string): DocumentEvent => ({
  type: 'REVIEW_DECIDED',
  decision: 'reject',
  reviewerId: 'reviewer-7',
  source: 'internal',
  reason,
});

describe('redactForLog', () => {
  it('should drop the OCR text and lines', () => {
    const logged = redactForLog({
      type: 'OCR_COMPLETED',
      leaseToken: LEASE,
      result: {
        text: `NIK : ${NIK}\nNama : ${NAME}`,
        lines: [
          { text: `NIK : ${NIK}`, confidence: 0.97 },
          { text: `Nama : ${NAME}`, confidence: 0.91 },
        ],
      },
      gpuProcessed: true,
      durationMs: 840,
    });
    assert.deepEqual(logged, { leaseToken: LEASE, gpuProcessed: true, durationMs: 840, lineCount: 2 });
    const json = JSON.stringify(logged);
    assert.equal(json.includes(NIK), false);
    assert.equal(json.includes(NAME), false);
  });

  it('should keep only the error code of an OCR_FAILED', () => {
    const logged = redactForLog({
      type: 'OCR_FAILED',
      leaseToken: LEASE,
      error: { code: 'ocr_parse_error', message: `could not parse "${NIK}" near ${NAME}` },
    });
    assert.deepEqual(logged, { leaseToken: LEASE, error: { code: 'ocr_parse_error' } });
  });

  it('should keep whether an OCR failure was permanent, since that is why the document skipped its other attempts', () => {
    const logged = redactForLog({
      type: 'OCR_FAILED',
      leaseToken: LEASE,
      error: { code: 'pdf_too_complex', message: 'the PDF page took too long', permanent: true },
    });
    assert.deepEqual(logged, { leaseToken: LEASE, error: { code: 'pdf_too_complex', permanent: true } });
  });

  it('should keep extracted field names but not their values', () => {
    const logged = redactForLog({
      type: 'AI_EVALUATED',
      score: 0.72,
      reasons: [{ code: 'NIK_PROVINCE_MISMATCH', severity: 'review', message: 'province differs' }],
      fields: { nik: NIK, nama: NAME, golonganDarah: null, alamat: 'JL MERDEKA 1' },
      policyVersion: 'policy-3',
    });
    assert.deepEqual(logged, {
      score: 0.72,
      reasons: [{ code: 'NIK_PROVINCE_MISMATCH', severity: 'review', message: 'province differs' }],
      policyVersion: 'policy-3',
      fieldsPresent: ['alamat', 'nama', 'nik'],
    });
    const json = JSON.stringify(logged);
    for (const value of [NIK, NAME, 'JL MERDEKA']) assert.equal(json.includes(value), false, value);
  });

  it('should mask a NIK in a review reason to its last 4 digits, with or without separators', () => {
    for (const written of [NIK, '3171 0141 0190 0001', '3171-0141-0190-0001', '3171.0141.0190.0001']) {
      const logged = redactForLog(review(`NIK ${written} belongs to someone else`));
      assert.deepEqual(logged, {
        decision: 'reject',
        reviewerId: 'reviewer-7',
        source: 'internal',
        reason: 'NIK ************0001 belongs to someone else',
      });
      assert.equal(JSON.stringify(logged).includes('31710141'), false, written);
    }
  });

  it('should mask every long digit run, such as an NPWP and a phone number', () => {
    assert.equal(
      maskDigitRuns('NPWP 01.234.567.8-901.000, call 081234567890'),
      'NPWP ***********1000, call ********7890',
    );
  });

  it('should mask a NIK written with other separators', {}, () => {
    for (const written of ['3171/0141/0190/0001', '3171  0141  0190  0001', '3171 - 0141 - 0190 - 0001'])
      assert.equal(maskDigitRuns(`NIK ${written}`).includes('0141'), false, written);
  });

  it('should leave short numbers alone', () => {
    for (const text of ['RT 001/RW 002', 'born 1990, aged 34', 'photo 2 of 3', 'code 12345'])
      assert.equal(maskDigitRuns(text), text);
    assert.equal(
      redactForLog(review('blurry photo, 2 of 3 fields unreadable, RT 001')).reason,
      'blurry photo, 2 of 3 fields unreadable, RT 001',
    );
  });

  it('should pass PROCESSING_STARTED and LEASE_EXPIRED through without the type', () => {
    assert.deepEqual(
      redactForLog({ type: 'PROCESSING_STARTED', workerId: 'w-1', attempt: 2, leaseToken: LEASE, device: 'cuda' }),
      { workerId: 'w-1', attempt: 2, leaseToken: LEASE, device: 'cuda' },
    );
    assert.deepEqual(redactForLog({ type: 'LEASE_EXPIRED', leaseToken: LEASE }), { leaseToken: LEASE });
    assert.deepEqual(redactForLog({ type: 'DECIDE' }), {});
  });
});
