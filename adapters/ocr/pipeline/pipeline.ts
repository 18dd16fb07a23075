import type { OcrResult } from '../../../domain/ocrResult.ts';
import type { LoadedImage } from '../input/image.ts';
import type { Models } from '../models/models.ts';
import { type QuarterTurn, type Raster, rotateRaster } from '../raster.ts';
import { upsideDownProbabilities } from './classify.ts';
import type { CtcDecoder } from './ctc.ts';
import { type DetectOptions, detectText } from './detect.ts';
import { findRotation, type OrientationOptions } from './orientation.ts';
import { colourfulness, measureQuality } from './quality.ts';
import { orderLines, type ReadingOrderOptions, type RecognizedRegion, type Rect } from './readingOrder.ts';
import { type RecognizeOptions, type RecognizeTimings, recognizeBoxes } from './recognize.ts';
import { axisAligned, boundingRect, isElongated, readingForward, type TextBox, turnedHalf } from './textBox.ts';
import type { Timings } from './timings.ts';

/**
 * One decoded image through the networks: detect, settle the orientation, recognise, put the
 * lines in reading order and measure the image. Device choice and fallback live in engine/engine.ts.
 */
export type PipelineSettings = {
  detection: DetectOptions;
  recognition: RecognizeOptions;
  orientation: OrientationOptions;
  readingOrder: ReadingOrderOptions;
  /** Regions read with a lower confidence than this are dropped (PaddleOCR's drop_score). */
  dropScore: number;
};

/** Schema limits of OcrResult. */
const MAX_LINES = 2000;
const MAX_LINE_LENGTH = 2000;
// The OCR result's schema takes at most this many second choices per line.
const MAX_ALTERNATIVES = 200;

export async function runPipeline(
  models: Models,
  decoder: CtcDecoder,
  image: LoadedImage,
  settings: PipelineSettings,
  signal: AbortSignal,
  timings: Timings,
): Promise<OcrResult> {
  const time = async <T>(stage: string, work: () => Promise<T>): Promise<T> => {
    signal.throwIfAborted();
    const started = performance.now();
    try {
      return await work();
    } finally {
      timings[stage] = (timings[stage] ?? 0) + performance.now() - started;
    }
  };
  const read = (raster: Raster, boxes: readonly TextBox[]) =>
    recognizeBoxes(models.recognition, decoder, raster, boxes, settings.recognition, signal);

  let raster = image.raster;
  // Measured while the detector runs, whose two threads leave part of the CPU idle, rather than
  // beside recognition, which keeps every core busy. The measures are taken on the upright page,
  // so a page found turned is measured again.
  const measure = (page: Raster) => {
    const started = performance.now();
    const measured = measureQuality(page).finally(() => {
      timings.quality = performance.now() - started;
    });
    measured.catch(() => {}); // awaited below; avoid an unhandled rejection if a later stage throws first
    return measured;
  };
  let quality = measure(raster);
  let boxes = await time('detect', () => detectText(models.detection, raster, settings.detection));

  const rotation = await time('orientation', () =>
    findRotation(
      raster,
      boxes,
      { upsideDown: (at, sample) => upsideDownProbabilities(models.classifier, at, sample), read },
      settings.orientation,
    ),
  );
  if (rotation === 90 || rotation === 270) {
    // Undo the turn and detect again: the detector is more reliable on upright text.
    raster = rotateRaster(raster, (360 - rotation) as QuarterTurn);
    const upright = raster;
    boxes = await time('detect', () => detectText(models.detection, upright, settings.detection));
  } else if (rotation === 180) {
    const { width, height } = raster;
    boxes = boxes.map((box) => turnedHalf(box, width, height));
    raster = rotateRaster(raster, 180);
  }
  // On an upright page anything that is not clearly a line (a single letter, a short number) is
  // read horizontally, whatever axis its blob happened to have.
  boxes = boxes.map((box) => (isElongated(box) ? readingForward(box) : axisAligned(box)));

  const upright = raster;
  if (rotation !== 0) quality = measure(upright);

  signal.throwIfAborted();
  const recognitionTimings: RecognizeTimings = { crop: 0, inference: 0, decode: 0 };
  const readings = await recognizeBoxes(
    models.recognition,
    decoder,
    upright,
    boxes,
    settings.recognition,
    signal,
    recognitionTimings,
  );
  timings.crop = recognitionTimings.crop;
  timings.recognize = recognitionTimings.inference;
  timings.ctc = recognitionTimings.decode;

  // Boxes refer to the upright image at its full resolution, not to the downscaled raster.
  const swapped = rotation === 90 || rotation === 270;
  const width = swapped ? image.height : image.width;
  const height = swapped ? image.width : image.height;
  const scaleX = width / upright.width;
  const scaleY = height / upright.height;
  const regions: RecognizedRegion[] = [];
  readings.forEach((reading, index) => {
    if (reading.text.length === 0 || reading.confidence < settings.dropScore) return;
    const [x, y, w, h] = boundingRect(boxes[index] as TextBox);
    const left = Math.max(0, x);
    const top = Math.max(0, y);
    const right = Math.min(upright.width, x + w);
    const bottom = Math.min(upright.height, y + h);
    if (right <= left || bottom <= top) return;
    const box = boxes[index] as TextBox;
    regions.push({
      text: reading.text,
      confidence: reading.confidence,
      chars: reading.chars,
      alternatives: reading.alternatives,
      rect: [left * scaleX, top * scaleY, (right - left) * scaleX, (bottom - top) * scaleY],
      centre: [box.cx * scaleX, box.cy * scaleY],
      thickness: box.thickness * scaleY,
    });
  });
  const lines = orderLines(regions, settings.readingOrder, pageSkew(boxes))
    .slice(0, MAX_LINES)
    .map((line) => ({
      text: line.text.slice(0, MAX_LINE_LENGTH),
      confidence: Math.min(1, Math.max(0, line.confidence)),
      // Three decimals are all the policy compares; they keep the stored result small.
      ...(line.chars
        ? { chars: line.chars.slice(0, MAX_LINE_LENGTH).map((value) => Math.round(value * 1000) / 1000) }
        : {}),
      ...(line.alternatives
        ? {
            alternatives: line.alternatives
              .filter(([index]) => index < MAX_LINE_LENGTH)
              .slice(0, MAX_ALTERNATIVES)
              .map(([index, character, value]): [number, string, number] => [
                index,
                character,
                Math.round(value * 1000) / 1000,
              ]),
          }
        : {}),
      box: line.box.map((value) => Math.round(value)) as Rect,
    }));

  const { sharpness, brightness } = await quality;
  return {
    text: lines.map((line) => line.text).join('\n'),
    lines,
    rotation,
    quality: {
      width,
      height,
      sharpness,
      brightness,
      textCoverage: textCoverage(lines, width, height),
      colourfulness: Math.round(colourfulness(upright, textArea(lines, scaleX, scaleY)) * 10) / 10,
    },
  };
}

/** Share of the frame inside the bounding box of all read text. */
function textCoverage(lines: readonly { box: Rect }[], width: number, height: number): number {
  if (lines.length === 0) return 0;
  const left = Math.max(0, Math.min(...lines.map((line) => line.box[0])));
  const top = Math.max(0, Math.min(...lines.map((line) => line.box[1])));
  const right = Math.min(width, Math.max(...lines.map((line) => line.box[0] + line.box[2])));
  const bottom = Math.min(height, Math.max(...lines.map((line) => line.box[1] + line.box[3])));
  const covered = Math.max(0, right - left) * Math.max(0, bottom - top);
  return Math.min(1, covered / (width * height));
}

/** The bounding box of the lines, in the pixels of the raster they were read on (`scale`: its size to the image's). */
function textArea(lines: readonly { box: Rect }[], scaleX: number, scaleY: number): Rect {
  if (lines.length === 0) return [0, 0, 0, 0];
  const left = Math.min(...lines.map((line) => line.box[0]));
  const top = Math.min(...lines.map((line) => line.box[1]));
  const right = Math.max(...lines.map((line) => line.box[0] + line.box[2]));
  const bottom = Math.max(...lines.map((line) => line.box[1] + line.box[3]));
  return [left / scaleX, top / scaleY, (right - left) / scaleX, (bottom - top) / scaleY];
}

/** The page's text slope (dy/dx): the median over the clearly horizontal lines. */
function pageSkew(boxes: readonly TextBox[]): number {
  const slopes = boxes
    .filter((box) => isElongated(box) && box.ux > 0.9)
    .map((box) => box.uy / box.ux)
    .sort((a, b) => a - b);
  return slopes[Math.floor(slopes.length / 2)] ?? 0;
}
