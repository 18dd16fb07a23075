import sharp, { type Metadata } from 'sharp';
import { ocrError } from '../errors.ts';
import type { Raster } from '../raster.ts';
import { type PdfRenderWatch, renderPdfFirstPage } from './pdf.ts';

/**
 * Turns uploaded bytes into an upright RGB raster the rest of the pipeline reads from.
 *
 * Untrusted input: the pixel count is checked from the header before anything is decoded, so a
 * small file that declares a huge image (a decompression bomb) is refused without allocating it.
 */

export type LoadedImage = {
  /** Upright (EXIF applied) RGB, downscaled so its long side is at most `maxSide`. */
  raster: Raster;
  /** Size of the upright image before downscaling: what image-quality checks and boxes refer to. */
  width: number;
  height: number;
  source: 'jpeg' | 'png' | 'webp' | 'pdf';
};

export type LoadImageOptions = PdfRenderWatch & {
  /** Refuse images (and PDF pages or their embedded images) with more pixels than this. */
  maxPixels: number;
  /** Long side of the working raster; larger images are downscaled while decoding. */
  maxSide: number;
};

const DECODABLE = new Set(['jpeg', 'png', 'webp']);

/**
 * The content decides the format, not the declared mime type: a PDF is recognised by its header,
 * anything else must be a JPEG, PNG or WebP by its own signature.
 */
export async function loadImage(bytes: Uint8Array, options: LoadImageOptions): Promise<LoadedImage> {
  if (isPdf(bytes)) {
    const raster = await renderPdfFirstPage(bytes, options.maxPixels, options);
    const fitted = raster.width > options.maxSide || raster.height > options.maxSide;
    return {
      raster: fitted ? await downscale(raster, options.maxSide) : raster,
      width: raster.width,
      height: raster.height,
      source: 'pdf',
    };
  }

  let metadata: Metadata;
  try {
    // Reads the header only; no pixels are decoded here.
    metadata = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw ocrError('image_unreadable', 'the upload is not a readable image', error);
  }
  const format = metadata.format;
  if (!format || !DECODABLE.has(format)) throw ocrError('image_unreadable', 'the image format is not supported');
  if (!(metadata.width > 0 && metadata.height > 0)) throw ocrError('image_unreadable', 'the image has no size');
  if (metadata.width * metadata.height > options.maxPixels) {
    throw ocrError('image_too_large', 'the image has more pixels than allowed');
  }

  try {
    const { data, info } = await sharp(bytes, {
      // A second guard inside libvips, in case the header lied or a later frame is larger.
      limitInputPixels: options.maxPixels,
      failOn: 'error',
    })
      .rotate() // honour EXIF orientation
      .resize({
        width: options.maxSide,
        height: options.maxSide,
        fit: 'inside',
        withoutEnlargement: true,
      })
      // Transparent areas of a PNG are paper, not ink.
      .flatten({ background: '#ffffff' })
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    const raster = {
      data: new Uint8Array(data.buffer, data.byteOffset, data.length),
      width: info.width,
      height: info.height,
    };
    const upright = metadata.autoOrient;
    return {
      raster: toRgb(raster, info.channels),
      width: upright.width,
      height: upright.height,
      source: format as LoadedImage['source'],
    };
  } catch (error) {
    if (error instanceof Error && /pixel limit/i.test(error.message)) {
      throw ocrError('image_too_large', 'the image has more pixels than allowed', error);
    }
    throw ocrError('image_unreadable', 'the image could not be decoded', error);
  }
}

function isPdf(bytes: Uint8Array): boolean {
  // The PDF header may follow a little junk; readers look in the first kilobyte.
  const head = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(bytes.length, 1024));
  return head.indexOf('%PDF-') !== -1;
}

async function downscale(raster: Raster, maxSide: number): Promise<Raster> {
  const { data, info } = await sharp(raster.data, { raw: { width: raster.width, height: raster.height, channels: 3 } })
    .resize({ width: maxSide, height: maxSide, fit: 'inside' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height };
}

/** libvips keeps grey images grey through `toColourspace('srgb')` in some versions; expand to RGB. */
function toRgb(raster: Raster, channels: number): Raster {
  if (channels === 3) return raster;
  const { data, width, height } = raster;
  const out = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < width * height; i++, j += 3) {
    const value = data[i * channels] as number;
    out[j] = value;
    out[j + 1] = channels >= 3 ? (data[i * channels + 1] as number) : value;
    out[j + 2] = channels >= 3 ? (data[i * channels + 2] as number) : value;
  }
  return { data: out, width, height };
}
