import { and, assign, setup } from 'xstate';
import type { DocumentType } from '../domain/documentType.ts';
import type { Reason } from '../domain/reasons.ts';
import type { DocumentEvent } from './document.events.ts';

/**
 * The lifecycle of one uploaded identity document. Pure: no I/O, no clocks, no randomness.
 *
 * The runtime computes transitions with xstate's `transition()` and persists the result. The custom
 * actions `requestOcr` and `startReview` do nothing when executed: they come back from
 * `transition()` as data and the runtime turns them into outbox rows in the same database statement
 * as the new snapshot (runtime/effects/registry.ts), so an effect is never lost and never runs before commit.
 *
 * Bump MACHINE_VERSION whenever a persisted snapshot of the previous version would no longer
 * restore to the same meaning, and add a migration in machines/document.migrations.ts.
 */
export const MACHINE_VERSION = 1;
export const MACHINE_ID = 'document';

export const DOCUMENT_STATUSES = [
  'uploaded',
  'processing',
  'ocr_completed',
  'ai_evaluated',
  'auto_approve',
  'auto_reject',
  'needs_review',
  'approved',
  'rejected',
] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];
export const FINAL_STATUSES: readonly DocumentStatus[] = ['auto_approve', 'auto_reject', 'approved', 'rejected'];

export type ReviewReason = 'ocr_failed' | 'lease_expired' | 'policy';

export type DocumentContext = {
  documentType: DocumentType;
  attempts: number;
  /** The fencing token of the current processing attempt; null when no worker owns the document. */
  leaseToken: string | null;
  lastErrorCode: string | null;
  evaluation: { score: number; reasons: Reason[]; policyVersion: string } | null;
  reviewReason: ReviewReason | null;
  review: {
    decision: 'approve' | 'reject';
    reviewerId: string;
    source: 'internal' | 'buli2';
    /** What the reviewer wrote for the applicant, shown to the client; absent when they wrote nothing. */
    clientMessage?: string;
  } | null;
};

export type DocumentMachineSettings = {
  /** OCR attempts before the document goes to a human (`needs_review`, reason `ocr_failed`). */
  maxAttempts: number;
  /** Score at or above which a clean evaluation is approved automatically. */
  approveThreshold: number;
};

export const DEFAULT_MACHINE_SETTINGS: DocumentMachineSettings = {
  maxAttempts: 3,
  approveThreshold: 0.85,
};

type Evaluation = NonNullable<DocumentContext['evaluation']>;
const hasSeverity = (evaluation: Evaluation | null, severity: Reason['severity']) =>
  evaluation?.reasons.some((reason) => reason.severity === severity) ?? false;

export function createDocumentMachine(settings: DocumentMachineSettings = DEFAULT_MACHINE_SETTINGS) {
  return setup({
    types: {
      context: {} as DocumentContext,
      events: {} as DocumentEvent,
      input: {} as { documentType: DocumentType },
    },
    guards: {
      isNextAttempt: ({ context, event }) =>
        event.type === 'PROCESSING_STARTED' && event.attempt === context.attempts + 1,
      leaseMatches: ({ context, event }) =>
        'leaseToken' in event && context.leaseToken !== null && event.leaseToken === context.leaseToken,
      attemptsExhausted: ({ context }) => context.attempts >= settings.maxAttempts,
      failureIsPermanent: ({ event }) => event.type === 'OCR_FAILED' && event.error.permanent === true,
      // Combinations named here rather than written as and([...]) at the transition, so that the
      // diagram and Stately Studio's import (npm run machine:export) show one guard by its name.
      leaseMatchesAndAttemptsExhausted: and(['leaseMatches', 'attemptsExhausted']),
      leaseMatchesAndFailureIsPermanent: and(['leaseMatches', 'failureIsPermanent']),
      hasHardFailure: ({ context }) => hasSeverity(context.evaluation, 'reject'),
      hasReviewReason: ({ context }) => hasSeverity(context.evaluation, 'review'),
      scoreMeetsApproveThreshold: ({ context }) =>
        context.evaluation !== null && context.evaluation.score >= settings.approveThreshold,
      reviewerApproves: ({ event }) => event.type === 'REVIEW_DECIDED' && event.decision === 'approve',
    },
    actions: {
      // An effect: carried out by the runtime from an outbox row (see the comment at the top).
      requestOcr: () => {},
      // An effect too: the review workflow that owns the document from here (workflows/review).
      startReview: () => {},

      startAttempt: assign(({ event }) =>
        event.type === 'PROCESSING_STARTED' ? { attempts: event.attempt, leaseToken: event.leaseToken } : {},
      ),
      releaseLease: assign({ leaseToken: null }),
      recordOcrError: assign(({ event }) => ({
        lastErrorCode: event.type === 'OCR_FAILED' ? event.error.code : 'lease_expired',
      })),
      markReviewForOcrFailure: assign(({ event }) => ({
        reviewReason: (event.type === 'LEASE_EXPIRED' ? 'lease_expired' : 'ocr_failed') as ReviewReason,
      })),
      markReviewForPolicy: assign({ reviewReason: 'policy' as ReviewReason }),
      recordEvaluation: assign(({ event }) =>
        event.type === 'AI_EVALUATED'
          ? { evaluation: { score: event.score, reasons: event.reasons, policyVersion: event.policyVersion } }
          : {},
      ),
      recordReview: assign(({ event }) =>
        event.type === 'REVIEW_DECIDED'
          ? {
              review: {
                decision: event.decision,
                reviewerId: event.reviewerId,
                source: event.source,
                ...(event.clientMessage ? { clientMessage: event.clientMessage } : {}),
              },
            }
          : {},
      ),
    },
  }).createMachine({
    id: MACHINE_ID,
    initial: 'uploaded',
    context: ({ input }) => ({
      // xstate's pure transition() builds a throwaway actor without input on every call and computes
      // its initial context; throwing here cost ~30 µs per transition. Every real document gets its
      // input (initialTransition in runtime/documents/documents.ts), and the throwaway context is never read.
      documentType: input?.documentType,
      attempts: 0,
      leaseToken: null,
      lastErrorCode: null,
      evaluation: null,
      reviewReason: null,
      review: null,
    }),
    states: {
      uploaded: {
        entry: 'requestOcr',
        on: {
          PROCESSING_STARTED: { guard: 'isNextAttempt', target: 'processing', actions: 'startAttempt' },
        },
      },
      processing: {
        on: {
          OCR_COMPLETED: { guard: 'leaseMatches', target: 'ocr_completed', actions: 'releaseLease' },
          OCR_FAILED: [
            {
              guard: 'leaseMatchesAndAttemptsExhausted',
              target: 'needs_review',
              actions: ['recordOcrError', 'releaseLease', 'markReviewForOcrFailure'],
            },
            // The same bytes would fail the same way: the remaining attempts would only delay review.
            {
              guard: 'leaseMatchesAndFailureIsPermanent',
              target: 'needs_review',
              actions: ['recordOcrError', 'releaseLease', 'markReviewForOcrFailure'],
            },
            { guard: 'leaseMatches', target: 'uploaded', actions: ['recordOcrError', 'releaseLease'] },
          ],
          LEASE_EXPIRED: [
            {
              guard: 'leaseMatchesAndAttemptsExhausted',
              target: 'needs_review',
              actions: ['recordOcrError', 'releaseLease', 'markReviewForOcrFailure'],
            },
            { guard: 'leaseMatches', target: 'uploaded', actions: ['recordOcrError', 'releaseLease'] },
          ],
        },
      },
      ocr_completed: {
        on: { AI_EVALUATED: { target: 'ai_evaluated', actions: 'recordEvaluation' } },
      },
      ai_evaluated: {
        // Order matters: a hard failure is never approved, doubt goes to a human, and only a clean,
        // high-scoring evaluation is approved automatically. Only a reason of severity `reject`
        // rejects: a low score alone says the card was read poorly, not that it is false, so it goes
        // to a person (issue 13: legitimate cards were rejected for being hard to read).
        on: {
          DECIDE: [
            { guard: 'hasHardFailure', target: 'auto_reject' },
            { guard: 'hasReviewReason', target: 'needs_review', actions: 'markReviewForPolicy' },
            { guard: 'scoreMeetsApproveThreshold', target: 'auto_approve' },
            { target: 'needs_review', actions: 'markReviewForPolicy' },
          ],
        },
      },
      needs_review: {
        entry: 'startReview',
        on: {
          REVIEW_DECIDED: [
            { guard: 'reviewerApproves', target: 'approved', actions: 'recordReview' },
            { target: 'rejected', actions: 'recordReview' },
          ],
        },
      },
      auto_approve: { type: 'final' },
      auto_reject: { type: 'final' },
      approved: { type: 'final' },
      rejected: { type: 'final' },
    },
  });
}

export type DocumentMachine = ReturnType<typeof createDocumentMachine>;
