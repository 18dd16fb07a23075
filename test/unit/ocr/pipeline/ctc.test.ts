import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCtcDecoder } from '../../../../adapters/ocr/pipeline/recognition/ctc.ts';

// A toy dictionary in PaddleOCR's layout: blank, keys, then the space class.
const KEYS = ['A', 'B', '1', '：', 'Ｂ', '中'];
const CLASSES = KEYS.length + 2;
const BLANK = 0;
const SPACE = CLASSES - 1;
const indexOf = (key: string) => KEYS.indexOf(key) + 1;

/** Frames as [class, probability] pairs; the rest of each frame's mass goes to the blank. */
function frames(...steps: [number, number][]): Float32Array {
  const data = new Float32Array(steps.length * CLASSES);
  steps.forEach(([cls, p], t) => {
    data[t * CLASSES + cls] = p;
    if (cls !== BLANK) data[t * CLASSES + BLANK] = 1 - p;
  });
  return data;
}

describe('CTC decoding', () => {
  const decoder = createCtcDecoder(KEYS);

  it('should have the blank, the keys and the space as classes', () => {
    assert.equal(decoder.classes, CLASSES);
  });

  it('should collapse repeats and drop blanks', () => {
    const a = indexOf('A');
    const one = indexOf('1');
    const data = frames([a, 0.9], [a, 0.8], [BLANK, 1], [a, 0.7], [one, 0.9], [one, 0.9]);
    const { text, confidence } = decoder.decode(data, 0, 6);
    assert.equal(text, 'AA1');
    assert.ok(Math.abs(confidence - (0.9 + 0.7 + 0.9) / 3) < 1e-6);
  });

  it('should give each character the best probability of the frames that emitted it, and a space 1', () => {
    const a = indexOf('A');
    const one = indexOf('1');
    const data = frames([a, 0.6], [a, 0.8], [BLANK, 1], [BLANK, 1], [one, 0.55]);
    data[3 * CLASSES + SPACE] = 0.4;
    data[3 * CLASSES + BLANK] = 0.6;
    const { text, chars } = decoder.decode(data, 0, 5);
    assert.equal(text, 'A 1');
    assert.deepEqual(
      chars.map((value) => Math.round(value * 100) / 100),
      [0.8, 1, 0.55],
    );
  });

  it('should keep the second choice of a doubtful character, never the blank, and none for a sure one', () => {
    const a = indexOf('A');
    const one = indexOf('1');
    const b = indexOf('B');
    const data = new Float32Array(CLASSES * 3);
    // Frame 0: "1" at 0.55, "A" at 0.3, blank 0.15. Frame 1: blank. Frame 2: "B" at 0.95.
    data[one] = 0.55;
    data[a] = 0.3;
    data[BLANK] = 0.15;
    data[CLASSES + BLANK] = 1;
    data[2 * CLASSES + b] = 0.95;
    data[2 * CLASSES + BLANK] = 0.05;
    const { text, alternatives } = decoder.decode(data, 0, 3);
    assert.equal(text, '1B');
    assert.deepEqual(
      alternatives.map(([index, character, probability]) => [index, character, Math.round(probability * 100) / 100]),
      [[0, 'A', 0.3]],
    );
  });

  it('should fold full-width twins onto ASCII and drop characters outside ASCII', () => {
    const data = frames([indexOf('：'), 0.9], [BLANK, 1], [indexOf('Ｂ'), 0.9], [BLANK, 1], [indexOf('中'), 0.95]);
    assert.equal(decoder.decode(data, 0, 5).text, ':B');
  });

  it('should add up the votes of twins', () => {
    // 0.35 for B and 0.35 for Ｂ beat 0.3 for blank only together.
    const data = new Float32Array(CLASSES);
    data[BLANK] = 0.3;
    data[indexOf('B')] = 0.35;
    data[indexOf('Ｂ')] = 0.35;
    assert.equal(decoder.decode(data, 0, 1).text, 'B');
    assert.equal(createCtcDecoder(KEYS, { charset: 'all', spaceThreshold: 0.02 }).decode(data, 0, 1).text, 'B');
  });

  it('should write a space where the gap between two characters looks like one', () => {
    const a = indexOf('A');
    const b = indexOf('B');
    const gap = (space: number) => {
      const data = frames([a, 0.9], [BLANK, 1], [BLANK, 1], [b, 0.9]);
      data[2 * CLASSES + SPACE] = space;
      data[2 * CLASSES + BLANK] = 1 - space;
      return decoder.decode(data, 0, 4).text;
    };
    assert.equal(gap(0.001), 'AB');
    assert.equal(gap(0.05), 'A B');
    assert.equal(gap(0.9), 'A B');
  });

  it('should not start or end with a space', () => {
    const data = frames([SPACE, 0.9], [indexOf('A'), 0.9], [SPACE, 0.9]);
    assert.equal(decoder.decode(data, 0, 3).text, 'A');
  });

  it('should decode from an offset and give an empty reading no confidence', () => {
    const data = new Float32Array(CLASSES * 3);
    data[BLANK] = 1;
    data[CLASSES + BLANK] = 1;
    data[2 * CLASSES + indexOf('1')] = 0.8;
    assert.deepEqual(decoder.decode(data, 0, 2), { text: '', confidence: 0, chars: [], alternatives: [], numbers: [] });
    assert.equal(decoder.decode(data, CLASSES, 2).text, '1');
  });

  it('should read only the blank, the ASCII keys, their twins and the space, and decode them alike once cut down', () => {
    // '中' (class 6) is not read.
    assert.deepEqual(decoder.classesRead, [BLANK, 1, 2, 3, 4, 5, SPACE]);
    const narrowed = decoder.narrowed();
    assert.equal(narrowed.classes, decoder.classesRead.length);
    assert.equal(narrowed.narrowed(), narrowed);
    const a = indexOf('A');
    const data = frames(
      [a, 0.9],
      [BLANK, 1],
      [SPACE, 0.6],
      [indexOf('Ｂ'), 0.7],
      [indexOf('中'), 0.9],
      [indexOf('1'), 0.8],
    );
    const steps = data.length / CLASSES;
    const cut = new Float32Array(steps * narrowed.classes);
    for (let t = 0; t < steps; t++) {
      decoder.classesRead.forEach((cls, column) => {
        cut[t * narrowed.classes + column] = data[t * CLASSES + cls] as number;
      });
    }
    assert.deepEqual(narrowed.decode(cut, 0, steps), decoder.decode(data, 0, steps));
    assert.equal(narrowed.decode(cut, 0, steps).text, 'A B1');
    assert.deepEqual(narrowed.decode(cut, narrowed.classes * 3, 3), decoder.decode(data, CLASSES * 3, 3));
  });

  it('should read every class with the whole charset', () => {
    const all = createCtcDecoder(KEYS, { charset: 'all', spaceThreshold: 0.02 });
    assert.deepEqual(
      all.classesRead,
      Array.from({ length: CLASSES }, (_, index) => index),
    );
  });
});
