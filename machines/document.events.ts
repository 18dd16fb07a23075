import { z } from 'zod';

/**
 * The events a document machine accepts, as zod schemas: the runtime validates every event against
 * these before it reaches the machine, and the API's OpenAPI document is generated from them.
 */

export const DOCUMENT_TYPES = ['KTP', 'NPWP'] as const;
export type DocumentType = (typeof DOCUMENT_TYPES)[number];

export const reasonSchema = z.strictObject({
  code: z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'an UPPER_SNAKE reason code'),
  // reject: a hard failure (auto_reject); review: a human must look; info: recorded, no effect on routing.
  severity: z.enum(['reject', 'review', 'info']),
  message: z.string().min(1).max(500),
});
export type Reason = z.infer<typeof reasonSchema>;

const leaseToken = z.uuid();

export const processingStartedSchema = z.strictObject({
  type: z.literal('PROCESSING_STARTED'),
  workerId: z.string().min(1).max(128),
  attempt: z.number().int().min(1),
  leaseToken,
  device: z.enum(['cuda', 'cpu']),
});

/** Measurements of the input image, for the image-quality checks. */
export const imageQualitySchema = z.strictObject({
  width: z.number().int().min(1),
  height: z.number().int().min(1),
  /** Variance of the Laplacian of the grey image scaled to 640 px wide: low means blurred. */
  sharpness: z.number().min(0),
  /** Mean grey level, 0..255. */
  brightness: z.number().min(0).max(255),
  /** Share of the frame covered by the bounding box of the detected text, 0..1. */
  textCoverage: z.number().min(0).max(1),
});

/** The OCR output. It is PII: the runtime stores it encrypted, never in the snapshot or the event log. */
export const ocrResultSchema = z.strictObject({
  text: z.string().max(100_000),
  lines: z
    .array(
      z.strictObject({
        text: z.string().max(2000),
        confidence: z.number().min(0).max(1),
        /** [x, y, width, height] in pixels of the upright image. */
        box: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional(),
      }),
    )
    .max(2000),
  /** Clockwise rotation, in degrees, that was undone before reading. */
  rotation: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]).optional(),
  quality: imageQualitySchema.optional(),
});
export type OcrResult = z.infer<typeof ocrResultSchema>;
export type ImageQuality = z.infer<typeof imageQualitySchema>;

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
  reason: z.string().min(1).max(1000),
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
