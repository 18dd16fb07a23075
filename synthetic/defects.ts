import type { DocumentType } from '../domain/documentType.ts';
import type { ReasonCode } from '../domain/reasons.ts';
import type { Card, KtpCard } from './card.ts';
import {
  addDays,
  addYears,
  ageOn,
  daysInMonth,
  type IsoDate,
  isoDate,
  parseIsoDate,
  printedDate,
  toDayNumber,
} from './dates.ts';
import { formatNpwp, type IdentityOptions } from './identity.ts';
import type { Rng } from './random.ts';
import type { RegionData } from './regions.ts';

/**
 * Defect variants: each makes one thing on an otherwise valid card wrong, and names the reason
 * code(s) the evaluation must raise for it (codes from domain/reasons.ts). Everything else on the
 * card stays consistent, so the named reason is the one a checker should find.
 */

export const DEFECT_KINDS = [
  'nik_date_mismatch',
  'nik_sex_mismatch',
  'region_unknown',
  'underage',
  'expired',
  'npwp_check_digit',
  'wrong_type',
] as const;
export type DefectKind = (typeof DEFECT_KINDS)[number];

export type DefectSpec = {
  reasons: readonly ReasonCode[];
  /** The uploaded types (label `type`) the defect applies to. */
  types: readonly DocumentType[];
};

export const DEFECTS: Readonly<Record<DefectKind, DefectSpec>> = {
  nik_date_mismatch: { reasons: ['NIK_BIRTHDATE_MISMATCH'], types: ['KTP'] },
  nik_sex_mismatch: { reasons: ['NIK_SEX_MISMATCH'], types: ['KTP'] },
  // On an NPWP the printed NIK is checked too (domain/reasons.ts: "NIK (KTP, and the NIK printed on an NPWP)").
  region_unknown: { reasons: ['NIK_REGION_UNKNOWN'], types: ['KTP', 'NPWP'] },
  underage: { reasons: ['UNDERAGE'], types: ['KTP'] },
  expired: { reasons: ['DOCUMENT_EXPIRED'], types: ['KTP'] },
  npwp_check_digit: { reasons: ['NPWP_CHECK_DIGIT_INVALID'], types: ['NPWP'] },
  wrong_type: { reasons: ['DOCUMENT_TYPE_MISMATCH'], types: ['KTP', 'NPWP'] },
};

export function defectsFor(type: DocumentType): DefectKind[] {
  return DEFECT_KINDS.filter((kind) => DEFECTS[kind].types.includes(type));
}

/** The card type the image shows: the other type for `wrong_type`. */
export function shownType(uploaded: DocumentType, defect: DefectKind | undefined): DocumentType {
  if (defect !== 'wrong_type') return uploaded;
  return uploaded === 'KTP' ? 'NPWP' : 'KTP';
}

/** Identity constraints a defect needs (an underage holder; an adult old enough for an expired 5-year card). */
export function identityOptionsFor(defect: DefectKind | undefined, today: IsoDate): IdentityOptions {
  switch (defect) {
    case 'underage':
      return { today, minAge: 10, maxAge: 16, datedValidityRate: 0 };
    case 'expired':
      return { today, minAge: 27, maxAge: 80, datedValidityRate: 0 };
    default:
      return { today };
  }
}

export type AppliedDefect = {
  card: Card;
  /** What is wrong, in words, for `expect.must_flag`. */
  mustFlag: string[];
  /** The reasons this card must raise where its layout changes them from `DEFECTS[kind].reasons`. */
  reasons?: readonly ReasonCode[];
};

/** The sex printed in the card's language swapped (`MALE` ↔ `FEMALE` on a KTP WNA). */
const OTHER_SEX: Readonly<Record<string, string>> = {
  'LAKI-LAKI': 'PEREMPUAN',
  PEREMPUAN: 'LAKI-LAKI',
  MALE: 'FEMALE',
  FEMALE: 'MALE',
};

export type DefectContext = { rng: Rng; regions: RegionData; today: IsoDate };

/** Returns a defective copy of `card`; `card` itself is not changed. */
export function applyDefect(card: Card, defect: DefectKind, ctx: DefectContext): AppliedDefect {
  switch (defect) {
    case 'nik_date_mismatch':
      return birthDateMismatch(expectKtp(card, defect), ctx);
    case 'nik_sex_mismatch': {
      const ktp = expectKtp(card, defect);
      const printed = OTHER_SEX[ktp.fields.jenis_kelamin];
      if (printed === undefined) throw new Error('nik_sex_mismatch needs a card that prints a listed sex');
      const day = ktp.fields.nik.slice(6, 8);
      return {
        card: { ...ktp, fields: { ...ktp.fields, jenis_kelamin: printed } },
        mustFlag: [`NIK day ${day} encodes ${ktp.fields.jenis_kelamin}, the card prints ${printed}`],
      };
    }
    case 'region_unknown':
      return unknownRegion(card, ctx);
    case 'underage': {
      const ktp = expectKtp(card, defect);
      const age = ageOn(ktp.fields.tanggal_lahir, ctx.today);
      if (age >= 17) throw new Error('underage needs an identity made with identityOptionsFor("underage")');
      return { card: ktp, mustFlag: [`holder is ${age} years old (a KTP is issued from 17)`] };
    }
    case 'expired': {
      const ktp = expectKtp(card, defect);
      const until = addDays(ctx.today, -ctx.rng.int(1, 1500));
      const issuedOn = addYears(until, -5);
      if (toDayNumber(issuedOn) < toDayNumber(addYears(ktp.fields.tanggal_lahir, 17))) {
        throw new Error('expired needs an identity made with identityOptionsFor("expired")');
      }
      return {
        card: { ...ktp, fields: { ...ktp.fields, berlaku_hingga: until, tanggal_terbit: issuedOn }, issuedOn },
        mustFlag: [`card expired ${until} (Berlaku Hingga ${printedDate(until)})`],
      };
    }
    case 'npwp_check_digit': {
      if (card.kind !== 'NPWP') throw new Error('npwp_check_digit needs an NPWP card');
      if (card.layout === 'npwp_16') throw new Error('npwp_check_digit needs a 15-digit NPWP, not npwp_16');
      const digits = card.fields.npwp.replace(/\D/g, '');
      // Changing only the check digit (not doubled by Luhn) by 1–9 always breaks the sum mod 10.
      const wrong = String((Number(digits[8]) + ctx.rng.int(1, 9)) % 10);
      const npwp = formatNpwp(`${digits.slice(0, 8)}${wrong}${digits.slice(9)}`);
      return {
        card: { ...card, fields: { ...card.fields, npwp } },
        mustFlag: [`NPWP check digit ${wrong} fails Luhn over the first 9 digits (valid: ${digits[8]})`],
      };
    }
    case 'wrong_type':
      return {
        card,
        mustFlag: [`the image shows ${card.kind === 'KTP' ? 'a KTP' : 'an NPWP'} card, not the uploaded document type`],
      };
  }
}

function expectKtp(card: Card, defect: DefectKind): KtpCard {
  if (card.kind !== 'KTP') throw new Error(`${defect} needs a KTP card`);
  return card;
}

/** Prints another birth date (other day, month or year) than the one the NIK encodes; both stay adult and real. */
function birthDateMismatch(card: KtpCard, { rng, today }: DefectContext): AppliedDefect {
  const nikDate = card.fields.tanggal_lahir;
  const { year, month, day } = parseIsoDate(nikDate);
  const age = ageOn(nikDate, today);
  let printed: IsoDate = nikDate;
  let part = '';
  while (printed === nikDate || ageOn(printed, today) < 17) {
    part = rng.pick(['day', 'month', 'year'] as const);
    if (part === 'day') {
      printed = isoDate(year, month, rng.int(1, daysInMonth(year, month)));
    } else if (part === 'month') {
      const m = rng.int(1, 12);
      printed = isoDate(year, m, Math.min(day, daysInMonth(year, m)));
    } else {
      const shift = age < 22 ? -rng.int(1, 4) : rng.pick([-4, -3, -2, -1, 1, 2, 3, 4]);
      printed = addYears(nikDate, shift);
    }
  }
  const nik = card.fields.nik;
  return {
    card: { ...card, fields: { ...card.fields, tanggal_lahir: printed } },
    mustFlag: [
      `NIK encodes birth date ${nik.slice(6, 8)}${nik.slice(8, 10)}${nik.slice(10, 12)} (${printedDate(nikDate)}), the card prints ${printedDate(printed)} (${part} differs)`,
    ],
  };
}

/** Province codes never used by Kemendagri (also not in the archived 2016–2023 code lists). */
const UNUSED_PROVINCE_CODES = [
  '10',
  '20',
  '23',
  '29',
  '30',
  '40',
  '45',
  '50',
  '58',
  '60',
  '69',
  '70',
  '80',
  '88',
  '90',
  '99',
];

/**
 * Replaces the NIK's region with one that does not exist: an unused province (`99…`), a regency
 * number 90–99 under the real province, or a district number 90–99 under the real regency (real
 * regency numbers stop at 79 and district numbers at 51).
 */
function unknownRegion(card: Card, { rng, regions }: DefectContext): AppliedDefect {
  // The 16-digit NPWP is the NIK; the old NPWP card prints none (layouts.ts never draws it here).
  const sixteen = card.kind === 'NPWP' && card.layout === 'npwp_16';
  const nik = sixteen ? card.fields.npwp : card.fields.nik;
  if (nik === undefined) throw new Error('region_unknown needs a card that prints a NIK');
  const level = rng.weighted([
    ['province', 2],
    ['regency', 2],
    ['district', 1],
  ] as const);
  let region = nik.slice(0, 6);
  if (level === 'province') {
    region = `${rng.pick(UNUSED_PROVINCE_CODES.filter((c) => !regions.provinceCodes.has(c)))}${nik.slice(2, 6)}`;
  } else if (level === 'regency') {
    do region = `${nik.slice(0, 2)}${rng.int(90, 99)}${nik.slice(4, 6)}`;
    while (regions.regencyCodes.has(region.slice(0, 4)));
  } else {
    do region = `${nik.slice(0, 4)}${rng.int(90, 99)}`;
    while (regions.districtCodes.has(region));
  }
  const newNik = `${region}${nik.slice(6)}`;
  const code = { province: region.slice(0, 2), regency: region.slice(0, 4), district: region }[level];
  if (sixteen) {
    // A 16-digit NPWP that fails the NIK rules may be a non-NIK number: review, not reject (npwpNumber.ts).
    return {
      card: { ...card, fields: { ...card.fields, npwp: newNik } },
      mustFlag: [`NPWP (a NIK) ${level} code ${code} does not exist`],
      reasons: ['NPWP_CHECK_DIGIT_UNVERIFIABLE'],
    };
  }
  return {
    card: { ...card, fields: { ...card.fields, nik: newNik } } as Card,
    mustFlag: [`NIK ${level} code ${code} does not exist`],
  };
}
