/**
 * Shared fixtures for the domain tests. Every person, number and address here is synthetic: names
 * like CONTOH ("example") and NIKs built from real region codes with made-up dates and serials.
 */
import { initialTransition, transition } from 'xstate';
import { loadRegions } from '../../../adapters/regions/loadRegions.ts';
import type { DocumentType } from '../../../domain/documentType.ts';
import type { OcrResult } from '../../../domain/ocrResult.ts';
import type { Reason } from '../../../domain/reasons.ts';
import { aiEvaluatedSchema } from '../../../machines/document.events.ts';
import { createDocumentMachine, type DocumentStatus } from '../../../machines/document.machine.ts';

export const TODAY = '2026-11-25';

/** The real Kemendagri index from idn-area-data, as production loads it. */
export const regions = await loadRegions();

/**
 * Luhn check digit of `payload`, written here independently of domain/identifiers/luhn.ts so the NPWP tests do
 * not check the implementation against itself.
 */
export function luhnDigit(payload: string): string {
  let sum = 0;
  const reversed = [...payload].reverse();
  reversed.forEach((char, index) => {
    let digit = Number(char);
    // The check digit will sit to the right, so the payload's rightmost digit is doubled.
    if (index % 2 === 0) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  });
  return String((10 - (sum % 10)) % 10);
}

/** A synthetic legacy NPWP whose check digit is right: `serial8` + Luhn digit + office + branch. */
export function validNpwp(serial8: string, office = '407', branch = '000'): string {
  const digits = `${serial8}${luhnDigit(serial8)}${office}${branch}`;
  return `${digits.slice(0, 2)}.${digits.slice(2, 5)}.${digits.slice(5, 8)}.${digits[8]}-${digits.slice(9, 12)}.${digits.slice(12)}`;
}

/** Synthetic KTP holder: a woman born 1 Jan 1990, NIK registered in Gambir, Jakarta Pusat (31.71.01). */
export const KTP_FIELDS = {
  provinsi: 'DKI JAKARTA',
  kabupaten_kota: 'JAKARTA PUSAT',
  nik: '3171014101900001',
  nama: 'SITI CONTOH',
  tempat_lahir: 'JAKARTA',
  tanggal_lahir: '1990-01-01',
  jenis_kelamin: 'PEREMPUAN',
  golongan_darah: 'A',
  alamat: 'JL. PERCOBAAN NO. 12',
  rt_rw: '001/002',
  kel_desa: 'GAMBIR',
  kecamatan: 'GAMBIR',
  agama: 'ISLAM',
  status_perkawinan: 'KAWIN',
  pekerjaan: 'KARYAWAN SWASTA',
  kewarganegaraan: 'WNI',
  berlaku_hingga: 'SEUMUR HIDUP',
} as const;

const dmy = (iso: string) => `${iso.slice(8, 10)}-${iso.slice(5, 7)}-${iso.slice(0, 4)}`;

/** The lines a clean KTP of `fields` gives, in reading order, as the recogniser returns them. */
export function ktpLines(fields: Record<keyof typeof KTP_FIELDS, string> = KTP_FIELDS): string[] {
  return [
    `PROVINSI ${fields.provinsi}`,
    `KOTA ${fields.kabupaten_kota}`,
    `NIK : ${fields.nik}`,
    `Nama : ${fields.nama}`,
    `Tempat/Tgl Lahir : ${fields.tempat_lahir}, ${dmy(fields.tanggal_lahir)}`,
    `Jenis Kelamin : ${fields.jenis_kelamin} Gol. Darah : ${fields.golongan_darah}`,
    `Alamat : ${fields.alamat}`,
    `RT/RW : ${fields.rt_rw}`,
    `Kel/Desa : ${fields.kel_desa}`,
    `Kecamatan : ${fields.kecamatan}`,
    `Agama : ${fields.agama}`,
    `Status Perkawinan : ${fields.status_perkawinan}`,
    `Pekerjaan : ${fields.pekerjaan}`,
    `Kewarganegaraan : ${fields.kewarganegaraan}`,
    `Berlaku Hingga : ${fields.berlaku_hingga}`,
    'JAKARTA PUSAT',
    '12-08-2016',
  ];
}

/** Synthetic NPWP card holder (the same person as KTP_FIELDS). */
export const NPWP_FIELDS = {
  npwp: validNpwp('01234567'),
  nama: 'SITI CONTOH',
  nik: '3171014101900001',
  alamat: 'JL. PERCOBAAN NO. 12 RT 001 RW 002 GAMBIR, GAMBIR, JAKARTA PUSAT',
  tanggal_terdaftar: '2015-03-10',
};

export function npwpLines(fields: Record<keyof typeof NPWP_FIELDS, string> = NPWP_FIELDS): string[] {
  return [
    'KEMENTERIAN KEUANGAN REPUBLIK INDONESIA',
    'DIREKTORAT JENDERAL PAJAK',
    `NPWP : ${fields.npwp}`,
    fields.nama,
    `NIK : ${fields.nik}`,
    'JL. PERCOBAAN NO. 12 RT 001 RW 002',
    'GAMBIR, GAMBIR,',
    'JAKARTA PUSAT',
    'KPP PRATAMA JAKARTA GAMBIR SATU',
    `Tanggal Terdaftar : ${dmy(fields.tanggal_terdaftar)}`,
  ];
}

/** An OcrResult of `lines`, all read with `confidence`, from a good image unless `quality` says otherwise. */
export function ocrOf(lines: readonly string[], confidence = 0.96, quality?: Partial<OcrResult['quality']>): OcrResult {
  return {
    text: lines.join('\n'),
    lines: lines.map((text) => ({ text, confidence })),
    quality: { width: 1280, height: 806, sharpness: 450, brightness: 170, textCoverage: 0.55, ...quality },
  };
}

const LEASE = '00000000-0000-4000-8000-000000000001';

/**
 * Where the real document machine takes an evaluation: uploaded → processing → ocr_completed →
 * AI_EVALUATED → DECIDE, with the default thresholds. The event is validated with the machine's own
 * schema first, so an evaluation the runtime would refuse fails here too.
 */
export function decide(
  documentType: DocumentType,
  evaluation: { score: number; reasons: Reason[]; fields: Record<string, string | null>; policyVersion: string },
): DocumentStatus {
  const machine = createDocumentMachine();
  // The event carries exactly these four (the schema is strict: `detectedType` stays out of it).
  const { score, reasons, fields, policyVersion } = evaluation;
  const event = aiEvaluatedSchema.parse({ type: 'AI_EVALUATED', score, reasons, fields, policyVersion });
  let [snapshot] = initialTransition(machine, { documentType });
  [snapshot] = transition(machine, snapshot, {
    type: 'PROCESSING_STARTED',
    workerId: 'test',
    attempt: 1,
    leaseToken: LEASE,
    device: 'cpu',
  });
  [snapshot] = transition(machine, snapshot, {
    type: 'OCR_COMPLETED',
    leaseToken: LEASE,
    result: { text: '', lines: [] },
    gpuProcessed: false,
    durationMs: 1,
  });
  [snapshot] = transition(machine, snapshot, event);
  if (snapshot.value !== 'ai_evaluated') throw new Error(`expected ai_evaluated, got ${String(snapshot.value)}`);
  [snapshot] = transition(machine, snapshot, { type: 'DECIDE' });
  return snapshot.value as DocumentStatus;
}

/** The codes of `reasons`, for compact assertions. */
export const codes = (reasons: readonly Reason[]) => reasons.map((reason) => reason.code);
