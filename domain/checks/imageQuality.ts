/**
 * Image-quality checks on the measurements the OCR adapter takes (ImageQuality in
 * domain/ocrResult.ts). Each threshold is a named constant with the reason for its value;
 * they are starting points to calibrate on the evaluation set, not measured optima.
 */
import type { DetectedType } from '../documentType.ts';
import type { ImageQuality } from '../ocrResult.ts';
import { type Reason, reason } from '../reasons.ts';

/**
 * Shorter side below 300 px: a KTP's 8-pt label text is then under about 10 px high, where the
 * recogniser starts confusing digits. The IdentifAI KTP-OCR guideline asks for at least 300×400.
 */
export const MIN_SHORT_SIDE_PX = 300;
/** Fewer than 0.1 megapixels (e.g. 250×400) cannot carry 17 lines of text legibly, whatever the shape. */
export const MIN_PIXELS = 100_000;
/**
 * Variance of the Laplacian (grey image at 640 px wide) under 100: the usual cut-off for "blurred"
 * with this measure; a sharp card full of text scores several hundred.
 */
export const MIN_SHARPNESS = 100;
/** Mean grey level under 50 of 255: a card photographed in the dark, text and background merge. */
export const MIN_BRIGHTNESS = 50;
/**
 * Mean grey level over 235: washed out by flash or glare. A well-lit scan of a light-blue KTP on
 * white paper sits around 180–220, so the limit is kept high.
 */
export const MAX_BRIGHTNESS = 235;
/**
 * The card's block of text under 260 px wide in the image: the card is under about 400 px across,
 * its letters under about 7 px, too small to read reliably wherever it lies in the frame (the OCR
 * cuts a small card out of the frame and reads it again, so a card small in a large, sharp photo
 * reads well). On 120 generated `real` photos, the 21 cards under this width had 13% of their
 * fields read right, the others 82%.
 */
export const MIN_TEXT_WIDTH_PX = 260;
/**
 * For results read before the text's width was measured: the text's bounding box covering under 10%
 * of the frame, a card spanning less than about a third of the picture each way.
 */
export const MIN_TEXT_COVERAGE = 0.1;

/**
 * Colourfulness (Hasler–Süsstrunk) of the text area below which no document is in colour: a
 * greyscale scan measures 0. A white NPWP photographed in colour measures 1.8 and more on our cards,
 * so for an NPWP this is all colour can tell.
 */
export const MIN_COLOURFULNESS = 1;
/**
 * A KTP's light-blue ground measures 23 and more (generated cards and specimens alike); a photocopy
 * or a greyscale scan of one stays near 0, and a faded or colour-cast photo well above this.
 */
export const MIN_KTP_COLOURFULNESS = 8;

/** The image-quality reasons for `quality` of a card read as `type`; none when the OCR adapter did not measure it. */
export function checkImageQuality(quality: ImageQuality | undefined, type: DetectedType = 'UNKNOWN'): Reason[] {
  if (quality === undefined) return [];
  const reasons: Reason[] = [];
  const shortSide = Math.min(quality.width, quality.height);
  if (shortSide < MIN_SHORT_SIDE_PX || quality.width * quality.height < MIN_PIXELS) {
    reasons.push(reason('IMAGE_RESOLUTION_LOW'));
  }
  if (quality.sharpness < MIN_SHARPNESS) reasons.push(reason('IMAGE_BLURRY'));
  if (quality.brightness < MIN_BRIGHTNESS) reasons.push(reason('IMAGE_TOO_DARK'));
  if (quality.brightness > MAX_BRIGHTNESS) reasons.push(reason('IMAGE_TOO_BRIGHT'));
  const tooSmall =
    quality.textWidth === undefined ? quality.textCoverage < MIN_TEXT_COVERAGE : quality.textWidth < MIN_TEXT_WIDTH_PX;
  if (tooSmall) reasons.push(reason('CARD_TOO_SMALL'));
  const colour = quality.colourfulness;
  if (colour !== undefined && (colour < MIN_COLOURFULNESS || (type === 'KTP' && colour < MIN_KTP_COLOURFULNESS)))
    reasons.push(reason('IMAGE_NOT_IN_COLOUR'));
  return reasons;
}
