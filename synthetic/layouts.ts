import { addYears, fromDayNumber, type IsoDate, toDayNumber } from './dates.ts';
import type { DefectKind } from './defects.ts';
import type { Identity, Npwp } from './identity.ts';
import type { Rng } from './random.ts';

/**
 * The printed layouts the generator draws, recorded in the label as `expect.variation.layout` (an
 * evaluation groups its figures by it), and the NIK's typeface (`expect.variation.nik_font`).
 *
 * KTP: `ktp_standard` (the e-KTP print), `ktp_old_blue` (the older print: text lower, smaller and
 * tighter rows, the issuing city and date under the photo), `ktp_wna` (a foreign resident's card:
 * English values, a nationality and a fixed expiry).
 * NPWP: `npwp_nik` (the current card, with a NIK line), `npwp_old` (the DJP card of the Departemen
 * Keuangan, issued until 2009: no NIK line), `npwp_16` (since 2024 a resident's NPWP is the NIK: 16
 * digits, no dots, no NIK line).
 */

export const KTP_LAYOUTS = ['ktp_standard', 'ktp_old_blue', 'ktp_wna'] as const;
export const NPWP_LAYOUTS = ['npwp_nik', 'npwp_old', 'npwp_16'] as const;
export type KtpLayout = (typeof KTP_LAYOUTS)[number];
export type NpwpLayout = (typeof NPWP_LAYOUTS)[number];
export type CardLayout = KtpLayout | NpwpLayout;

/** `text`: the NIK in the card's font; `ocr_a`: drawn as OCR-A-like stroke glyphs (render.ts). */
export const NIK_FONTS = ['text', 'ocr_a'] as const;
export type NikFont = (typeof NIK_FONTS)[number];

/** Relative shares of each layout among the cards of a type, in every preset. */
export const LAYOUT_SHARES: {
  readonly KTP: readonly (readonly [KtpLayout, number])[];
  readonly NPWP: readonly (readonly [NpwpLayout, number])[];
} = {
  KTP: [
    ['ktp_standard', 67],
    ['ktp_old_blue', 25],
    ['ktp_wna', 8],
  ],
  NPWP: [
    ['npwp_nik', 45],
    ['npwp_old', 25],
    ['npwp_16', 30],
  ],
};

/** Share of KTPs whose NIK is drawn in the OCR-A-like glyphs. */
export const OCR_A_NIK_SHARE = 0.4;

/** The Departemen Keuangan became the Kementerian Keuangan in 2009 (Perpres 47/2009): the old card's last year. */
export const OLD_NPWP_LAST_REGISTRATION: IsoDate = '2009-12-31';
/** The old card's earliest registration drawn, and the age from which a holder registers. */
const OLD_NPWP_FIRST_REGISTRATION: IsoDate = '1995-01-01';
const REGISTRATION_AGE = 18;

export function drawKtpLayout(rng: Rng): KtpLayout {
  return rng.weighted(LAYOUT_SHARES.KTP);
}

/**
 * A defect that a layout cannot carry takes the current card instead: a 16-digit NPWP has no
 * 15-digit check digit to break, and the old card prints no NIK whose region could be unknown.
 */
export function drawNpwpLayout(rng: Rng, defect: DefectKind | undefined): NpwpLayout {
  const layout = rng.weighted(LAYOUT_SHARES.NPWP);
  if (defect === 'npwp_check_digit' && layout === 'npwp_16') return 'npwp_nik';
  if (defect === 'region_unknown' && layout === 'npwp_old') return 'npwp_nik';
  return layout;
}

export function drawNikFont(rng: Rng): NikFont {
  return rng.chance(OCR_A_NIK_SHARE) ? 'ocr_a' : 'text';
}

/**
 * The NPWP as the layout prints it: the NIK itself for `npwp_16`; for `npwp_old` a registration
 * from 1995 to 2009, when the holder was an adult (a holder too young for the old card gets the
 * current one).
 */
export function npwpForLayout(rng: Rng, layout: NpwpLayout, identity: Identity): { layout: NpwpLayout; npwp: Npwp } {
  const npwp = identity.npwp;
  if (layout === 'npwp_16') return { layout, npwp: { ...npwp, digits: identity.nik, printed: identity.nik } };
  if (layout !== 'npwp_old') return { layout, npwp };
  const first = Math.max(
    toDayNumber(OLD_NPWP_FIRST_REGISTRATION),
    toDayNumber(addYears(identity.birthDate, REGISTRATION_AGE)),
  );
  const last = toDayNumber(OLD_NPWP_LAST_REGISTRATION);
  if (first > last) return { layout: 'npwp_nik', npwp };
  return { layout, npwp: { ...npwp, registeredOn: fromDayNumber(rng.int(first, last)) } };
}
