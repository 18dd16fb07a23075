import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCtcDecoder } from '../../../../adapters/ocr/pipeline/recognition/ctc.ts';
import {
  digitRuns,
  MAX_RUNS_READ,
  MIN_DIGIT_PROBABILITY,
  numberReadings,
  readDigits,
} from '../../../../adapters/ocr/pipeline/recognition/numberReadings.ts';

/** Digit probabilities, 10 per frame, from [digit, probability] per frame (null: no digit at all). */
function digitFrames(...steps: ([number, number] | null)[]): Float32Array {
  const data = new Float32Array(steps.length * 10);
  steps.forEach((step, t) => {
    if (step) data[t * 10 + step[0]] = step[1];
  });
  return data;
}

/** Frames that print `digits` plainly: each digit on one frame at `p`, a gap frame between. */
function printed(digits: string, p = 0.95): ([number, number] | null)[] {
  return [...digits].flatMap((digit) => [[Number(digit), p] as [number, number], null]);
}

describe('digit runs', () => {
  it('should find a number after its label, separators inside it, and not the label', () => {
    const text = 'NIK : 3171 0123 4567 0001';
    const runs = digitRuns(text);
    assert.deepEqual(
      runs.map(([start, end]) => text.slice(start, end)),
      ['3171 0123 4567 0001'],
    );
  });

  it('should take look-alike letters into a run, but not a run of letters or a date', () => {
    assert.deepEqual(
      digitRuns('317l0l23456700O1').map(([start, end]) => end - start),
      [16],
    );
    assert.deepEqual(digitRuns('SIIS BOGOR'), []);
    assert.deepEqual(digitRuns('JAKARTA, 17-08-1990'), []);
    assert.deepEqual(digitRuns('01.234.567.8-901.000').length, 1);
  });
});

describe('digits-only reading at a fixed length', () => {
  it('should read a plainly printed number as it is', () => {
    const data = digitFrames(...printed('3171012345670001'));
    const reading = readDigits(data, 0, data.length / 10 - 1, 16);
    assert.equal(reading?.digits, '3171012345670001');
    assert.ok(reading?.chars.every((value) => Math.abs(value - 0.95) < 1e-6));
  });

  it('should recover a digit whose frame the blank won, with its own low probability', () => {
    // The greedy path drops the third "7": 0.3 against 0.7 for "no digit".
    const steps = printed('3171012345670001');
    steps[4] = [7, 0.3];
    const data = digitFrames(...steps);
    const reading = readDigits(data, 0, steps.length - 1, 16);
    assert.equal(reading?.digits, '3171012345670001');
    assert.ok(Math.abs((reading?.chars[2] ?? 0) - 0.3) < 1e-6);
  });

  it('should separate a repeated digit only where a frame between allows it', () => {
    const twice = digitFrames([1, 0.9], null, [1, 0.9]);
    assert.equal(readDigits(twice, 0, 2, 2)?.digits, '11');
    const held = digitFrames([1, 0.9], [1, 0.9]);
    // Two frames of one "1" can be one digit, or two different ones: never "11".
    assert.equal(readDigits(held, 0, 1, 2), null);
  });

  it('should refuse lengths the frames cannot hold, and out-of-range spans', () => {
    const data = digitFrames(...printed('123'));
    assert.equal(readDigits(data, 0, 5, 7), null);
    assert.equal(readDigits(data, 0, 50, 3), null);
    assert.equal(readDigits(data, -1, 5, 3), null);
    assert.equal(readDigits(data, 0, 5, 0), null);
  });
});

describe('number readings of a decoded line', () => {
  // A toy recogniser: blank, the digits, N, I, K, colon, then the space class.
  const KEYS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'N', 'I', 'K', ':'];
  const CLASSES = KEYS.length + 2;
  const decoder = createCtcDecoder(KEYS);
  const classOf = (key: string) => KEYS.indexOf(key) + 1;

  /** Output frames: each character on a frame of its own at `p`, then a blank frame. */
  function output(characters: [string, number][]): Float32Array {
    const data = new Float32Array(characters.length * 2 * CLASSES);
    characters.forEach(([character, p], index) => {
      const frame = index * 2 * CLASSES;
      data[frame + classOf(character)] = p;
      data[frame] = 1 - p;
      data[frame + CLASSES] = 1;
    });
    return data;
  }

  it('should give a NIK that lost a digit back at 16 digits, after its label', () => {
    const nik = '3171012345670001';
    // The seventh digit is there at 0.3 only: the greedy text has 15 digits.
    const characters: [string, number][] = [...'NIK:'].map((c) => [c, 0.99]);
    for (const [index, digit] of [...nik].entries()) characters.push([digit, index === 6 ? 0.3 : 0.97]);
    const decoded = decoder.decode(output(characters), 0, characters.length * 2);
    assert.equal(decoded.text, 'NIK:317101345670001');
    const sixteen = decoded.numbers.find((number) => number.digits.length === 16);
    assert.equal(sixteen?.digits, nik);
    assert.equal(decoded.text.slice(sixteen?.start, sixteen?.end), decoded.text.slice(4));
    assert.ok(Math.abs((sixteen?.chars[6] ?? 0) - 0.3) < 1e-6);
  });

  it('should offer no reading whose digits nobody read', () => {
    const text = '317101234567000';
    const first = [...text].map((_, index) => index * 2);
    // Fifteen digits read plainly, and a sixteenth with a trace of probability: too little to offer.
    const data = digitFrames(...printed(text), [5, MIN_DIGIT_PROBABILITY / 5]);
    const readings = numberReadings(
      text,
      [...text].map(() => 0.95),
      first,
      first,
      data,
      text.length * 2 + 1,
    );
    assert.deepEqual(
      readings.map((reading) => reading.digits),
      [text],
    );
    const withTrace = readDigits(data, 0, text.length * 2, 16);
    assert.equal(withTrace?.digits, `${text}5`);
  });

  it('should never drop a digit read surely: a shorter reading of a plain number is another number', () => {
    const text = '5821174508572230';
    const first = [...text].map((_, index) => index * 2);
    const data = digitFrames(...printed(text));
    const sure = numberReadings(
      text,
      [...text].map(() => 0.99),
      first,
      first,
      data,
      text.length * 2,
    );
    assert.deepEqual(
      sure.map((reading) => reading.digits),
      [text],
    );
    // The same number with one digit in doubt (a stray mark read as a digit) may be read without it.
    const doubtful = [...text].map((_, index) => (index === 2 ? 0.5 : 0.99));
    const mended = numberReadings(text, doubtful, first, first, data, text.length * 2);
    assert.deepEqual(
      mended.map((reading) => reading.digits.length),
      [15, 16],
    );
  });

  it('should read again at most MAX_RUNS_READ runs of one box, the first ones', () => {
    const number = '317101410190000';
    const text = Array.from({ length: MAX_RUNS_READ + 2 }, () => number).join(' x ');
    const first: number[] = [];
    const steps: ([number, number] | null)[] = [];
    for (const character of text) {
      first.push(character === ' ' ? -1 : steps.length);
      steps.push(/\d/.test(character) ? [Number(character), 0.95] : null, null);
    }
    const readings = numberReadings(
      text,
      [...text].map(() => 0.95),
      first,
      first,
      digitFrames(...steps),
      steps.length,
    );
    const runs = new Set(readings.map((reading) => reading.start));
    assert.equal(runs.size, MAX_RUNS_READ);
    assert.equal(Math.min(...runs), 0);
  });
});
