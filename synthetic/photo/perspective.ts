import sharp from 'sharp';
import { CARD_BASE, type Variation } from '../variation.ts';
import { invert, type Matrix3, multiply, rotate, scale, tiltHomography, translate } from './homography.ts';
import type { Perspective } from './treatments.ts';
import { drawWarped } from './warp.ts';

/**
 * A card photographed at an angle: the background and the card (with what lies on it) are
 * rasterised apart, the card layer is warped by the tilt's homography about the card's centre,
 * and drawn over the background. The background stays flat: it is the clutter around the card,
 * not the plane the card lies in.
 */

/** The two SVG documents of a frame: the background alone, and the placed card on transparency. */
export type FrameLayers = { background: string; card: string };

/** The frame's pixels (RGB, `variation.frame` in size, before blur, brightness and noise). */
export async function photographAtAngle(
  layers: FrameLayers,
  variation: Variation,
  perspective: Perspective,
): Promise<Buffer> {
  const size = variation.frame;
  const [background, card] = await Promise.all([
    sharp(Buffer.from(layers.background)).removeAlpha().raw().toBuffer({ resolveWithObject: true }),
    sharp(Buffer.from(layers.card)).ensureAlpha().raw().toBuffer({ resolveWithObject: true }),
  ]);
  for (const { info } of [background, card]) {
    if (info.width !== size.width || info.height !== size.height) {
      throw new Error(`rendered ${info.width}×${info.height}, expected the frame size`);
    }
  }
  const forward = frameTilt(variation, perspective);
  drawWarped(background.data, card.data, size, forward, invert(forward));
  return background.data;
}

/**
 * Frame pixels of the flat card → frame pixels of the tilted one: back to card-centred design
 * units (undoing the placement frameSvg applies: translate, rotate, scale), tilt, and place again.
 */
export function frameTilt(variation: Variation, perspective: Perspective): Matrix3 {
  const box = variation.card_box;
  const placement = multiply(
    multiply(translate(box.x + box.width / 2, box.y + box.height / 2), rotate(variation.rotation)),
    scale(variation.card_width / CARD_BASE.width),
  );
  const tilt = tiltHomography(perspective, CARD_BASE.width, CARD_BASE.height);
  return multiply(multiply(placement, tilt), invert(placement));
}
