import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findCardRegion, widenedRegion } from '../../../../adapters/ocr/pipeline/detection/cardRegion.ts';
import { cropRaster } from '../../../../adapters/ocr/pipeline/detection/detect.ts';
import type { TextBox } from '../../../../adapters/ocr/pipeline/detection/textBox.ts';

/** A horizontal line of text `length` long and 12 px thick, its left end at (x, y). */
const line = (x: number, y: number, length: number, thickness = 12): TextBox => ({
  cx: x + length / 2,
  cy: y + thickness / 2,
  ux: 1,
  uy: 0,
  length,
  thickness,
  score: 0.9,
});

/** Twelve lines of a card at (x, y), 300 px wide, one every 20 px. */
const cardLines = (x: number, y: number) =>
  Array.from({ length: 12 }, (_, row) => line(x, y + row * 20, 300 - row * 10));

describe('finding the card in a photo', () => {
  it('should cut out a card lying small in a large frame, with a margin around its text', () => {
    const region = findCardRegion(cardLines(1200, 900), 2000, 1500);
    assert.ok(region);
    const [x, y, width, height] = region;
    assert.ok(x < 1200 && y < 900, 'the margin starts before the text');
    assert.ok(x + width > 1500 && y + height > 900 + 11 * 20 + 12, 'and ends after it');
    assert.ok(width * height < 0.1 * 2000 * 1500);
  });

  it('should take the card, not a few words lying elsewhere in the photo', () => {
    const receipt = [line(100, 100, 120), line(100, 120, 90), line(100, 140, 60)];
    const region = findCardRegion([...receipt, ...cardLines(1200, 900)], 2000, 1500);
    assert.ok(region);
    assert.ok(region[0] > 1000, `region ${region}`);
  });

  it('should read the frame as it is when the card already fills it or there is too little text', () => {
    assert.equal(findCardRegion(cardLines(20, 20), 360, 280), null, 'the card fills the frame');
    assert.equal(findCardRegion([line(500, 500, 80), line(500, 520, 60)], 2000, 1500), null, 'two words');
    assert.equal(findCardRegion([], 2000, 1500), null);
  });

  it('should group a turned card: extents of boxes running down the frame', () => {
    const turned = cardLines(1200, 900).map((box) => ({
      ...box,
      cx: 1200 + (box.cy - 900),
      cy: 900 + (box.cx - 1200),
      ux: 0,
      uy: 1,
    }));
    const region = findCardRegion(turned, 2000, 1500);
    assert.ok(region);
    assert.ok(region[3] > region[2], 'taller than wide, like the card');
  });

  it('should survive hostile boxes: not numbers, zero thickness, thousands of specks', () => {
    const bad: TextBox[] = [
      { ...line(0, 0, 10), cx: Number.NaN },
      { ...line(0, 0, 10), thickness: 0 },
      { ...line(0, 0, 10), length: Number.POSITIVE_INFINITY },
    ];
    const specks = Array.from({ length: 5000 }, (_, i) => line((i * 37) % 1900, (i * 53) % 1400, 3, 3));
    const started = performance.now();
    const region = findCardRegion([...bad, ...specks, ...cardLines(1200, 900)], 2000, 1500);
    assert.ok(performance.now() - started < 2000, 'grouping is bounded by maxBoxes');
    assert.ok(region === null || region.every(Number.isFinite));
  });

  it('should widen the cut-out on the sides where text runs up to it, within the frame', () => {
    const region: [number, number, number, number] = [400, 300, 500, 300];
    // Text reaching the left edge of the cut-out, none near the others.
    const wider = widenedRegion(region, [line(0, 100, 200), line(150, 140, 200)], 2000, 1500);
    assert.ok(wider);
    assert.ok(wider[0] < 400 && wider[1] === 300 && wider[0] + wider[2] === 900, `widened ${wider}`);
    assert.equal(widenedRegion(region, [line(100, 100, 200), line(100, 140, 200)], 2000, 1500), null);
    assert.equal(widenedRegion([0, 0, 500, 300], [line(0, 0, 200)], 2000, 1500), null, 'the frame ends there');
    assert.equal(widenedRegion(region, [], 2000, 1500), null);
  });

  it('should copy the cut-out pixels', () => {
    const width = 4;
    const height = 3;
    const data = new Uint8Array(width * height * 3).map((_, i) => i);
    const part = cropRaster({ data, width, height }, [1, 1, 2, 2]);
    assert.equal(part.width, 2);
    assert.equal(part.height, 2);
    // Pixel (1, 1) of the source is pixel 5: bytes 15..17.
    assert.deepEqual([...part.data.subarray(0, 3)], [15, 16, 17]);
    assert.deepEqual([...part.data.subarray(9, 12)], [30, 31, 32]);
  });
});
