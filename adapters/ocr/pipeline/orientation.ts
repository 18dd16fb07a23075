import type { QuarterTurn, Raster } from '../raster.ts';
import { isElongated, isVertical, reversed, type TextBox } from './detection/textBox.ts';
import type { DecodedText } from './recognition/ctc.ts';

/**
 * Finds how far (clockwise, in quarter turns) the page content was turned, from the boxes the
 * detector found on the image as it came in:
 *
 * - Text lines are long and thin. When most of the line length runs vertically, the page lies
 *   on its side (90° or 270°); otherwise it is upright or upside down (0° or 180°).
 * - Which of the two: the longest lines are read along their axis in one direction and the angle
 *   classifier says whether they look upside down. Detection orients vertical lines to read
 *   downwards, which is how text turned 90° clockwise reads, so "upside down" there means 270°.
 * - When the classifier's votes are split, the sample lines are recognised both ways round and
 *   the direction that reads with the higher confidence wins.
 */
export type OrientationOptions = {
  /** Lines sampled for the vote. */
  samples: number;
  /** Mean upside-down probability within 0.5 ± this is "split" and settled by recognition. */
  undecided: number;
};

export const DEFAULT_ORIENTATION_OPTIONS: OrientationOptions = { samples: 6, undecided: 0.25 };

export type OrientationModels = {
  upsideDown(image: Raster, boxes: readonly TextBox[]): Promise<number[]>;
  read(image: Raster, boxes: readonly TextBox[]): Promise<DecodedText[]>;
};

export async function findRotation(
  image: Raster,
  boxes: readonly TextBox[],
  models: OrientationModels,
  options: OrientationOptions = DEFAULT_ORIENTATION_OPTIONS,
): Promise<QuarterTurn> {
  const lines = boxes.filter(isElongated);
  if (lines.length === 0) return 0;
  let verticalLength = 0;
  let horizontalLength = 0;
  for (const line of lines) {
    if (isVertical(line)) verticalLength += line.length;
    else horizontalLength += line.length;
  }
  const sideways = verticalLength > horizontalLength;
  const sample = lines
    .filter((line) => isVertical(line) === sideways)
    .sort((a, b) => b.length - a.length)
    .slice(0, options.samples)
    .map((line) => readingForward(line, sideways));

  const votes = await models.upsideDown(image, sample);
  const upsideDown = mean(votes);
  let flipped = upsideDown > 0.5;
  if (Math.abs(upsideDown - 0.5) < options.undecided) {
    const [forward, backward] = await Promise.all([
      models.read(image, sample),
      models.read(image, sample.map(reversed)),
    ]);
    flipped = meanConfidence(backward) > meanConfidence(forward);
  }
  if (sideways) return flipped ? 270 : 90;
  return flipped ? 180 : 0;
}

/** The box pointing right (upright page) or down (page on its side), whatever detection said. */
function readingForward(box: TextBox, sideways: boolean): TextBox {
  const forward = sideways ? box.uy >= 0 : box.ux >= 0;
  return forward ? box : reversed(box);
}

const mean = (values: readonly number[]) =>
  values.length === 0 ? 0 : values.reduce((total, value) => total + value, 0) / values.length;

/** Mean confidence weighted by text length, so an empty reading counts against its direction. */
function meanConfidence(readings: readonly DecodedText[]): number {
  let weighted = 0;
  let characters = 0;
  for (const reading of readings) {
    weighted += reading.confidence * Math.max(1, reading.text.length);
    characters += Math.max(1, reading.text.length);
  }
  return characters === 0 ? 0 : weighted / characters;
}
