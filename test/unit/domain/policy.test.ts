import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REJECT_CAP, REVIEW_CAP, score } from '../../../domain/checks/score.ts';
import type { DocumentType } from '../../../domain/documentType.ts';
import { KTP_FIELDS as KTP_FIELD_NAMES } from '../../../domain/extraction/ktp.ts';
import { NPWP_FIELDS as NPWP_FIELD_NAMES } from '../../../domain/extraction/npwp.ts';
import type { OcrResult } from '../../../domain/ocrResult.ts';
import { evaluateDocument, MIN_FIELD_CONFIDENCE, POLICY_VERSION } from '../../../domain/policy.ts';
import { DEFAULT_MACHINE_SETTINGS, type DocumentStatus } from '../../../machines/document.machine.ts';
import { codes, decide, KTP_FIELDS, ktpLines, NPWP_FIELDS, npwpLines, ocrOf, regions, TODAY } from './support.ts';

const evaluate = (uploadedType: DocumentType, ocr: OcrResult, duplicateIdentity = false) =>
  evaluateDocument({ uploadedType, ocr, regions, today: TODAY, duplicateIdentity });

const ktpWith = (changes: Partial<Record<keyof typeof KTP_FIELDS, string>>) => ktpLines({ ...KTP_FIELDS, ...changes });

/** Lines of a clean KTP with the lines of some fields left out (not read). */
const ktpWithout = (...labels: string[]) =>
  ktpLines().filter((line) => !labels.some((label) => line.startsWith(label)));

describe('evaluateDocument', () => {
  it('should score a clean, fully read, valid KTP at 0.9 or more, with no reasons', () => {
    const evaluation = evaluate('KTP', ocrOf(ktpLines()));
    assert.deepEqual(evaluation.reasons, []);
    assert.ok(evaluation.score >= 0.9, String(evaluation.score));
    assert.equal(evaluation.detectedType, 'KTP');
    assert.equal(evaluation.policyVersion, POLICY_VERSION);
    assert.deepEqual(evaluation.fields, {
      ...KTP_FIELDS,
      tempat_terbit: 'JAKARTA PUSAT',
      tanggal_terbit: '2016-08-12',
    });
  });

  it('should score a clean NPWP card at 0.9 or more, with no reasons', () => {
    const evaluation = evaluate('NPWP', ocrOf(npwpLines()));
    assert.deepEqual(evaluation.reasons, []);
    assert.ok(evaluation.score >= 0.9, String(evaluation.score));
    assert.deepEqual(evaluation.fields, NPWP_FIELDS);
  });

  it('should list every field of the parsed type, null when not read', () => {
    assert.deepEqual(Object.keys(evaluate('KTP', ocrOf(['PROVINSI JAWA BARAT', 'Agama : ISLAM'])).fields), [
      ...KTP_FIELD_NAMES,
    ]);
    assert.deepEqual(Object.keys(evaluate('NPWP', ocrOf(['NPWP : 01.234.567.8-901.000'])).fields), [
      ...NPWP_FIELD_NAMES,
    ]);
  });

  it('should parse the card the image shows when it is not the uploaded type', () => {
    const evaluation = evaluate('NPWP', ocrOf(ktpLines()));
    assert.equal(evaluation.detectedType, 'KTP');
    assert.deepEqual(codes(evaluation.reasons), ['DOCUMENT_TYPE_MISMATCH']);
    assert.equal(evaluation.fields.nik, KTP_FIELDS.nik);
  });

  it('should give the same evaluation for the same input', () => {
    const ocr = ocrOf(ktpWith({ jenis_kelamin: 'LAKI-LAKI' }), 0.8);
    assert.deepEqual(evaluate('KTP', ocr), evaluate('KTP', ocr));
  });

  it('should measure confidence on the lines the fields came from, not on noise', () => {
    const ocr = ocrOf(ktpLines());
    ocr.lines.push({ text: '~~ ~', confidence: 0.05 }, { text: '#', confidence: 0.01 });
    assert.deepEqual(evaluate('KTP', ocr).reasons, []);
  });

  it('should put the most severe reasons first and never quote a field value', () => {
    const ocr = ocrOf(ktpWith({ jenis_kelamin: 'LAKI-LAKI', agama: 'ASGARDISM' }), 0.5);
    const evaluation = evaluate('KTP', ocr, true);
    const severities = evaluation.reasons.map((reason) => reason.severity);
    assert.deepEqual(
      severities,
      [...severities].sort((a, b) => ['reject', 'review', 'info'].indexOf(a) - ['reject', 'review', 'info'].indexOf(b)),
    );
    for (const reason of evaluation.reasons) {
      for (const value of Object.values(evaluation.fields)) {
        if (value && value.length > 3) assert.equal(reason.message.includes(value), false, `${reason.code}: ${value}`);
      }
    }
  });
});

describe('score', () => {
  it('should keep a reject far under and a review under the approve threshold', () => {
    const reject = { code: 'X', severity: 'reject', message: 'x' } as const;
    const review = { code: 'Y', severity: 'review', message: 'y' } as const;
    assert.ok(score({ share: 1, confidence: 1, reasons: [reject] }) <= REJECT_CAP);
    assert.ok(REJECT_CAP < REVIEW_CAP);
    assert.ok(score({ share: 1, confidence: 1, reasons: [review] }) <= REVIEW_CAP);
    assert.ok(REVIEW_CAP < DEFAULT_MACHINE_SETTINGS.approveThreshold);
    assert.equal(score({ share: 1, confidence: 1, reasons: [] }), 1);
    assert.equal(score({ share: 0, confidence: 0, reasons: [review] }), 0);
  });
});

/**
 * The policy's outputs routed through the real document machine (DECIDE with the default
 * thresholds): what each kind of card ends as.
 */
describe('decisionTable', () => {
  const rows: {
    name: string;
    type: DocumentType;
    ocr: OcrResult;
    duplicate?: boolean;
    status: DocumentStatus;
    reasons: string[];
  }[] = [
    { name: 'a clean KTP', type: 'KTP', ocr: ocrOf(ktpLines()), status: 'auto_approve', reasons: [] },
    { name: 'a clean NPWP card', type: 'NPWP', ocr: ocrOf(npwpLines()), status: 'auto_approve', reasons: [] },
    {
      name: 'a KTP read with OCR noise that the parser repairs',
      type: 'KTP',
      ocr: ocrOf(
        ktpLines().map((line) =>
          line
            .replace(/ : /, '：')
            .replace('3171014101900001', '3171O14IO19OOOO1')
            .replace('Status Perkawinan', 'StatusPerkawinan'),
        ),
        0.88,
      ),
      status: 'auto_approve',
      reasons: [],
    },
    {
      name: 'a KTP of someone who moved province (NIK keeps the first region)',
      type: 'KTP',
      ocr: ocrOf(ktpWith({ provinsi: 'JAWA BARAT', kabupaten_kota: 'BANDUNG' })),
      status: 'auto_approve',
      reasons: ['NIK_PROVINCE_MISMATCH'],
    },
    {
      name: 'a KTP with a few informative fields unread',
      type: 'KTP',
      ocr: ocrOf(ktpWithout('Alamat', 'Pekerjaan', 'Kel/Desa')),
      status: 'auto_approve',
      reasons: [],
    },
    {
      name: 'a KTP with most informative fields unread',
      type: 'KTP',
      ocr: ocrOf(ktpWithout('KOTA', 'Alamat', 'RT/RW', 'Kel/Desa', 'Kecamatan', 'Pekerjaan', 'Agama', 'Status')),
      status: 'needs_review',
      reasons: [],
    },
    {
      name: 'a KTP whose NIK sex differs from the printed one',
      type: 'KTP',
      ocr: ocrOf(ktpWith({ jenis_kelamin: 'LAKI-LAKI' })),
      status: 'auto_reject',
      reasons: ['NIK_SEX_MISMATCH'],
    },
    {
      name: 'an expired KTP',
      type: 'KTP',
      ocr: ocrOf(ktpWith({ berlaku_hingga: '2017-02-22' })),
      status: 'needs_review',
      reasons: ['DOCUMENT_EXPIRED'],
    },
    {
      name: 'a KTP with a religion outside the list',
      type: 'KTP',
      ocr: ocrOf(ktpWith({ agama: 'ASGARDISM' })),
      status: 'needs_review',
      reasons: ['FIELD_VALUE_UNKNOWN'],
    },
    {
      name: 'a KTP with its header cut off',
      type: 'KTP',
      ocr: ocrOf(ktpLines().slice(2)),
      status: 'needs_review',
      reasons: ['FIELD_MISSING'],
    },
    {
      name: 'a KTP read with low confidence',
      type: 'KTP',
      ocr: ocrOf(ktpLines(), MIN_FIELD_CONFIDENCE - 0.1),
      status: 'needs_review',
      reasons: ['OCR_LOW_CONFIDENCE'],
    },
    {
      name: 'a KTP whose NIK another owner already verified',
      type: 'KTP',
      ocr: ocrOf(ktpLines()),
      duplicate: true,
      status: 'needs_review',
      reasons: ['DUPLICATE_IDENTITY'],
    },
    {
      name: 'a blurred, small photo of a KTP',
      type: 'KTP',
      ocr: ocrOf(ktpLines(), 0.96, { sharpness: 20, textCoverage: 0.05 }),
      status: 'needs_review',
      reasons: ['IMAGE_BLURRY', 'CARD_TOO_SMALL'],
    },
    {
      name: 'a KTP uploaded as an NPWP',
      type: 'NPWP',
      ocr: ocrOf(ktpLines()),
      status: 'needs_review',
      reasons: ['DOCUMENT_TYPE_MISMATCH'],
    },
    {
      name: 'an NPWP whose check digit is wrong',
      type: 'NPWP',
      ocr: ocrOf(npwpLines({ ...NPWP_FIELDS, npwp: '99.999.999.9-999.000' })),
      status: 'auto_reject',
      reasons: ['NPWP_CHECK_DIGIT_INVALID'],
    },
    {
      name: 'an NPWP with its registration date cut off',
      type: 'NPWP',
      ocr: ocrOf(npwpLines().slice(0, -1)),
      status: 'needs_review',
      reasons: ['FIELD_MISSING'],
    },
    {
      name: 'a picture of something else, clearly read',
      type: 'KTP',
      ocr: ocrOf([
        'SURAT IZIN MENGEMUDI',
        'POLISI REPUBLIK INDONESIA',
        'BUDI SANTOSO',
        'JAKARTA 17-08-1990',
        'JL. MERDEKA NO. 1',
        'PEGAWAI SWASTA',
        'BERLAKU S/D 17-08-2030',
      ]),
      status: 'auto_reject',
      reasons: ['DOCUMENT_TYPE_UNKNOWN'],
    },
    {
      name: 'a picture of which little could be read',
      type: 'KTP',
      ocr: ocrOf(['STRUK BELANJA', 'TOTAL 125.000', 'TERIMA KASIH']),
      status: 'needs_review',
      reasons: ['DOCUMENT_TYPE_UNREADABLE'],
    },
    {
      name: 'an image where nothing was read',
      type: 'NPWP',
      ocr: { text: '', lines: [] },
      status: 'needs_review',
      reasons: ['DOCUMENT_TYPE_UNREADABLE'],
    },
    {
      name: 'a KTP whose NIK sex differs from the printed one, read uncertainly',
      type: 'KTP',
      ocr: ocrOf(ktpWith({ jenis_kelamin: 'LAKI-LAKI' }), 0.85),
      status: 'needs_review',
      reasons: ['UNCERTAIN_CHECK_FAILED'],
    },
    {
      name: 'a KTP whose NIK lost digits',
      type: 'KTP',
      ocr: ocrOf(ktpWith({ nik: '317101410190' })),
      status: 'needs_review',
      reasons: ['UNCERTAIN_CHECK_FAILED'],
    },
  ];

  for (const row of rows) {
    it(`should route ${row.name} to ${row.status}`, () => {
      const evaluation = evaluate(row.type, row.ocr, row.duplicate ?? false);
      assert.deepEqual(codes(evaluation.reasons), row.reasons);
      assert.equal(decide(row.type, evaluation), row.status, `score ${evaluation.score}`);
    });
  }
});
