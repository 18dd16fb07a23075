import { z } from 'zod';
import type { Reason } from '../../../domain/reasons.ts';
import type { DocumentStatus } from '../../../machines/document.machine.ts';

/**
 * The one verdict a client reads. The machine's nine statuses are for reviewers and operators; a
 * lending app needs to know only whether to wait, go on, stop, or wait for a person
 * (docs/client-api.md has the table). An applicant's verdict combines its documents' verdicts and
 * the cross-document checks.
 */
export const CLIENT_VERDICTS = ['pending', 'approved', 'rejected', 'in_review'] as const;
export type ClientVerdict = (typeof CLIENT_VERDICTS)[number];

export const STATUS_VERDICT: Readonly<Record<DocumentStatus, ClientVerdict>> = {
  uploaded: 'pending',
  processing: 'pending',
  ocr_completed: 'pending',
  ai_evaluated: 'pending',
  auto_approve: 'approved',
  approved: 'approved',
  auto_reject: 'rejected',
  rejected: 'rejected',
  needs_review: 'in_review',
};

export const clientVerdictSchema = z
  .enum(CLIENT_VERDICTS)
  .describe(
    'pending: being checked, wait; approved: verified; rejected: refused, see the reasons and the message; in_review: a person is checking it',
  );

/**
 * An applicant's verdict: `pending` with no documents yet; otherwise the least settled of its
 * documents' verdicts (rejected before in review before pending before approved). Once every
 * document is approved, only a cross-document reason of severity `reject` changes it: two NIKs read
 * surely and too far apart for a misread, so the cards belong to two people. Names that differ
 * (a married name, a nickname) and anything unsure leave it approved; the applicant's `crossCheck`
 * and `checks` say so, and the client decides whether to ask for a clearer card. No applicant is
 * ever rejected on evidence the engine is unsure of.
 */
export function applicantVerdict(
  documents: readonly ClientVerdict[],
  crossCheckReasons: readonly Pick<Reason, 'severity'>[],
): ClientVerdict {
  if (documents.length === 0) return 'pending';
  for (const verdict of ['rejected', 'in_review', 'pending'] as const) if (documents.includes(verdict)) return verdict;
  return crossCheckReasons.some((reason) => reason.severity === 'reject') ? 'rejected' : 'approved';
}
