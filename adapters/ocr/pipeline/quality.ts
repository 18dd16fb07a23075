import sharp from 'sharp';
import type { Raster } from '../raster.ts';

/**
 * Image-quality measures for the policy's blur and exposure checks. They are taken on a grey copy
 * scaled down to a fixed width so the numbers compare across uploads of different resolutions.
 */
export const QUALITY_WIDTH = 640;

export async function measureQuality(upright: Raster): Promise<{ sharpness: number; brightness: number }> {
  const { data, info } = await sharp(upright.data, {
    raw: { width: upright.width, height: upright.height, channels: 3 },
  })
    // Never enlarged: interpolation would pass for blur on a small card cut out of a photo.
    .resize({ width: QUALITY_WIDTH, withoutEnlargement: true })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return greyStatistics(data, info.width, info.height, info.channels);
}

/** Mean grey level and variance of the 4-neighbour Laplacian (OpenCV's `Laplacian` with ksize 1). */
export function greyStatistics(grey: Uint8Array, width: number, height: number, channels = 1) {
  let total = 0;
  for (let i = 0; i < width * height; i++) total += grey[i * channels] as number;
  const brightness = total / (width * height);

  let sum = 0;
  let sumSquares = 0;
  let count = 0;
  for (let y = 1; y < height - 1; y++) {
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const laplacian =
        (grey[(i - 1) * channels] as number) +
        (grey[(i + 1) * channels] as number) +
        (grey[(i - width) * channels] as number) +
        (grey[(i + width) * channels] as number) -
        4 * (grey[i * channels] as number);
      sum += laplacian;
      sumSquares += laplacian * laplacian;
      count++;
    }
  }
  const mean = count > 0 ? sum / count : 0;
  const sharpness = count > 0 ? Math.max(0, sumSquares / count - mean * mean) : 0;
  return { sharpness, brightness: Math.min(255, Math.max(0, brightness)) };
}

/** Pixels sampled at most for colourfulness: enough for a stable mean and spread, cheap on any photo. */
const COLOUR_SAMPLES = 40_000;

/**
 * Hasler and Süsstrunk's colourfulness (2003) of `rect` of `raster`: the spread and mean of the
 * red–green and yellow–blue opponent channels. A greyscale scan or a photocopy measures near 0, a
 * KTP's light-blue ground 20 and more, a white NPWP in colour only a little above 0. Measured over
 * the card's text area only, so a photocopy photographed on a coloured table still measures grey.
 */
export function colourfulness(
  raster: Raster,
  rect: readonly [x: number, y: number, width: number, height: number],
): number {
  const left = Math.max(0, Math.floor(rect[0]));
  const top = Math.max(0, Math.floor(rect[1]));
  const right = Math.min(raster.width, Math.ceil(rect[0] + rect[2]));
  const bottom = Math.min(raster.height, Math.ceil(rect[1] + rect[3]));
  const area = Math.max(0, right - left) * Math.max(0, bottom - top);
  if (area === 0) return 0;
  const step = Math.max(1, Math.round(Math.sqrt(area / COLOUR_SAMPLES)));
  let n = 0;
  let sumRg = 0;
  let sumYb = 0;
  let squaresRg = 0;
  let squaresYb = 0;
  for (let y = top; y < bottom; y += step) {
    for (let x = left; x < right; x += step) {
      const i = (y * raster.width + x) * 3;
      const r = raster.data[i] as number;
      const g = raster.data[i + 1] as number;
      const b = raster.data[i + 2] as number;
      const rg = r - g;
      const yb = (r + g) / 2 - b;
      sumRg += rg;
      sumYb += yb;
      squaresRg += rg * rg;
      squaresYb += yb * yb;
      n++;
    }
  }
  const meanRg = sumRg / n;
  const meanYb = sumYb / n;
  const varianceRg = Math.max(0, squaresRg / n - meanRg * meanRg);
  const varianceYb = Math.max(0, squaresYb / n - meanYb * meanYb);
  return Math.sqrt(varianceRg + varianceYb) + 0.3 * Math.sqrt(meanRg * meanRg + meanYb * meanYb);
}
