import ort from 'onnxruntime-node';
import { type ModelSession, runModel } from '../models/models.ts';
import type { Raster } from '../raster.ts';
import type { TextBox } from './detection/textBox.ts';
import { writeCrop } from './recognition/crop.ts';

/**
 * PaddleOCR's text-line angle classifier (ch_ppocr_mobile_v2.0_cls): for each box, the
 * probability that the line, read along its `u` direction, is upside down. Input strips are
 * 48×192 (shorter lines padded, longer ones squeezed), as in PaddleOCR's `cls_image_shape`.
 */
const CLS_HEIGHT = 48;
const CLS_WIDTH = 192;

export async function upsideDownProbabilities(
  session: ModelSession,
  image: Raster,
  boxes: readonly TextBox[],
): Promise<number[]> {
  if (boxes.length === 0) return [];
  const block = 3 * CLS_HEIGHT * CLS_WIDTH;
  const input = new Float32Array(boxes.length * block);
  boxes.forEach((box, slot) => {
    const width = Math.max(1, Math.min(CLS_WIDTH, Math.round((CLS_HEIGHT * box.length) / box.thickness)));
    writeCrop(image, box, width, CLS_HEIGHT, input, slot * block, CLS_WIDTH);
  });
  const output = await runModel(session, new ort.Tensor('float32', input, [boxes.length, 3, CLS_HEIGHT, CLS_WIDTH]));
  const probabilities = output.data as Float32Array;
  // Labels are ['0', '180'].
  return boxes.map((_, slot) => probabilities[slot * 2 + 1] as number);
}
