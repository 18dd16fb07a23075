/**
 * The reasons a reviewer picks from when deciding a document in review (the reviewer console,
 * `GET /internal/review-reasons`). A template only fills in the decision's free-text `reason`,
 * which the reviewer may edit and must not leave empty; the decision records the text, not the
 * code. Codes are stable, so a console may remember a reviewer's last choice. Texts describe what
 * was checked or found, never the values on the card (they are PII).
 */
export type ReviewReasonTemplate = { code: string; text: string };

export const REVIEW_REASON_TEMPLATES = {
  approve: [
    { code: 'VERIFIED_AGAINST_IMAGE', text: 'Every field checked against the image; they match.' },
    { code: 'MINOR_OCR_ERRORS', text: 'Only minor reading errors; the card itself is genuine and legible.' },
    { code: 'FLAG_NOT_CONFIRMED', text: 'The automatic flag was checked and is not confirmed by the image.' },
    { code: 'DUPLICATE_SAME_PERSON', text: 'The other documents with this NIK belong to the same person.' },
  ],
  reject: [
    { code: 'UNREADABLE', text: 'The document cannot be read: blurred, dark, cropped or covered.' },
    { code: 'NOT_KTP_OR_NPWP', text: 'The image is not a KTP or NPWP card, or not the type that was uploaded.' },
    { code: 'DATA_MISMATCH', text: 'The data read does not match what the card shows.' },
    { code: 'SUSPECTED_TAMPERING', text: 'The card shows signs of tampering or forgery.' },
    { code: 'EXPIRED_OR_INVALID', text: 'The card is expired or otherwise not valid.' },
    { code: 'PHOTO_OF_SCREEN_OR_COPY', text: 'The image is a photo of a screen or of a copy, not of the card.' },
    { code: 'NIK_USED_BY_ANOTHER_PERSON', text: 'This NIK is already used by another person’s documents.' },
  ],
} as const satisfies Record<'approve' | 'reject', readonly ReviewReasonTemplate[]>;
