import type { DocumentEvent } from '../../machines/document.events.ts';

/**
 * What the append-only event log keeps of each event. The log is read by reviewers, support staff
 * and auditors for years, so it holds no PII: OCR text and extracted fields are dropped (they live
 * encrypted on the document), and free text written by reviewers has long digit runs (NIK, NPWP,
 * phone numbers) masked to their last four digits.
 */
export function redactForLog(event: DocumentEvent): Record<string, unknown> {
  switch (event.type) {
    case 'OCR_COMPLETED':
      return {
        leaseToken: event.leaseToken,
        gpuProcessed: event.gpuProcessed,
        durationMs: event.durationMs,
        lineCount: event.result.lines.length,
      };
    case 'OCR_FAILED':
      // Engine messages may quote what they read; the code says enough.
      return {
        leaseToken: event.leaseToken,
        error: { code: event.error.code, ...(event.error.permanent ? { permanent: true } : {}) },
      };
    case 'AI_EVALUATED':
      return {
        score: event.score,
        // Reason messages are written for reviewers and never meant to quote values; masking here
        // keeps a policy bug from writing an identifier into the permanent log.
        reasons: event.reasons.map((reason) => ({ ...reason, message: maskDigitRuns(reason.message) })),
        policyVersion: event.policyVersion,
        fieldsPresent: Object.keys(event.fields)
          .filter((name) => event.fields[name] !== null)
          .sort(),
      };
    case 'REVIEW_DECIDED':
      return {
        decision: event.decision,
        reviewerId: event.reviewerId,
        source: event.source,
        reason: maskDigitRuns(event.reason),
        ...(event.reviewId ? { reviewId: event.reviewId } : {}),
      };
    default: {
      const { type: _type, ...rest } = event;
      return rest;
    }
  }
}

/**
 * Replaces every run of 6+ digits with `*` except its last 4 digits. Up to three separators (spaces,
 * dots, slashes, dashes, underscores) may stand between digits, as people write NIK and NPWP.
 */
export function maskDigitRuns(text: string): string {
  return text.replace(/\d(?:[\s./_-]{0,3}\d){5,}/g, (run) => {
    const digits = run.replace(/\D/g, '');
    return `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
  });
}
