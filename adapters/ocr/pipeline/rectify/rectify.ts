import type { Raster } from '../../raster.ts';
import type { TextBox } from '../detection/textBox.ts';
import { type Matrix3, mapPoint, type Point, type Quad, solveHomography } from './homography.ts';
import { type Direction, type Extent, findOutline } from './outline.ts';

/**
 * Finds the outline of a card photographed at an angle and the map that undoes the angle (pure).
 *
 * A card's outline is four straight edges, a step in brightness between the card and what it lies
 * on, that enclose its text closely. The text the detector found says where to look and which way
 * the edges run: top and bottom along the lines, left and right across them, within a limited turn
 * (perspective makes them converge, and a card is no trapezoid beyond that). The image around the
 * text is resampled on a grid turned with the lines; each side is searched on it for the nearest
 * straight line on which the brightness steps the same way all along the text. A table's pattern
 * (stripes, a checker) lies beyond the card's own edge, so the nearest strong line is the card's;
 * a line on the card itself (a photo's side, a printed band) has the card's colours beyond it,
 * not the table's, and such an outline is refused rather than cut through the card.
 *
 * Perspective is undone only where it is clearly there (a corner off square by more than a few
 * degrees): a card seen square on is read as it was, and its rotation left to the later stages.
 */
export type RectifyOptions = {
  /**
   * Points on the longer side of the grid the search runs on. 300 found the outlines of the
   * generated photos' cards as often as 400 did, their corners 0.8% of the card's width off the true
   * ones rather than 0.6%, in three quarters of the time.
   */
  grid: number;
  /** Edges are looked for up to this share of the text's size beyond it. */
  reach: number;
  /** Largest slope (tangent) of an edge against the text's direction. */
  maxSlope: number;
  /** Mean step in grey levels (0–255) along a line for it to count as an edge. */
  minContrast: number;
  /** … of which at least half must be seen over this share of the line. */
  minCover: number;
  /** The outline is rectified only when one of its corners is off square by at least this (degrees). */
  minSkew: number;
  /** … and not when one is off by more than this: no card seen from a usable angle looks like that. */
  maxSkew: number;
  /** Long side over short side of the outline, allowed range: an ID-1 card is 1.586, seen at an angle or stretched. */
  aspect: readonly [number, number];
  /** Long side over short side of the card the outline is mapped to (ID-1: 85.60 × 53.98 mm). */
  cardAspect: number;
  /** The rectified card keeps this share of its size around it, so text at its edge is not cut. */
  margin: number;
  /** At most this many boxes (the largest) are considered. */
  maxBoxes: number;
};

export const DEFAULT_RECTIFY_OPTIONS: RectifyOptions = {
  grid: 300,
  reach: 0.7,
  maxSlope: 0.3,
  minContrast: 8,
  minCover: 0.6,
  minSkew: 3,
  maxSkew: 30,
  aspect: [1, 2.1],
  cardAspect: 85.6 / 53.98,
  margin: 0.03,
  maxBoxes: 400,
};

/** How to draw the rectified card: output pixel → image pixel, and the output's size. */
export type Rectification = {
  /** Rectified pixel → image pixel. */
  toImage: Matrix3;
  width: number;
  height: number;
  /** The card's corners in the image: top left, top right, bottom right, bottom left. */
  outline: Quad;
};

/** Fewer elongated lines than this do not say reliably which way the text runs. */
const MIN_LINES = 3;
/** Lines within this of the most common direction (doubled angle, radians: ±15° of text) are the card's. */
const DIRECTION_SPREAD = Math.PI / 6;
/** At most this many lines are compared for the most common direction (the longest). */
const MAX_DIRECTION_LINES = 200;
/** No rectified card is drawn larger than this on a side (the frame is at most 2048 px). */
const MAX_SIDE = 4096;

/**
 * The card's outline around `boxes` (in `image`'s pixels) and the map to its rectified image, or
 * null when no convincing outline is found or the card is seen square on. Never throws on odd
 * boxes or images; the work is bounded by the grid's size.
 */
export function findRectification(
  image: Raster,
  boxes: readonly TextBox[],
  options: RectifyOptions = DEFAULT_RECTIFY_OPTIONS,
): Rectification | null {
  if (image.width < 8 || image.height < 8 || image.data.length < image.width * image.height * 3) return null;
  const lines = usableBoxes(boxes, image, options.maxBoxes);
  const direction = textDirection(lines);
  if (!direction) return null;
  const extent = textExtent(lines, direction);
  const outline = findOutline(image, direction, extent, lines, options);
  if (!outline) return null;
  return rectificationOf(outline, lines, options);
}

function usableBoxes(boxes: readonly TextBox[], image: Raster, maxBoxes: number): TextBox[] {
  return boxes
    .filter(
      (box) =>
        Number.isFinite(box.cx + box.cy + box.ux + box.uy + box.length + box.thickness) &&
        box.length > 0 &&
        box.thickness > 0 &&
        Math.abs(Math.hypot(box.ux, box.uy) - 1) < 1e-3 &&
        box.cx >= 0 &&
        box.cy >= 0 &&
        box.cx <= image.width &&
        box.cy <= image.height &&
        box.length <= image.width + image.height &&
        box.thickness <= image.width + image.height,
    )
    .sort((a, b) => b.length * b.thickness - a.length * a.thickness)
    .slice(0, maxBoxes);
}

/**
 * The lines' common direction: the length-weighted mean of the doubled angles (a line read either
 * way is the same line) of the elongated boxes near the most common one. A box that merged a few
 * lines of a card lying on its side runs across them, so boxes far off that direction are left
 * out; null when too few lines or when they run every which way (no card's text).
 */
export function textDirection(boxes: readonly TextBox[]): Direction | null {
  const lines = boxes
    .filter((box) => box.length >= 2 * box.thickness && Number.isFinite(box.length + box.ux + box.uy))
    .sort((a, b) => b.length - a.length)
    .slice(0, MAX_DIRECTION_LINES)
    .map((box) => ({ angle: 2 * Math.atan2(box.uy, box.ux), weight: box.length }));
  if (lines.length < MIN_LINES) return null;
  const total = lines.reduce((sum, { weight }) => sum + weight, 0);
  // The most common direction: the line whose neighbourhood (±15° of text) holds the most length.
  const near = (a: number, b: number) => Math.cos(a - b) > Math.cos(DIRECTION_SPREAD);
  let mode = 0;
  let modeWeight = 0;
  for (const { angle } of lines) {
    const weight = lines.reduce((sum, line) => (near(line.angle, angle) ? sum + line.weight : sum), 0);
    if (weight > modeWeight) {
      modeWeight = weight;
      mode = angle;
    }
  }
  if (!(modeWeight >= 0.6 * total)) return null;
  let c = 0;
  let s = 0;
  let count = 0;
  for (const { angle, weight } of lines) {
    if (!near(angle, mode)) continue;
    c += weight * Math.cos(angle);
    s += weight * Math.sin(angle);
    count++;
  }
  if (count < MIN_LINES) return null;
  const angle = Math.atan2(s, c) / 2;
  return { ux: Math.cos(angle), uy: Math.sin(angle) };
}

function textExtent(boxes: readonly TextBox[], { ux, uy }: Direction): Extent {
  const extent = { a0: Infinity, a1: -Infinity, b0: Infinity, b1: -Infinity };
  for (const box of boxes) {
    const a = box.cx * ux + box.cy * uy;
    const b = -box.cx * uy + box.cy * ux;
    // The box's half-size along and across the text direction.
    const along = Math.abs(box.ux * ux + box.uy * uy);
    const across = Math.abs(-box.ux * uy + box.uy * ux);
    const halfA = (along * box.length + across * box.thickness) / 2;
    const halfB = (across * box.length + along * box.thickness) / 2;
    extent.a0 = Math.min(extent.a0, a - halfA);
    extent.a1 = Math.max(extent.a1, a + halfA);
    extent.b0 = Math.min(extent.b0, b - halfB);
    extent.b1 = Math.max(extent.b1, b + halfB);
  }
  return extent;
}

/**
 * The map from the rectified card to `outline`, or null when the outline is not a card's seen at a
 * plausible angle, does not hold the text, or is square enough to read as it is. The corners are
 * named by where they lie in the image, so a card lying on its side stays on its side (the
 * orientation stage turns it), and the rectified card is as large as the outline is on average.
 */
export function rectificationOf(
  outline: Quad,
  boxes: readonly TextBox[],
  options: RectifyOptions = DEFAULT_RECTIFY_OPTIONS,
): Rectification | null {
  const quad = inImageOrder(outline);
  if (!quad || !isConvex(quad)) return null;
  const skew = Math.max(...cornerAngles(quad).map((angle) => Math.abs(angle - 90)));
  if (!(skew >= options.minSkew) || skew > options.maxSkew) return null;
  const [topLeft, topRight, bottomRight, bottomLeft] = quad;
  const across = (distance(topLeft, topRight) + distance(bottomLeft, bottomRight)) / 2;
  const down = (distance(topLeft, bottomLeft) + distance(topRight, bottomRight)) / 2;
  // The card's lines run along its long sides: whichever pair of sides they follow is its width,
  // even where the photo was stretched until that pair looked the shorter.
  const direction = textDirection(boxes);
  if (!direction) return null;
  const lying = alignment(direction, topLeft, topRight) >= alignment(direction, topLeft, bottomLeft);
  const long = lying ? across : down;
  const aspect = long / (lying ? down : across);
  if (!(aspect >= options.aspect[0] && aspect <= options.aspect[1])) return null;
  const width = Math.round(lying ? long : long / options.cardAspect);
  const height = Math.round(lying ? long / options.cardAspect : long);
  if (!(width >= 8 && height >= 8 && width <= MAX_SIDE && height <= MAX_SIDE)) return null;
  const marginX = Math.round(width * options.margin);
  const marginY = Math.round(height * options.margin);
  const toImage = solveHomography(
    [
      [marginX, marginY],
      [marginX + width, marginY],
      [marginX + width, marginY + height],
      [marginX, marginY + height],
    ],
    quad,
  );
  if (!toImage) return null;
  // The text must lie on the card.
  const inverse = solveHomography(quad, [
    [marginX, marginY],
    [marginX + width, marginY],
    [marginX + width, marginY + height],
    [marginX, marginY + height],
  ]);
  if (!inverse) return null;
  const inside = boxes.filter((box) => {
    const at = mapPoint(inverse, box.cx, box.cy);
    return at && at[0] >= 0 && at[1] >= 0 && at[0] <= width + 2 * marginX && at[1] <= height + 2 * marginY;
  }).length;
  if (inside < 0.9 * boxes.length) return null;
  return { toImage, width: width + 2 * marginX, height: height + 2 * marginY, outline: quad };
}

/** The boxes whose centre lies in `[x, y, width, height]`. */
export function boxesWithin(
  boxes: readonly TextBox[],
  [x, y, width, height]: readonly [number, number, number, number],
): TextBox[] {
  return boxes.filter((box) => box.cx >= x && box.cx <= x + width && box.cy >= y && box.cy <= y + height);
}

/**
 * Where the rectified card is reported to lie in the frame: a rectangle of its size centred on the
 * outline's centre, kept inside the frame where it fits. Boxes read on the rectified card are
 * reported at this place, as a cut-out's are at the cut's: in the rectified card's own axes (its
 * lines level, its columns upright, which is what the layout rules compare), at the photo's scale
 * (the card as wide as the outline is on average, so a text width still measures the photo), and
 * near where the card lies. They are not the exact pixels of the photo: a corner of a box can be
 * a few pixels off the slanted text it stands for.
 */
export function placement(
  { width, height, outline }: Pick<Rectification, 'width' | 'height' | 'outline'>,
  frameWidth: number,
  frameHeight: number,
): [number, number, number, number] {
  const cx = outline.reduce((sum, [x]) => sum + x, 0) / 4;
  const cy = outline.reduce((sum, [, y]) => sum + y, 0) / 4;
  const x = Math.min(Math.max(0, frameWidth - width), Math.max(0, Math.round(cx - width / 2)));
  const y = Math.min(Math.max(0, frameHeight - height), Math.max(0, Math.round(cy - height / 2)));
  return [x, y, width, height];
}

/**
 * Whether text found on a `width` × `height` rectified card runs up to one of its sides: the card's
 * text stops short of its edges, so a side taken for an edge cut through the card.
 */
export function textReachesSide(boxes: readonly TextBox[], width: number, height: number): boolean {
  return boxes.some((box) => {
    if (!Number.isFinite(box.cx + box.cy + box.length + box.thickness)) return false;
    const halfX = (Math.abs(box.ux) * box.length + Math.abs(box.uy) * box.thickness) / 2;
    const halfY = (Math.abs(box.uy) * box.length + Math.abs(box.ux) * box.thickness) / 2;
    const near = Math.max(2, Math.min(box.thickness, box.length) / 2);
    return (
      box.cx - halfX <= near ||
      box.cy - halfY <= near ||
      box.cx + halfX >= width - near ||
      box.cy + halfY >= height - near
    );
  });
}

/** The corners reordered as top left, top right, bottom right, bottom left in the image. */
function inImageOrder(outline: Quad): Quad | null {
  if (outline.some(([x, y]) => !Number.isFinite(x) || !Number.isFinite(y))) return null;
  const cx = outline.reduce((sum, [x]) => sum + x, 0) / 4;
  const cy = outline.reduce((sum, [, y]) => sum + y, 0) / 4;
  // Clockwise on screen (y down) from the corner nearest the top-left direction.
  const byAngle = [...outline].sort((p, q) => Math.atan2(p[1] - cy, p[0] - cx) - Math.atan2(q[1] - cy, q[0] - cx));
  let first = 0;
  let nearest = Infinity;
  byAngle.forEach(([x, y], index) => {
    const off = Math.abs(angleBetween(Math.atan2(y - cy, x - cx), (-3 * Math.PI) / 4));
    if (off < nearest) {
      nearest = off;
      first = index;
    }
  });
  const ordered = [0, 1, 2, 3].map((k) => byAngle[(first + k) % 4] as Point);
  return ordered as unknown as Quad;
}

function angleBetween(a: number, b: number): number {
  const d = a - b;
  return Math.atan2(Math.sin(d), Math.cos(d));
}

function isConvex(quad: Quad): boolean {
  let sign = 0;
  for (let k = 0; k < 4; k++) {
    const [ax, ay] = quad[k] as Point;
    const [bx, by] = quad[(k + 1) % 4] as Point;
    const [cx, cy] = quad[(k + 2) % 4] as Point;
    const cross = (bx - ax) * (cy - by) - (by - ay) * (cx - bx);
    if (!(Math.abs(cross) > 1e-9)) return false;
    if (sign === 0) sign = Math.sign(cross);
    else if (Math.sign(cross) !== sign) return false;
  }
  return true;
}

/** Interior angles at the corners, in degrees. */
function cornerAngles(quad: Quad): number[] {
  return quad.map((corner, k) => {
    const previous = quad[(k + 3) % 4] as Point;
    const next = quad[(k + 1) % 4] as Point;
    const ax = previous[0] - corner[0];
    const ay = previous[1] - corner[1];
    const bx = next[0] - corner[0];
    const by = next[1] - corner[1];
    const cosine = (ax * bx + ay * by) / (Math.hypot(ax, ay) * Math.hypot(bx, by));
    return (Math.acos(Math.max(-1, Math.min(1, cosine))) * 180) / Math.PI;
  });
}

/** |cos| of the angle between the text's direction and the side from `a` to `b`. */
function alignment({ ux, uy }: Direction, a: Point, b: Point): number {
  return Math.abs(ux * (b[0] - a[0]) + uy * (b[1] - a[1])) / (distance(a, b) || 1);
}

function distance([ax, ay]: Point, [bx, by]: Point): number {
  return Math.hypot(bx - ax, by - ay);
}
