import { type Matrix3, project } from './homography.ts';

/**
 * Draws an RGBA layer onto an RGB image of the same size through a homography, by inverse mapping:
 * each output pixel looks up where it came from in the layer and samples it bilinearly (libvips
 * through sharp offers only affine transforms). Colours are weighted by their alpha while
 * sampling, so the transparent pixels around the card do not darken its edges.
 */

export type RasterSize = { width: number; height: number };

/**
 * In place: `base` (RGB) gets `layer` (RGBA) drawn over it, the layer moved by `forward` (layer
 * pixel → image pixel; pixel centres at +0.5). Only the image of the layer's opaque part is visited.
 */
export function drawWarped(base: Buffer, layer: Buffer, size: RasterSize, forward: Matrix3, inverse: Matrix3): void {
  const { width, height } = size;
  if (base.length !== width * height * 3 || layer.length !== width * height * 4) {
    throw new Error(`drawWarped needs RGB and RGBA buffers of ${width}×${height}`);
  }
  const opaque = opaqueBox(layer, size);
  if (!opaque) return;
  const region = imageBox(forward, opaque, size);
  if (!region) return;
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8] = inverse;
  for (let y = region.top; y < region.bottom; y++) {
    const py = y + 0.5;
    for (let x = region.left; x < region.right; x++) {
      const px = x + 0.5;
      const w = m6 * px + m7 * py + m8;
      if (w <= 1e-9) continue;
      const sx = (m0 * px + m1 * py + m2) / w - 0.5;
      const sy = (m3 * px + m4 * py + m5) / w - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= width || y0 >= height) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      let alpha = 0;
      let red = 0;
      let green = 0;
      let blue = 0;
      for (let k = 0; k < 4; k++) {
        const xx = x0 + (k & 1);
        const yy = y0 + (k >> 1);
        if (xx < 0 || yy < 0 || xx >= width || yy >= height) continue;
        const weight = ((k & 1) === 1 ? fx : 1 - fx) * (k >> 1 === 1 ? fy : 1 - fy);
        const at = (yy * width + xx) * 4;
        const a = weight * (layer[at + 3] as number);
        if (a === 0) continue;
        alpha += a;
        red += a * (layer[at] as number);
        green += a * (layer[at + 1] as number);
        blue += a * (layer[at + 2] as number);
      }
      if (alpha <= 0) continue;
      const cover = alpha / 255;
      const out = (y * width + x) * 3;
      base[out] = Math.round((red / alpha) * cover + (base[out] as number) * (1 - cover));
      base[out + 1] = Math.round((green / alpha) * cover + (base[out + 1] as number) * (1 - cover));
      base[out + 2] = Math.round((blue / alpha) * cover + (base[out + 2] as number) * (1 - cover));
    }
  }
}

type Box = { left: number; top: number; right: number; bottom: number };

/** The bounding box of the layer's pixels with any alpha, or null when it is all transparent. */
function opaqueBox(layer: Buffer, { width, height }: RasterSize): Box | null {
  let left = width;
  let top = height;
  let right = -1;
  let bottom = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (layer[(y * width + x) * 4 + 3] === 0) continue;
      if (x < left) left = x;
      if (x > right) right = x;
      if (y < top) top = y;
      bottom = y;
    }
  }
  return right < 0 ? null : { left, top, right: right + 1, bottom: bottom + 1 };
}

/** Where the box lands in the image (a homography keeps a quadrilateral's hull), clipped to it, with a pixel to spare. */
function imageBox(forward: Matrix3, box: Box, { width, height }: RasterSize): Box | null {
  const corners = [
    project(forward, box.left, box.top),
    project(forward, box.right, box.top),
    project(forward, box.right, box.bottom),
    project(forward, box.left, box.bottom),
  ];
  // A corner behind the camera: visit the whole image rather than guess.
  if (corners.some((corner) => corner === null)) return { left: 0, top: 0, right: width, bottom: height };
  const xs = corners.map((corner) => (corner as [number, number])[0]);
  const ys = corners.map((corner) => (corner as [number, number])[1]);
  const region = {
    left: Math.max(0, Math.floor(Math.min(...xs)) - 1),
    top: Math.max(0, Math.floor(Math.min(...ys)) - 1),
    right: Math.min(width, Math.ceil(Math.max(...xs)) + 1),
    bottom: Math.min(height, Math.ceil(Math.max(...ys)) + 1),
  };
  return region.left < region.right && region.top < region.bottom ? region : null;
}
