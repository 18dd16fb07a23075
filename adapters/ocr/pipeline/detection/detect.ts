import ort from 'onnxruntime-node';
import sharp from 'sharp';
import { type ModelSession, runModel } from '../../models/models.ts';
import type { Raster } from '../../raster.ts';
import { type DbOptions, DEFAULT_DB_OPTIONS, findTextBoxes } from './dbPostprocess.ts';
import type { TextBox } from './textBox.ts';

/**
 * PP-OCRv4 DB text detection. The image is scaled (keeping its aspect) so its long side is at most
 * `side`, padded to multiples of 32 (the network's stride), normalised the way PaddleOCR's
 * NormalizeImage does, and the probability map is turned into boxes in raster coordinates.
 */
export type DetectOptions = DbOptions & {
  /**
   * Long side of the detector's input. 864 read as well as 960 with a fifth fewer pixels (300
   * generated cards, int8: 3940 against 3938 of 3960 fields, 12 read right only at 864 and 10 only
   * at 960; fp32: 3935 against 3936; the 6 specimens the same either way) and took about 10 ms
   * less a card here; 736 and 640 lost small or tilted cards.
   */
  side: number;
};

export const DEFAULT_DETECT_OPTIONS: DetectOptions = { ...DEFAULT_DB_OPTIONS, side: 864 };

// ImageNet statistics, applied by PaddleOCR to the image as OpenCV loads it: B, G, R order.
const MEAN_BGR = [0.485, 0.456, 0.406] as const;
const STD_BGR = [0.229, 0.224, 0.225] as const;

/** `enlarge`: how much a small image may be scaled up towards `side` (1: never). */
export async function detectText(
  session: ModelSession,
  image: Raster,
  options: DetectOptions = DEFAULT_DETECT_OPTIONS,
  enlarge = 1,
): Promise<TextBox[]> {
  const scale = Math.min(Math.max(1, enlarge), options.side / Math.max(image.width, image.height));
  const width = Math.max(1, Math.round(image.width * scale));
  const height = Math.max(1, Math.round(image.height * scale));
  const resized = scale !== 1 ? await resizeRaster(image, width, height) : image;

  const paddedWidth = Math.max(32, Math.ceil(width / 32) * 32);
  const paddedHeight = Math.max(32, Math.ceil(height / 32) * 32);
  const input = toDetectionTensor(resized, paddedWidth, paddedHeight);

  const output = await runModel(session, input);
  const map = output.data as Float32Array;
  const boxes = findTextBoxes(map, paddedWidth, width, height, options);

  // Back to raster coordinates. The two factors differ by rounding only; scaling the axis vectors
  // by them keeps rotated boxes exact.
  const fx = image.width / width;
  const fy = image.height / height;
  return boxes.map((box) => {
    const alongX = box.ux * fx;
    const alongY = box.uy * fy;
    const along = Math.hypot(alongX, alongY);
    const across = Math.hypot(box.uy * fx, box.ux * fy);
    return {
      cx: box.cx * fx,
      cy: box.cy * fy,
      ux: alongX / along,
      uy: alongY / along,
      length: box.length * along,
      thickness: box.thickness * across,
      score: box.score,
    };
  });
}

export async function resizeRaster(image: Raster, width: number, height: number): Promise<Raster> {
  const { data, info } = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** A copy of the `[x, y, width, height]` part of `image` (whole pixels, inside the image). */
export function cropRaster(image: Raster, [x, y, width, height]: readonly [number, number, number, number]): Raster {
  const out = new Uint8Array(width * height * 3);
  for (let row = 0; row < height; row++) {
    const start = ((y + row) * image.width + x) * 3;
    out.set(image.data.subarray(start, start + width * 3), row * width * 3);
  }
  return { data: out, width, height };
}

/** NCHW float tensor, BGR planes, zero (the mean colour) in the padding. */
function toDetectionTensor(image: Raster, paddedWidth: number, paddedHeight: number): ort.Tensor {
  const plane = paddedWidth * paddedHeight;
  const tensor = new Float32Array(3 * plane);
  const { data, width, height } = image;
  // Per channel: (value / 255 - mean) / std  ==  value * a + b.
  const aB = 1 / (255 * STD_BGR[0]);
  const bB = -MEAN_BGR[0] / STD_BGR[0];
  const aG = 1 / (255 * STD_BGR[1]);
  const bG = -MEAN_BGR[1] / STD_BGR[1];
  const aR = 1 / (255 * STD_BGR[2]);
  const bR = -MEAN_BGR[2] / STD_BGR[2];
  for (let y = 0; y < height; y++) {
    let src = y * width * 3;
    let dst = y * paddedWidth;
    for (let x = 0; x < width; x++, src += 3, dst++) {
      tensor[dst] = (data[src + 2] as number) * aB + bB;
      tensor[plane + dst] = (data[src + 1] as number) * aG + bG;
      tensor[2 * plane + dst] = (data[src] as number) * aR + bR;
    }
  }
  return new ort.Tensor('float32', tensor, [1, 3, paddedHeight, paddedWidth]);
}
