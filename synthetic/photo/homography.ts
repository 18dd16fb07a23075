import type { Perspective } from './treatments.ts';

/**
 * The projective maths of a card photographed at an angle (pure). A homography is a row-major
 * 3×3 matrix acting on (x, y, 1); the tilt is built from the camera's geometry (a turn of the
 * card's plane, then a pinhole projection), so no system of equations needs solving.
 */

export type Matrix3 = readonly [number, number, number, number, number, number, number, number, number];

export const IDENTITY: Matrix3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function multiply(a: Matrix3, b: Matrix3): Matrix3 {
  const [a0, a1, a2, a3, a4, a5, a6, a7, a8] = a;
  const [b0, b1, b2, b3, b4, b5, b6, b7, b8] = b;
  return [
    a0 * b0 + a1 * b3 + a2 * b6,
    a0 * b1 + a1 * b4 + a2 * b7,
    a0 * b2 + a1 * b5 + a2 * b8,
    a3 * b0 + a4 * b3 + a5 * b6,
    a3 * b1 + a4 * b4 + a5 * b7,
    a3 * b2 + a4 * b5 + a5 * b8,
    a6 * b0 + a7 * b3 + a8 * b6,
    a6 * b1 + a7 * b4 + a8 * b7,
    a6 * b2 + a7 * b5 + a8 * b8,
  ];
}

export function invert(m: Matrix3): Matrix3 {
  const [a, b, c, d, e, f, g, h, i] = m;
  const A = e * i - f * h;
  const B = -(d * i - f * g);
  const C = d * h - e * g;
  const det = a * A + b * B + c * C;
  if (Math.abs(det) < 1e-12) throw new Error('the homography is singular');
  return [
    A / det,
    -(b * i - c * h) / det,
    (b * f - c * e) / det,
    B / det,
    (a * i - c * g) / det,
    -(a * f - c * d) / det,
    C / det,
    -(a * h - b * g) / det,
    (a * e - b * d) / det,
  ];
}

/** The image of (x, y); null for a point on or behind the camera's plane. */
export function project(m: Matrix3, x: number, y: number): [number, number] | null {
  const w = m[6] * x + m[7] * y + m[8];
  if (w <= 1e-9) return null;
  return [(m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w];
}

export const translate = (x: number, y: number): Matrix3 => [1, 0, x, 0, 1, y, 0, 0, 1];
export const scale = (s: number): Matrix3 => [s, 0, 0, 0, s, 0, 0, 0, 1];
/** Degrees clockwise on screen (y down), as SVG's rotate(). */
export function rotate(degrees: number): Matrix3 {
  const r = (degrees * Math.PI) / 180;
  return [Math.cos(r), -Math.sin(r), 0, Math.sin(r), Math.cos(r), 0, 0, 0, 1];
}

/**
 * Card-centred coordinates of a flat card → those of the same card turned by `pitch` and `yaw` and
 * seen by a pinhole camera `distance` card widths away, focused so that the centre keeps its scale;
 * then shrunk until the tilted card fits within the flat card's extent, so that it stays inside
 * the box the variation recorded (the near edge would otherwise grow past it).
 */
export function tiltHomography(perspective: Perspective, cardWidth: number, cardHeight: number): Matrix3 {
  const p = (perspective.pitch * Math.PI) / 180;
  const q = (perspective.yaw * Math.PI) / 180;
  const depth = perspective.distance * cardWidth;
  // Turn (x, y, 0) about the x axis (top edge away for p > 0), then about the y axis (right edge
  // away for q > 0): X = x cos q + y sin p sin q, Y = y cos p, Z = x sin q − y sin p cos q; the
  // camera divides by depth + Z, with a focal length of `depth`.
  const tilt: Matrix3 = [
    depth * Math.cos(q),
    depth * Math.sin(p) * Math.sin(q),
    0,
    0,
    depth * Math.cos(p),
    0,
    Math.sin(q),
    -Math.sin(p) * Math.cos(q),
    depth,
  ];
  const [halfWidth, halfHeight] = [cardWidth / 2, cardHeight / 2];
  let reach = 1;
  for (const [x, y] of [
    [-halfWidth, -halfHeight],
    [halfWidth, -halfHeight],
    [halfWidth, halfHeight],
    [-halfWidth, halfHeight],
  ] as const) {
    const corner = project(tilt, x, y);
    if (!corner) throw new Error('the card reaches behind the camera');
    reach = Math.max(reach, Math.abs(corner[0]) / halfWidth, Math.abs(corner[1]) / halfHeight);
  }
  return multiply(scale(1 / reach), tilt);
}
