import ort from 'onnxruntime-node';
import type { RecognitionLane } from '../../models/models.ts';
import type { Raster } from '../../raster.ts';
import type { TextBox } from '../detection/textBox.ts';
import { writeCrop } from './crop.ts';
import type { CtcDecoder, DecodedText } from './ctc.ts';

/**
 * PP-OCRv4 CRNN recognition. Each box becomes a 48-pixel-high strip whose width follows the box's
 * aspect (up to `maxWidth`; longer lines are squeezed). Lines are sorted by width and run in
 * batches of `batchSize`; a batch is as wide as its widest line and narrower lines are padded, so
 * grouping similar widths wastes the least compute. The batches are spread over the recognition
 * lanes (engine/recognitionLanes.ts), which run at the same time.
 */
export type RecognizeOptions = {
  /**
   * Lines per inference run. On the CPU batching buys nothing: 30 lines of a card one at a time
   * took the same wall time as pairs of similar width, and batches of four were slower (the
   * per-run overhead is small next to the work, and bigger activations fit the caches worse).
   * On a GPU one large batch amortises the launch and transfer costs.
   */
  batchSize: number;
  /** Widest strip, in pixels; the network reads 8 pixels per output step. */
  maxWidth: number;
  /** Narrowest input width: very short strips are padded to this. */
  minWidth: number;
  /**
   * Horizontal squeeze of the strips (1 keeps each box's aspect, as PaddleOCR does). Compute
   * grows with strip width. 0.9 read as well as 1 (300 generated cards: 3936 against 3934 of 3960
   * fields; the 6 specimens: 72 of 75 both) in a tenth less recognition; on rendered test cards 0.8
   * lost a few fields and 0.7 many.
   */
  widthScale: number;
};

export const REC_HEIGHT = 48;

export const DEFAULT_RECOGNIZE_OPTIONS: RecognizeOptions = {
  batchSize: 1,
  maxWidth: 1600,
  minWidth: 64,
  widthScale: 0.9,
};

export type RecognizeTimings = { crop: number; inference: number; decode: number };

export async function recognizeBoxes(
  lanes: readonly RecognitionLane[],
  decoder: CtcDecoder,
  image: Raster,
  boxes: readonly TextBox[],
  options: RecognizeOptions = DEFAULT_RECOGNIZE_OPTIONS,
  signal?: AbortSignal,
  timings?: RecognizeTimings,
): Promise<DecodedText[]> {
  const widths = boxes.map((box) => stripWidth(box, options.maxWidth, options.widthScale));
  const order = boxes.map((_, index) => index).sort((a, b) => (widths[a] as number) - (widths[b] as number));

  let started = performance.now();
  const batches: { members: number[]; input: ort.Tensor }[] = [];
  for (let first = 0; first < order.length; first += options.batchSize) {
    signal?.throwIfAborted();
    const members = order.slice(first, first + options.batchSize);
    const widest = Math.max(...members.map((index) => widths[index] as number));
    // Multiples of 8 keep every output step whole.
    const stride = Math.max(options.minWidth, Math.ceil(widest / 8) * 8);
    const block = 3 * REC_HEIGHT * stride;
    const input = new Float32Array(members.length * block);
    members.forEach((index, slot) => {
      writeCrop(image, boxes[index] as TextBox, widths[index] as number, REC_HEIGHT, input, slot * block, stride);
    });
    batches.push({ members, input: new ort.Tensor('float32', input, [members.length, 3, REC_HEIGHT, stride]) });
  }
  if (timings) timings.crop += performance.now() - started;

  started = performance.now();
  // The model's work grows with the pixels it reads.
  const laneOf = assignToLanes(
    batches.map((batch) => batch.input.size),
    lanes.length,
  );
  const shares = lanes.map((_, which) => batches.filter((_, index) => laneOf[index] === which));
  // One lane failing (its thread died, say) stops the others: the document is read again anyway.
  const failed = new AbortController();
  const stop = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
  const outputs = await Promise.all(
    shares.map(async (share, which) => {
      if (share.length === 0) return [];
      try {
        return await (lanes[which] as RecognitionLane).run(
          share.map((batch) => batch.input),
          stop,
        );
      } catch (error) {
        failed.abort(error);
        throw error;
      }
    }),
  );
  if (timings) timings.inference += performance.now() - started;

  started = performance.now();
  const results: DecodedText[] = new Array(boxes.length);
  shares.forEach((share, which) => {
    share.forEach((batch, position) => {
      const output = outputs[which]?.[position] as ort.Tensor;
      const [, frames, classes] = output.dims as [number, number, number];
      if (classes !== decoder.classes) {
        throw new Error(`the recogniser returns ${classes} classes but the decoder reads ${decoder.classes}`);
      }
      const probabilities = output.data as Float32Array;
      batch.members.forEach((index, slot) => {
        results[index] = decoder.decode(probabilities, slot * frames * classes, frames);
      });
    });
  });
  if (timings) timings.decode += performance.now() - started;
  return results;
}

/** Width of the 48-high strip for a box: its aspect, times `widthScale`. */
export function stripWidth(box: TextBox, maxWidth: number, widthScale = 1): number {
  return Math.max(1, Math.min(maxWidth, Math.round((REC_HEIGHT * box.length * widthScale) / box.thickness)));
}

/**
 * Splits work items over `lanes` so that the busiest lane has as little as possible: the largest
 * item first, each to the lane with the least so far (longest-processing-time first). Returns the
 * lane of each item.
 */
export function assignToLanes(costs: readonly number[], lanes: number): number[] {
  const load = new Array<number>(lanes).fill(0);
  const lane = new Array<number>(costs.length).fill(0);
  const order = costs.map((_, index) => index).sort((a, b) => (costs[b] as number) - (costs[a] as number));
  for (const index of order) {
    let least = 0;
    for (let candidate = 1; candidate < lanes; candidate++) {
      if ((load[candidate] as number) < (load[least] as number)) least = candidate;
    }
    lane[index] = least;
    load[least] = (load[least] as number) + (costs[index] as number);
  }
  return lane;
}
