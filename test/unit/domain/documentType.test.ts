import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectDocumentType } from '../../../domain/documentType.ts';
import { ktpLines, npwpLines } from './support.ts';

describe('detectDocumentType', () => {
  it('should recognise a clean KTP and a clean NPWP card', () => {
    assert.equal(detectDocumentType(ktpLines()), 'KTP');
    assert.equal(detectDocumentType(npwpLines()), 'NPWP');
  });

  it('should recognise a KTP read with dropped spaces and misspelt labels', () => {
    const lines = ['PROVINSIDKIJAKARTA', 'NIK:3171O14IO19OOOO1', 'StatusPerkawinan:BELUMKAWIN', 'Kewarganegaraar:WNI'];
    assert.equal(detectDocumentType(lines), 'KTP');
  });

  it('should recognise a KTP with its header cut off', () => {
    assert.equal(detectDocumentType(ktpLines().slice(2)), 'KTP');
  });

  it('should recognise an NPWP card from the number and the directorate alone', () => {
    assert.equal(detectDocumentType(['DIREKTORATJENDRALPAJAK', '01.234.567.8-9O1.000', 'SITI CONTOH']), 'NPWP');
    assert.equal(detectDocumentType(['01.234.567.8-901.000', 'SITI CONTOH']), 'NPWP');
  });

  it('should recognise the old DJP card and the 16-digit NPWP by their header alone', () => {
    // The old card: the ministry's former name, the number read without its label or its dots.
    assert.equal(detectDocumentType(['DEPARTEMEN KEUANGAN R.I.', '012345678901000', 'SITI CONTOH']), 'NPWP');
    // The 16-digit NPWP has no dotted number to recognise.
    assert.equal(detectDocumentType(['KEMENTERIAN KEUANGAN', '3171014101900001', 'SITI CONTOH']), 'NPWP');
  });

  it('should not count the NIK label, which both cards print, for either', () => {
    assert.equal(detectDocumentType(['NIK : 3171014101900001', 'SITI CONTOH']), 'UNKNOWN');
  });

  it('should call anything else unknown', () => {
    assert.equal(detectDocumentType([]), 'UNKNOWN');
    assert.equal(detectDocumentType(['STRUK BELANJA', 'TOTAL 125.000', 'TERIMA KASIH']), 'UNKNOWN');
  });

  it('should not take a family card, which shares the KTP labels, for a KTP', () => {
    const kartuKeluarga = [
      'KARTU KELUARGA',
      'No. 3171010101090001',
      'Agama',
      'Jenis Kelamin',
      'Status Perkawinan',
      'Pekerjaan',
    ];
    assert.equal(detectDocumentType(kartuKeluarga), 'UNKNOWN');
  });
});
