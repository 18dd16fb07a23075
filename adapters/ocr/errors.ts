/**
 * Errors the OCR actor raises on purpose. The runtime turns `code` into the OCR_FAILED event's
 * error code, so codes are stable lower_snake strings and messages never contain document content.
 *
 * Every one of them is about the uploaded bytes, which never change: reading them again fails the
 * same way. They carry `permanent: true`, which the runtime's OcrFailure port reads, so the document
 * goes to a reviewer at once instead of using up its remaining attempts.
 */
export const OCR_ERROR_CODES = ['image_too_large', 'image_unreadable', 'pdf_too_complex'] as const;

export type OcrErrorCode = (typeof OCR_ERROR_CODES)[number];

export type OcrError = Error & { code: OcrErrorCode; permanent: true };

export function ocrError(code: OcrErrorCode, message: string, cause?: unknown): OcrError {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), {
    code,
    permanent: true as const,
  });
}

export function isOcrErrorCode(code: unknown): code is OcrErrorCode {
  return (OCR_ERROR_CODES as readonly unknown[]).includes(code);
}

export function isOcrError(error: unknown): error is OcrError {
  return error instanceof Error && isOcrErrorCode((error as OcrError).code);
}
