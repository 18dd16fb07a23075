/**
 * The document types a client can upload, and which card an image shows, from the words on it: a KTP prints PROVINSI and a fixed set of labels;
 * an NPWP card prints NPWP, the tax directorate and Terdaftar. Words are matched fuzzily on the
 * compact form (fuzzy.ts) so dropped spaces and a wrong letter do not hide them. The NIK label is on
 * both cards and counts for neither.
 */
import { compactOf, fuzzyContains } from './text/fuzzy.ts';
import { DIGITISH, repairDigits } from './text/normalise.ts';

/** The document types a client can upload. */
export const DOCUMENT_TYPES = ['KTP', 'NPWP'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export type DetectedType = DocumentType | 'UNKNOWN';

const KTP_MARKERS = [
  'PROVINSI',
  'TEMPATTGLLAHIR',
  'JENISKELAMIN',
  'GOLDARAH',
  'RTRW',
  'KELDESA',
  'KECAMATAN',
  'AGAMA',
  'STATUSPERKAWINAN',
  'PEKERJAAN',
  'KEWARGANEGARAAN',
  'BERLAKUHINGGA',
];
/** `DEPARTEMEN KEUANGAN` heads the old DJP card (before the ministry was renamed in 2009). */
const NPWP_MARKERS = [
  'NPWP',
  'DIREKTORATJENDERALPAJAK',
  'TERDAFTAR',
  'KPPPRATAMA',
  'KEMENTERIANKEUANGAN',
  'DEPARTEMENKEUANGAN',
];
/**
 * Other Indonesian documents that share KTP labels (a Kartu Keluarga lists NIK, agama, status
 * perkawinan… for every member): their title makes the image not a KTP.
 */
const OTHER_DOCUMENT_MARKERS = ['KARTUKELUARGA', 'SURATIZINMENGEMUDI', 'PASPOR', 'PASSPORT', 'AKTAKELAHIRAN'];

const DOTTED_NPWP = new RegExp(`${DIGITISH}{2}[.,]${DIGITISH}{3}[.,]${DIGITISH}{3}[.,]${DIGITISH}[-.]${DIGITISH}{3}`);

// A marker may have lost or gained letters in proportion to its length; short ones must be exact,
// or `AGAMA` would be found in every other word.
const tolerance = (length: number) => (length <= 6 ? 0 : length <= 12 ? 1 : 2);

function count(compactLines: readonly string[], markers: readonly string[]): number {
  return markers.filter((marker) => compactLines.some((line) => fuzzyContains(line, marker, tolerance(marker.length))))
    .length;
}

/** KTP when at least two KTP markers outnumber the NPWP ones; NPWP when an NPWP marker leads. */
export function detectDocumentType(lines: readonly string[]): DetectedType {
  const compactLines = lines.map(compactOf);
  if (count(compactLines, OTHER_DOCUMENT_MARKERS) > 0) return 'UNKNOWN';
  const ktp = count(compactLines, KTP_MARKERS);
  const dotted = lines.some((line) => DOTTED_NPWP.test(repairDigits(line).replace(/\s/g, '')));
  const npwp = count(compactLines, NPWP_MARKERS) + (dotted ? 1 : 0);
  if (ktp >= 2 && ktp > npwp) return 'KTP';
  if (npwp >= 1 && npwp > ktp) return 'NPWP';
  return 'UNKNOWN';
}
