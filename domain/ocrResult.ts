import { z } from 'zod';

/**
 * What the OCR engine hands the policy: the text it read and measurements of the image. A zod schema
 * because it crosses process boundaries (OCR threads, the OCR_COMPLETED event, the encrypted column)
 * and is checked wherever it comes in.
 */

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
  /**
   * Colourfulness (Hasler–Süsstrunk) of the text area: near 0 for a greyscale scan or a photocopy.
   * Absent from results read before it was measured.
   */
  colourfulness: z.number().min(0).optional(),
  /**
   * Width in pixels of the image of the block of text read: how large the card was taken, wherever
   * in the frame it lies. Absent from results read before it was measured.
   */
  textWidth: z.number().min(0).max(100_000).optional(),
});
export type ImageQuality = z.infer<typeof imageQualitySchema>;

/** The OCR output. It is PII: the runtime stores it encrypted, never in the snapshot or the event log. */
export const ocrResultSchema = z.strictObject({
  text: z.string().max(100_000),
  lines: z
    .array(
      z.strictObject({
        text: z.string().max(2000),
        confidence: z.number().min(0).max(1),
        /**
         * One probability per character of `text` (a space counts 1): how sure the recogniser was of
         * each. Absent from results read before it was recorded.
         */
        chars: z.array(z.number().min(0).max(1)).max(2000).optional(),
        /**
         * The recogniser's second choice for each doubtful character: `[index in text, character,
         * probability]`. Tried only where a number fails its checks (domain/checks/alternatives.ts).
         */
        alternatives: z
          .array(z.tuple([z.number().int().min(0), z.string().length(1), z.number().min(0).max(1)]))
          .max(200)
          .optional(),
        /**
         * Digits-only readings of a run of digits in `text` ([start, end)) at the length of a NIK or an
         * NPWP, each digit with its probability. Tried only where a number fails its checks
         * (domain/checks/alternatives.ts). Absent from results read before they were kept.
         */
        numbers: z
          .array(
            z.strictObject({
              start: z.number().int().min(0),
              end: z.number().int().min(0),
              digits: z.string().regex(/^\d{1,32}$/),
              chars: z.array(z.number().min(0).max(1)).max(32),
            }),
          )
          .max(8)
          .optional(),
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
