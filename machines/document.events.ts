import { z } from 'zod';
import { ocrResultSchema } from '../domain/ocrResult.ts';
import { reasonSchema } from '../domain/reasons.ts';

/**
 * The events a document machine accepts, as zod schemas: the runtime validates every event against
 * these before it reaches the machine, and the API's OpenAPI document is generated from them. What
 * they carry that the domain defines (reasons, the OCR result, document types) comes from domain/.
 */

const leaseToken = z.uuid();

export const processingStartedSchema = z.strictObject({
  type: z.literal('PROCESSING_STARTED'),
  workerId: z.string().min(1).max(128),
  attempt: z.number().int().min(1),
  leaseToken,
  device: z.enum(['cuda', 'cpu']),
});

export const ocrCompletedSchema = z.strictObject({
  type: z.literal('OCR_COMPLETED'),
  leaseToken,
  result: ocrResultSchema,
  gpuProcessed: z.boolean(),
  durationMs: z.number().min(0),
});

export const ocrFailedSchema = z.strictObject({
  type: z.literal('OCR_FAILED'),
  leaseToken,
  error: z.strictObject({
    code: z.string().regex(/^[a-z][a-z0-9_]{1,63}$/),
    message: z.string().max(500),
    /** Retrying cannot help (the bytes fail the same way every time): straight to review. Absent on older events. */
    permanent: z.boolean().optional(),
  }),
});

export const leaseExpiredSchema = z.strictObject({
  type: z.literal('LEASE_EXPIRED'),
  leaseToken,
});

/** Extracted fields are PII; they go to encrypted columns, never into the snapshot. */
export const fieldsSchema = z.record(z.string().max(64), z.string().max(2000).nullable());

export const aiEvaluatedSchema = z.strictObject({
  type: z.literal('AI_EVALUATED'),
  score: z.number().min(0).max(1),
  reasons: z.array(reasonSchema).max(100),
  fields: fieldsSchema,
  policyVersion: z.string().min(1).max(64),
});

export const decideSchema = z.strictObject({ type: z.literal('DECIDE') });

export const reviewDecidedSchema = z.strictObject({
  type: z.literal('REVIEW_DECIDED'),
  decision: z.enum(['approve', 'reject']),
  reviewerId: z.string().min(1).max(128),
  source: z.enum(['internal', 'buli2']),
  /** The reviewer's internal note: kept in the event log for reviewers and auditors, never shown to the client. */
  reason: z.string().min(1).max(1000),
  /** What the reviewer wrote for the applicant: the client reads it with the verdict. */
  clientMessage: z.string().min(1).max(500).optional(),
  /** The review workflow's id of the review that decided (workflows/review); absent for a decision made without one. */
  reviewId: z.uuid().optional(),
});

export const documentEventSchema = z.discriminatedUnion('type', [
  processingStartedSchema,
  ocrCompletedSchema,
  ocrFailedSchema,
  leaseExpiredSchema,
  aiEvaluatedSchema,
  decideSchema,
  reviewDecidedSchema,
]);

export type DocumentEvent = z.infer<typeof documentEventSchema>;
export type DocumentEventType = DocumentEvent['type'];
export const DOCUMENT_EVENT_TYPES = documentEventSchema.options.map((option) => option.shape.type.value);
