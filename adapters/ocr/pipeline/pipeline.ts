import type { OcrResult } from '../../../domain/ocrResult.ts';
import type { LoadedImage } from '../input/image.ts';
import type { Models } from '../models/models.ts';
import { type QuarterTurn, type Raster, rotateRaster } from '../raster.ts';
import { upsideDownProbabilities } from './classify.ts';
import { type CardRegionOptions, findCardRegion, widenedRegion } from './detection/cardRegion.ts';
import { cropRaster, type DetectOptions, detectText } from './detection/detect.ts';
import {
  axisAligned,
  boundingRect,
  isElongated,
  readingForward,
  type TextBox,
  turnedHalf,
} from './detection/textBox.ts';
import { findRotation, type OrientationOptions } from './orientation.ts';
import { colourfulness, measureQuality } from './quality.ts';
import { orderLines, type ReadingOrderOptions, type RecognizedRegion, type Rect } from './readingOrder.ts';
import type { CtcDecoder } from './recognition/ctc.ts';
import { type RecognizeOptions, type RecognizeTimings, recognizeBoxes } from './recognition/recognize.ts';
import { warpBilinear } from './rectify/homography.ts';
import { boxesWithin, findRectification, placement, type RectifyOptions, textReachesSide } from './rectify/rectify.ts';
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
  /** Finding a card small in the frame and reading it again cut out; null reads the frame as it is. */
  card: CardSettings | null;
};

export type CardSettings = {
  region: CardRegionOptions;
  /**
   * The cut-out card is scaled up to at most this factor for detection, towards `side`: the
   * detector misses text a few pixels high that it finds at a larger size.
   */
  enlarge: number;
  /** Long side of the detector's input for the cut-out card (the frame's is `detection.side`). */
  side: number;
  /** Undoing the perspective of a card photographed at an angle; null reads it as it was taken. */
  rectify: RectifyOptions | null;
};

/** Schema limits of OcrResult. */
const MAX_LINES = 2000;
const MAX_LINE_LENGTH = 2000;
// The OCR result's schema takes at most this many second choices per line.
const MAX_ALTERNATIVES = 200;
// …and at most this many digits-only readings of its numbers.
const MAX_NUMBER_READINGS = 8;

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

  const frame = image.raster;
  // Measured while the detector runs, whose two threads leave part of the CPU idle, rather than
  // beside recognition, which keeps every core busy. The measures are taken on the upright card,
  // so a card cut out of the frame or found turned is measured again.
  const measure = (page: Raster) => {
    const started = performance.now();
    const measured = measureQuality(page).finally(() => {
      timings.quality = performance.now() - started;
    });
    measured.catch(() => {}); // awaited below; avoid an unhandled rejection if a later stage throws first
    return measured;
  };
  let quality = measure(frame);
  let boxes = await time('detect', () => detectText(models.detection, frame, settings.detection));

  // A card small in a photo is cut out and detected again, scaled up: its text is then as large
  // for the detector as a card filling the frame. Recognition reads from the same pixels either way.
  let region = settings.card ? findCardRegion(boxes, frame.width, frame.height, settings.card.region) : null;
  let raster = frame;
  // How the raster being read is detected: the frame as it is, a cut-out card scaled up.
  let detecting = { options: settings.detection, enlarge: 1 };
  const cardDetecting = settings.card
    ? { options: { ...settings.detection, side: settings.card.side }, enlarge: settings.card.enlarge }
    : detecting;
  // A card photographed at an angle is drawn as seen square on (rectify.ts), its outline found
  // around the text the first look saw on it, and read from that drawing; where the look at the
  // drawing finds much less text than the first look saw there, or text running off it (a side
  // taken for the card's edge was not one), the card is read as it was taken.
  const rectify = settings.card?.rectify;
  const firstLook = boxes;
  const onCard = region ? boxesWithin(firstLook, region) : firstLook;
  const rectified = rectify
    ? await time('rectify', async () => {
        const found = findRectification(frame, onCard, rectify);
        return found && { ...found, card: warpBilinear(frame, found.toImage, found.width, found.height) };
      })
    : null;
  if (rectified) {
    const found = await time('detect', () =>
      detectText(models.detection, rectified.card, cardDetecting.options, cardDetecting.enlarge),
    );
    if (
      found.length >= Math.max(1, 0.8 * onCard.length) &&
      !textReachesSide(found, rectified.width, rectified.height)
    ) {
      raster = rectified.card;
      boxes = found;
      detecting = cardDetecting;
      // Measured on the photo's own pixels: those the card would have been cut out of.
      if (region) quality = measure(cropRaster(frame, region));
      region = placement(rectified, frame.width, frame.height);
    }
  }
  if (region && settings.card && raster === frame) {
    const detectIn = async (part: Rect) => {
      const card = cropRaster(frame, part);
      return {
        card,
        boxes: await time('detect', () =>
          detectText(models.detection, card, cardDetecting.options, cardDetecting.enlarge),
        ),
      };
    };
    let found = await detectIn(region);
    // Once, where the card's text runs on past the cut: the first look missed part of it.
    const wider = widenedRegion(region, found.boxes, frame.width, frame.height, settings.card.region);
    if (wider) {
      region = wider;
      found = await detectIn(wider);
    }
    // A cut-out in which the closer look finds less text than the first look saw there was not
    // the card after all (a patch of patterned table, say): the frame is read as it is.
    const seen = boxesWithin(boxes, region).length;
    if (found.boxes.length > 0 && found.boxes.length >= seen / 2) {
      raster = found.card;
      boxes = found.boxes;
      detecting = cardDetecting;
      quality = measure(found.card);
    } else region = null;
  }

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
    boxes = await time('detect', () => detectText(models.detection, upright, detecting.options, detecting.enlarge));
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

  // Boxes refer to the upright image at its full resolution, not to the downscaled (and perhaps
  // cut-out) raster they were found on.
  const swapped = rotation === 90 || rotation === 270;
  const width = swapped ? image.height : image.width;
  const height = swapped ? image.width : image.height;
  const uprightFrameWidth = swapped ? frame.height : frame.width;
  const uprightFrameHeight = swapped ? frame.width : frame.height;
  const scaleX = width / uprightFrameWidth;
  const scaleY = height / uprightFrameHeight;
  const [offsetX, offsetY] = region ? uprightOffset(region, frame, rotation) : [0, 0];
  const regions: RecognizedRegion[] = [];
  let textLeft = Number.POSITIVE_INFINITY;
  let textTop = Number.POSITIVE_INFINITY;
  let textRight = Number.NEGATIVE_INFINITY;
  let textBottom = Number.NEGATIVE_INFINITY;
  readings.forEach((reading, index) => {
    if (reading.text.length === 0 || reading.confidence < settings.dropScore) return;
    const [x, y, w, h] = boundingRect(boxes[index] as TextBox);
    const left = Math.max(0, x);
    const top = Math.max(0, y);
    const right = Math.min(upright.width, x + w);
    const bottom = Math.min(upright.height, y + h);
    if (right <= left || bottom <= top) return;
    textLeft = Math.min(textLeft, left);
    textTop = Math.min(textTop, top);
    textRight = Math.max(textRight, right);
    textBottom = Math.max(textBottom, bottom);
    const box = boxes[index] as TextBox;
    regions.push({
      text: reading.text,
      confidence: reading.confidence,
      chars: reading.chars,
      alternatives: reading.alternatives,
      numbers: reading.numbers,
      rect: [(left + offsetX) * scaleX, (top + offsetY) * scaleY, (right - left) * scaleX, (bottom - top) * scaleY],
      centre: [(box.cx + offsetX) * scaleX, (box.cy + offsetY) * scaleY],
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
      ...(line.numbers
        ? {
            numbers: line.numbers
              .filter((number) => number.end <= MAX_LINE_LENGTH)
              .slice(0, MAX_NUMBER_READINGS)
              .map((number) => ({ ...number, chars: number.chars.map((value) => Math.round(value * 1000) / 1000) })),
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
      colourfulness:
        Math.round(
          colourfulness(
            upright,
            regions.length > 0 ? [textLeft, textTop, textRight - textLeft, textBottom - textTop] : [0, 0, 0, 0],
          ) * 10,
        ) / 10,
      ...(regions.length > 0 ? { textWidth: Math.round((textRight - textLeft) * scaleX) } : {}),
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

/** The page's text slope (dy/dx): the median over the clearly horizontal lines. */
function pageSkew(boxes: readonly TextBox[]): number {
  const slopes = boxes
    .filter((box) => isElongated(box) && box.ux > 0.9)
    .map((box) => box.uy / box.ux)
    .sort((a, b) => a - b);
  return slopes[Math.floor(slopes.length / 2)] ?? 0;
}

/**
 * Where the top-left corner of the cut-out `region` of `frame` lands once the frame is turned
 * upright (`rotation` undone): the upright cut-out is that part of the upright frame.
 */
function uprightOffset(region: Rect, frame: Raster, rotation: QuarterTurn): [number, number] {
  const [x, y, w, h] = region;
  const turn = ((360 - rotation) % 360) as QuarterTurn;
  const corner = (px: number, py: number): [number, number] => {
    // Clockwise turns of a frame.width × frame.height image, in continuous coordinates.
    if (turn === 90) return [frame.height - py, px];
    if (turn === 180) return [frame.width - px, frame.height - py];
    if (turn === 270) return [py, frame.width - px];
    return [px, py];
  };
  const [ax, ay] = corner(x, y);
  const [bx, by] = corner(x + w, y + h);
  return [Math.min(ax, bx), Math.min(ay, by)];
}
