/**
 * A detected text region: a rectangle that may be rotated, described by its centre, the unit
 * vector `u` along the text (the reading direction) and its size along `u` (`length`) and across
 * it (`thickness`). Across is `v = (-uy, ux)`, which points "down" the glyphs when `u` reads
 * left to right in image coordinates (y grows downwards).
 */
export type TextBox = {
  cx: number;
  cy: number;
  ux: number;
  uy: number;
  length: number;
  thickness: number;
  /** Mean text probability of the region, 0..1. */
  score: number;
};

/** A box clearly longer than it is thick: its axis says which way the text runs. */
export const isElongated = (box: TextBox) => box.length >= 1.5 * box.thickness;

/** True when the text runs closer to vertical than horizontal. */
export const isVertical = (box: TextBox) => Math.abs(box.uy) > Math.abs(box.ux);

/** The same region read the other way round (turned 180°). */
export const reversed = (box: TextBox): TextBox => ({ ...box, ux: -box.ux, uy: -box.uy });

/** The axis-aligned rectangle around a box, as a box reading left to right. */
export function axisAligned(box: TextBox): TextBox {
  const ax = Math.abs(box.ux);
  const ay = Math.abs(box.uy);
  return {
    ...box,
    ux: 1,
    uy: 0,
    length: ax * box.length + ay * box.thickness,
    thickness: ay * box.length + ax * box.thickness,
  };
}

/** `[x, y, width, height]` of the axis-aligned rectangle around a box. */
export function boundingRect(box: TextBox): [number, number, number, number] {
  const { length, thickness } = axisAligned(box);
  return [box.cx - length / 2, box.cy - thickness / 2, length, thickness];
}

/**
 * Where a box lands when its image is turned 180° (image size `width` × `height`). Only the centre
 * moves: the box's axis is the same line either way, and which way it reads is set afterwards.
 */
export function turnedHalf(box: TextBox, width: number, height: number): TextBox {
  return { ...box, cx: width - box.cx, cy: height - box.cy };
}

/** On an upright page lines read to the right (or, if vertical, downwards). */
export function readingForward(box: TextBox): TextBox {
  const forward = isVertical(box) ? box.uy >= 0 : box.ux >= 0;
  return forward ? box : reversed(box);
}
