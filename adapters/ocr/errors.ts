/**
 * Errors the OCR actor raises on purpose. The runtime turns `code` into the OCR_FAILED event's
 * error code, so codes are stable lower_snake strings and messages never contain document content.
 */
export type OcrErrorCode = 'image_too_large' | 'image_unreadable';

export type OcrError = Error & { code: OcrErrorCode };

export function ocrError(code: OcrErrorCode, message: string, cause?: unknown): OcrError {
  return Object.assign(new Error(message, cause === undefined ? undefined : { cause }), { code });
}

export function isOcrError(error: unknown): error is OcrError {
  return (
    error instanceof Error &&
    ((error as OcrError).code === 'image_too_large' || (error as OcrError).code === 'image_unreadable')
  );
}
