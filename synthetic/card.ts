import type { IsoDate } from './dates.ts';
import type { Identity } from './identity.ts';

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
};

export type NpwpFields = {
  npwp: string;
  nama: string;
  nik: string;
  /** The two printed address lines joined by one space. */
  alamat: string;
  tanggal_terdaftar: IsoDate;
};

export type KtpCard = {
  kind: 'KTP';
  fields: KtpFields;
  /** `KABUPATEN` or `KOTA`: the header prints `<kind> <kabupaten_kota>`. */
  regencyKind: string;
  /** Printed under the photo. */
  issuedIn: string;
  issuedOn: IsoDate;
};

export type NpwpCard = {
  kind: 'NPWP';
  fields: NpwpFields;
  addressLines: readonly [string, string];
  /** `KPP PRATAMA <REGENCY>`, printed above the registration date. */
  officeLine: string;
};

export type Card = KtpCard | NpwpCard;

export function ktpCard(identity: Identity): KtpCard {
  return {
    kind: 'KTP',
    fields: {
      provinsi: identity.province.name,
      kabupaten_kota: identity.regency.name,
      nik: identity.nik,
      nama: identity.nama,
      tempat_lahir: identity.tempatLahir,
      tanggal_lahir: identity.birthDate,
      jenis_kelamin: identity.sex,
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
    },
    regencyKind: identity.regency.kind,
    issuedIn: identity.issuedIn,
    issuedOn: identity.issuedOn,
  };
}

export function npwpCard(identity: Identity): NpwpCard {
  const [rt, rw] = identity.rtRw.split('/');
  const addressLines = [
    `${identity.alamat} RT ${rt} RW ${rw}`,
    `${identity.village}, ${identity.district.name}, ${identity.regency.kind} ${identity.regency.name}`,
  ] as const;
  return {
    kind: 'NPWP',
    fields: {
      npwp: identity.npwp.printed,
      nama: identity.nama,
      nik: identity.nik,
      alamat: addressLines.join(' '),
      tanggal_terdaftar: identity.npwp.registeredOn,
    },
    addressLines,
    officeLine: identity.npwp.officeLine,
  };
}
