/**
 * Multi-word occupations printed under `Pekerjaan` (the Dukcapil occupation list, plus
 * `PEGAWAI SWASTA` from older cards and English ones from foreign residents' cards). Used only to
 * give back the spaces and slashes the recogniser drops (`KARYAWANSWASTA` → `KARYAWAN SWASTA`): a
 * value is replaced only when its letters are exactly those of a listed occupation, so pekerjaan
 * stays free text.
 */
import { compactOf } from '../text/fuzzy.ts';

const OCCUPATIONS = [
  'BELUM/TIDAK BEKERJA',
  'MENGURUS RUMAH TANGGA',
  'PELAJAR/MAHASISWA',
  'PEGAWAI NEGERI SIPIL',
  'TENTARA NASIONAL INDONESIA',
  'KEPOLISIAN RI',
  'PETANI/PEKEBUN',
  'NELAYAN/PERIKANAN',
  'KARYAWAN SWASTA',
  'KARYAWAN BUMN',
  'KARYAWAN BUMD',
  'KARYAWAN HONORER',
  'BURUH HARIAN LEPAS',
  'BURUH TANI/PERKEBUNAN',
  'BURUH NELAYAN/PERIKANAN',
  'BURUH PETERNAKAN',
  'PEMBANTU RUMAH TANGGA',
  'TUKANG CUKUR',
  'TUKANG LISTRIK',
  'TUKANG BATU',
  'TUKANG KAYU',
  'TUKANG SOL SEPATU',
  'TUKANG LAS/PANDAI BESI',
  'TUKANG JAHIT',
  'TUKANG GIGI',
  'PENATA RIAS',
  'PENATA BUSANA',
  'PENATA RAMBUT',
  'PERANCANG BUSANA',
  'IMAM MASJID',
  'USTADZ/MUBALIGH',
  'JURU MASAK',
  'PROMOTOR ACARA',
  'DUTA BESAR',
  'WAKIL GUBERNUR',
  'WAKIL BUPATI',
  'WAKIL WALIKOTA',
  'PSIKIATER/PSIKOLOG',
  'PENYIAR TELEVISI',
  'PENYIAR RADIO',
  'PERANGKAT DESA',
  'KEPALA DESA',
  'PEGAWAI SWASTA',
  // Printed in English on some foreign residents' cards (KTP WNA).
  'PRIVATE EMPLOYEE',
  'BUSINESS OWNER',
  'CIVIL SERVANT',
  'NOT WORKING',
] as const;

const BY_LETTERS = new Map<string, string>(OCCUPATIONS.map((occupation) => [compactOf(occupation), occupation]));

/** The listed spelling of `value` when only spaces or punctuation differ, else `value` unchanged. */
export function respaceOccupation(value: string): string {
  return BY_LETTERS.get(compactOf(value)) ?? value;
}
