import sharp from 'sharp';
import type { Raster } from '../raster.ts';

/**
 * Image-quality measures for the policy's blur and exposure checks. They are taken on a grey copy
 * scaled to a fixed width so the numbers compare across uploads of different resolutions.
 */
export const QUALITY_WIDTH = 640;

export async function measureQuality(upright: Raster): Promise<{ sharpness: number; brightness: number }> {
  const { data, info } = await sharp(upright.data, {
    raw: { width: upright.width, height: upright.height, channels: 3 },
  })
    .resize({ width: QUALITY_WIDTH })
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
