import type { Raster } from '../../raster.ts';
import type { TextBox } from '../detection/textBox.ts';

/**
 * Cuts a (possibly rotated) box out of the raster straight into a recogniser/classifier input:
 * sampling, rotation, resizing and normalisation happen in one pass over the output pixels, with
 * no intermediate image. Bilinear sampling; when the box is shrunk by more than about 1.5× along
 * an axis, several samples per output pixel are averaged so thin strokes do not alias away.
 *
 * Output: BGR planes (the order PaddleOCR's models were trained on) normalised to
 * (value / 255 - 0.5) / 0.5, written into `target` at `offset` as a [3, outHeight, stride] block.
 * Columns from `outWidth` to `stride` are left untouched (the caller's zero padding).
 */
export function writeCrop(
  image: Raster,
  box: TextBox,
  outWidth: number,
  outHeight: number,
  target: Float32Array,
  offset: number,
  stride: number,
): void {
  const stepS = box.length / outWidth;
  const stepT = box.thickness / outHeight;
  const samplesS = Math.min(4, Math.max(1, Math.round(stepS)));
  const samplesT = Math.min(4, Math.max(1, Math.round(stepT)));
  if (samplesS === 1 && samplesT === 1) writeBilinear(image, box, outWidth, outHeight, target, offset, stride);
  else writeSupersampled(image, box, outWidth, outHeight, target, offset, stride, samplesS, samplesT);
}

/** Top-left corner of the box, in pixel-centre coordinates (hence -0.5). */
function topLeft(box: TextBox): [number, number] {
  const { ux, uy } = box;
  return [
    box.cx - (box.length / 2) * ux + (box.thickness / 2) * uy - 0.5,
    box.cy - (box.length / 2) * uy - (box.thickness / 2) * ux - 0.5,
  ];
}

/**
 * One bilinear sample per output pixel: the common case (ID-card text is usually enlarged to the
 * 48-pixel strip). Sample positions advance by constant steps, so the inner loop is a handful of
 * additions, multiplications and typed-array reads.
 */
function writeBilinear(
  image: Raster,
  box: TextBox,
  outWidth: number,
  outHeight: number,
  target: Float32Array,
  offset: number,
  stride: number,
): void {
  const { data, width, height } = image;
  const plane = outHeight * stride;
  const { ux, uy } = box;
  const stepS = box.length / outWidth;
  const stepT = box.thickness / outHeight;
  // Along the strip (s) and down it (t), in image pixels; v = (-uy, ux).
  const sx = stepS * ux;
  const sy = stepS * uy;
  const tx = -stepT * uy;
  const ty = stepT * ux;
  const [originX, originY] = topLeft(box);
  const maxX = width - 1;
  const maxY = height - 1;
  const rowBytes = width * 3;
  const scale = 1 / 127.5;

  for (let oy = 0; oy < outHeight; oy++) {
    let px = originX + (oy + 0.5) * tx + 0.5 * sx;
    let py = originY + (oy + 0.5) * ty + 0.5 * sy;
    let index = offset + oy * stride;
    for (let ox = 0; ox < outWidth; ox++, index++, px += sx, py += sy) {
      // Outside the image, repeat its edge.
      const x = Math.min(Math.max(px, 0), maxX);
      const y = Math.min(Math.max(py, 0), maxY);
      const x0 = x | 0;
      const y0 = y | 0;
      const fx = x - x0;
      const fy = y - y0;
      const p00 = y0 * rowBytes + x0 * 3;
      const p01 = x0 < maxX ? p00 + 3 : p00;
      const p10 = y0 < maxY ? p00 + rowBytes : p00;
      const p11 = p01 + (p10 - p00);
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const r =
        (data[p00] as number) * w00 +
        (data[p01] as number) * w01 +
        (data[p10] as number) * w10 +
        (data[p11] as number) * w11;
      const g =
        (data[p00 + 1] as number) * w00 +
        (data[p01 + 1] as number) * w01 +
        (data[p10 + 1] as number) * w10 +
        (data[p11 + 1] as number) * w11;
      const b =
        (data[p00 + 2] as number) * w00 +
        (data[p01 + 2] as number) * w01 +
        (data[p10 + 2] as number) * w10 +
        (data[p11 + 2] as number) * w11;
      target[index] = b * scale - 1;
      target[index + plane] = g * scale - 1;
      target[index + 2 * plane] = r * scale - 1;
    }
  }
}

/** Several bilinear samples per output pixel, averaged: for boxes shrunk by 1.5× or more. */
function writeSupersampled(
  image: Raster,
  box: TextBox,
  outWidth: number,
  outHeight: number,
  target: Float32Array,
  offset: number,
  stride: number,
  samplesS: number,
  samplesT: number,
): void {
  const { data, width, height } = image;
  const plane = outHeight * stride;
  const stepS = box.length / outWidth;
  const stepT = box.thickness / outHeight;
  const weight = 1 / (samplesS * samplesT * 127.5);
  const { ux, uy } = box;
  const [originX, originY] = topLeft(box);
  const maxX = width - 1;
  const maxY = height - 1;

  for (let oy = 0; oy < outHeight; oy++) {
    for (let ox = 0; ox < outWidth; ox++) {
      let b = 0;
      let g = 0;
      let r = 0;
      for (let j = 0; j < samplesT; j++) {
        const t = (oy + (j + 0.5) / samplesT) * stepT;
        for (let i = 0; i < samplesS; i++) {
          const s = (ox + (i + 0.5) / samplesS) * stepS;
          // position = origin + s·u + t·v, with v = (-uy, ux)
          const x = Math.min(Math.max(originX + s * ux - t * uy, 0), maxX);
          const y = Math.min(Math.max(originY + s * uy + t * ux, 0), maxY);
          const x0 = x | 0;
          const y0 = y | 0;
          const fx = x - x0;
          const fy = y - y0;
          const x1 = x0 < maxX ? x0 + 1 : x0;
          const y1 = y0 < maxY ? y0 + 1 : y0;
          const p00 = (y0 * width + x0) * 3;
          const p01 = (y0 * width + x1) * 3;
          const p10 = (y1 * width + x0) * 3;
          const p11 = (y1 * width + x1) * 3;
          const w00 = (1 - fx) * (1 - fy);
          const w01 = fx * (1 - fy);
          const w10 = (1 - fx) * fy;
          const w11 = fx * fy;
          r +=
            (data[p00] as number) * w00 +
            (data[p01] as number) * w01 +
            (data[p10] as number) * w10 +
            (data[p11] as number) * w11;
          g +=
            (data[p00 + 1] as number) * w00 +
            (data[p01 + 1] as number) * w01 +
            (data[p10 + 1] as number) * w10 +
            (data[p11 + 1] as number) * w11;
          b +=
            (data[p00 + 2] as number) * w00 +
            (data[p01 + 2] as number) * w01 +
            (data[p10 + 2] as number) * w10 +
            (data[p11 + 2] as number) * w11;
        }
      }
      const index = offset + oy * stride + ox;
      target[index] = b * weight - 1;
      target[index + plane] = g * weight - 1;
      target[index + 2 * plane] = r * weight - 1;
    }
  }
}
