import type { IsoDate } from './dates.ts';
import type { Identity } from './identity.ts';
import type { KtpLayout, NikFont, NpwpLayout } from './layouts.ts';

/**
 * What a card shows, as label fields (normalised the way the eval README says: upper case, single
 * spaces, ISO dates) plus the few printed lines that are not label fields. The renderer turns
 * these into text; defects edit them.
 */

export type KtpFields = {
  provinsi: string;
  kabupaten_kota: string;
  nik: string;
  nama: string;
  tempat_lahir: string;
  tanggal_lahir: IsoDate;
  jenis_kelamin: string;
  golongan_darah: string;
  alamat: string;
  rt_rw: string;
  kel_desa: string;
  kecamatan: string;
  agama: string;
  status_perkawinan: string;
  pekerjaan: string;
  kewarganegaraan: string;
  /** ISO date or `SEUMUR HIDUP`. */
  berlaku_hingga: string;
  /** Printed under the photo (`issuedIn`, `issuedOn` below), upper case and ISO as the labels write them. */
  tempat_terbit: string;
  tanggal_terbit: IsoDate;
};

export type NpwpFields = {
  /** Dotted 15 digits, or the 16 digits of a NIK as printed (`npwp_16`). */
  npwp: string;
  nama: string;
  /** Absent where the layout prints no NIK line (`npwp_old`, `npwp_16`). */
  nik?: string;
  /** The two printed address lines joined by one space. */
  alamat: string;
  tanggal_terdaftar: IsoDate;
};

export type KtpCard = {
  kind: 'KTP';
  layout: KtpLayout;
  /** The typeface of the NIK digits. */
  nikFont: NikFont;
  fields: KtpFields;
  /** `KABUPATEN` or `KOTA`: the header prints `<kind> <kabupaten_kota>`. */
  regencyKind: string;
  /** Printed under the photo. */
  issuedIn: string;
  issuedOn: IsoDate;
};

export type NpwpCard = {
  kind: 'NPWP';
  layout: NpwpLayout;
  fields: NpwpFields;
  addressLines: readonly [string, string];
  /** `KPP PRATAMA <REGENCY>`, printed above the registration date. */
  officeLine: string;
};

export type Card = KtpCard | NpwpCard;

/** A foreign resident's identity is printed as `ktp_wna`; `layout` picks between the citizens' prints. */
export function ktpCard(identity: Identity, print: { layout?: KtpLayout; nikFont?: NikFont } = {}): KtpCard {
  const foreign = identity.kewarganegaraan !== 'WNI';
  return {
    kind: 'KTP',
    layout: foreign ? 'ktp_wna' : print.layout === 'ktp_old_blue' ? 'ktp_old_blue' : 'ktp_standard',
    nikFont: print.nikFont ?? 'text',
    fields: {
      provinsi: identity.province.name,
      kabupaten_kota: identity.regency.name,
      nik: identity.nik,
      nama: identity.nama,
      tempat_lahir: identity.tempatLahir,
      tanggal_lahir: identity.birthDate,
      jenis_kelamin: identity.printedSex,
      golongan_darah: identity.golonganDarah,
      alamat: identity.alamat,
      rt_rw: identity.rtRw,
      kel_desa: identity.village,
      kecamatan: identity.district.name,
      agama: identity.agama,
      status_perkawinan: identity.statusPerkawinan,
      pekerjaan: identity.pekerjaan,
      kewarganegaraan: identity.kewarganegaraan,
      berlaku_hingga: identity.berlakuHingga,
      tempat_terbit: identity.issuedIn.toUpperCase(),
      tanggal_terbit: identity.issuedOn,
    },
    regencyKind: identity.regency.kind,
    issuedIn: identity.issuedIn,
    issuedOn: identity.issuedOn,
  };
}

/** `identity.npwp` as the layout prints it (layouts.ts `npwpForLayout`). */
export function npwpCard(identity: Identity, layout: NpwpLayout = 'npwp_nik'): NpwpCard {
  const [rt, rw] = identity.rtRw.split('/');
  const addressLines = [
    `${identity.alamat} RT ${rt} RW ${rw}`,
    `${identity.village}, ${identity.district.name}, ${identity.regency.kind} ${identity.regency.name}`,
  ] as const;
  return {
    kind: 'NPWP',
    layout,
    fields: {
      npwp: identity.npwp.printed,
      nama: identity.nama,
      ...(layout === 'npwp_nik' ? { nik: identity.nik } : {}),
      alamat: addressLines.join(' '),
      tanggal_terdaftar: identity.npwp.registeredOn,
    },
    addressLines,
    officeLine: identity.npwp.officeLine,
  };
}
