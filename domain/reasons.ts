import { z } from 'zod';

/**
 * One finding of the evaluation. A zod schema because reasons travel in the AI_EVALUATED event and
 * the API's responses, both validated against it.
 */
export const reasonSchema = z.strictObject({
  code: z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'an UPPER_SNAKE reason code'),
  // reject: a hard failure (auto_reject); review: a human must look; info: recorded, no effect on routing.
  severity: z.enum(['reject', 'review', 'info']),
  message: z.string().min(1).max(500),
});
export type Reason = z.infer<typeof reasonSchema>;

/**
 * Every reason the evaluation can give, with its severity and the words a reviewer reads.
 * Codes are stable: clients, dashboards and the synthetic card generator's labels refer to them.
 * Messages say what was found without quoting the values themselves (they are PII).
 *
 * Severity decides routing (machines/document.machine.ts): `reject` is a hard failure and is never
 * approved; `review` sends the document to a human; `info` only lowers the score.
 */
export const REASONS = {
  // Document and image
  DOCUMENT_TYPE_UNKNOWN: { severity: 'reject', message: 'The image does not show a KTP or an NPWP card.' },
  // Too little was read confidently to say what the document is: a card small in the frame, blurred
  // or covered; a person looks (checks/evidence.ts).
  DOCUMENT_TYPE_UNREADABLE: {
    severity: 'review',
    message: 'Too little of the image could be read with confidence to recognise a KTP or an NPWP card.',
  },
  // A check that would reject the card failed on characters read with low confidence: more likely a
  // misread than a false card (checks/evidence.ts).
  UNCERTAIN_CHECK_FAILED: {
    severity: 'review',
    message: 'A check that would reject the card failed on characters that were read with low confidence.',
  },
  DOCUMENT_TYPE_MISMATCH: {
    severity: 'review',
    message: 'The card in the image is not the document type that was uploaded.',
  },
  IMAGE_RESOLUTION_LOW: { severity: 'review', message: 'The image resolution is too low to read the card reliably.' },
  IMAGE_BLURRY: { severity: 'review', message: 'The image is blurred.' },
  IMAGE_TOO_DARK: { severity: 'review', message: 'The image is too dark.' },
  IMAGE_TOO_BRIGHT: { severity: 'review', message: 'The image is overexposed.' },
  CARD_TOO_SMALL: { severity: 'review', message: 'The card was taken too small to read reliably.' },
  // KYC vendors treat a copy as a risk signal: it hides a photo swap or an edit that colour shows.
  IMAGE_NOT_IN_COLOUR: {
    severity: 'review',
    message: 'The card shows no colour: a photocopy or a greyscale scan, which a person should check.',
  },
  OCR_LOW_CONFIDENCE: { severity: 'review', message: 'Parts of the card could only be read with low confidence.' },
  FIELD_MISSING: { severity: 'review', message: 'A required field could not be read.' },
  FIELD_VALUE_UNKNOWN: { severity: 'review', message: 'A field holds a value outside its allowed list.' },

  // NIK (KTP, and the NIK printed on an NPWP)
  NIK_FORMAT_INVALID: { severity: 'reject', message: 'The NIK is not 16 digits.' },
  NIK_REGION_UNKNOWN: {
    severity: 'reject',
    message: 'The NIK names a province, regency or district code that does not exist.',
  },
  NIK_DATE_INVALID: { severity: 'reject', message: 'The birth date encoded in the NIK is not a real date.' },
  NIK_SERIAL_INVALID: { severity: 'reject', message: 'The NIK serial number is 0000, which is never issued.' },
  NIK_BIRTHDATE_MISMATCH: {
    severity: 'reject',
    message: 'The birth date encoded in the NIK differs from the printed birth date.',
  },
  NIK_SEX_MISMATCH: {
    severity: 'reject',
    message: 'The sex encoded in the NIK (day + 40 for women) differs from the printed sex.',
  },
  // checks/alternatives.ts: the correction is shown, never silent.
  NUMBER_READ_CORRECTED: {
    severity: 'info',
    message:
      "A doubtful digit was taken as the recogniser's second choice: the only reading of the number that passes its checks.",
  },
  NIK_PROVINCE_MISMATCH: {
    severity: 'info',
    message: 'The NIK was first registered in another province than the one printed (people who moved keep their NIK).',
  },

  // KTP printed fields
  PROVINCE_UNKNOWN: { severity: 'review', message: 'The printed province is not an Indonesian province.' },
  BIRTHDATE_INVALID: {
    severity: 'reject',
    message: 'The printed birth date is not a real date or lies in the future.',
  },
  UNDERAGE: { severity: 'reject', message: 'The holder is younger than 17, the minimum age for a KTP.' },
  // Review, not reject: since 2016 an e-KTP printed with an end date is valid for life (Kemendagri
  // circular under UU 24/2013), so a person must judge the card rather than a rule refuse it.
  DOCUMENT_EXPIRED: {
    severity: 'review',
    message:
      'The validity date printed on the card has passed (e-KTPs are valid for life since 2016; check the card type).',
  },

  // NPWP
  NPWP_FORMAT_INVALID: { severity: 'reject', message: 'The NPWP is neither a 15-digit nor a 16-digit tax number.' },
  NPWP_CHECK_DIGIT_INVALID: {
    severity: 'reject',
    message: 'The NPWP check digit is wrong (Luhn over the first 9 digits).',
  },
  REGISTRATION_DATE_INVALID: {
    severity: 'review',
    message: 'The printed registration date is not a real date or lies in the future.',
  },
  NPWP_CHECK_DIGIT_UNVERIFIABLE: {
    severity: 'review',
    message:
      'This 16-digit NPWP is neither a NIK nor a converted 15-digit number, so its check digit cannot be verified.',
  },

  // Across documents
  DUPLICATE_IDENTITY: { severity: 'review', message: 'The same NIK was already verified for a different account.' },
  // One applicant's KTP against their NPWP card (checks/crossDocument.ts). A match is recorded too,
  // so a verdict shows the check was made; an unsure check never counts as a mismatch.
  CROSS_NIK_MATCH: {
    severity: 'info',
    message: "The NIK on the NPWP card (its NIK line or its 16-digit number) equals the KTP's NIK.",
  },
  CROSS_NIK_MISMATCH: {
    severity: 'reject',
    message: "The NIK on the NPWP card differs from the KTP's NIK: the cards belong to different people.",
  },
  CROSS_NIK_UNVERIFIED: {
    severity: 'review',
    message:
      "The NPWP card's NIK could not be compared with the KTP's: missing (older cards print none), not read whole, read with low confidence, or different only as a misread would be.",
  },
  CROSS_NAME_MATCH: { severity: 'info', message: 'The names on the KTP and the NPWP card agree.' },
  CROSS_NAME_MISMATCH: {
    severity: 'review',
    message:
      'The names on the KTP and the NPWP card differ beyond misreads, initials, titles, older spellings and left-out names.',
  },
  CROSS_NAME_UNVERIFIED: {
    severity: 'review',
    message:
      'The names on the KTP and the NPWP card could not be compared with confidence: one is missing or was read with low confidence.',
  },
} as const satisfies Record<string, Omit<Reason, 'code'>>;

export type ReasonCode = keyof typeof REASONS;

/** A reason with its catalogue severity; `detail` adds context in words (never a field value). */
export function reason(code: ReasonCode, detail?: string): Reason {
  const { severity, message } = REASONS[code];
  return { code, severity, message: detail ? `${message} ${detail}` : message };
}
