import { DIGITISH } from '../../../../domain/text/normalise.ts';

/**
 * Digits-only readings of a number at a fixed length, for the NIK and the NPWP.
 *
 * Greedy decoding keeps each frame's most likely class. Under a watermark or glare a digit's frames
 * are often won by the blank although the digit still has a clear share of the probability, and the
 * number comes out a few digits short (`NIK_FORMAT_INVALID`); a letter can also outvote a digit
 * (`l` for `1`). Identity numbers have known lengths, so for each run of digit-like characters the
 * best CTC path is found that reads only digits and exactly as many as an identity number has: the
 * frames between the run's neighbours are decoded again with every other class (blank, letters,
 * separators) counted as "no digit here". The domain tries these readings where the greedy number
 * fails its checks (domain/checks/alternatives.ts), and keeps one only when it passes them.
 *
 * Nothing is invented: a reading is offered only when every digit of it had at least
 * MIN_DIGIT_PROBABILITY at some frame, and each digit carries that probability as its confidence,
 * so a check failing on it never rejects a card (domain/checks/evidence.ts).
 */
export type NumberReading = {
  /** The run of digit-like characters in the line's text that was read again: [start, end). */
  start: number;
  end: number;
  digits: string;
  /** The best probability of each digit over the frames that read it. */
  chars: number[];
};

/** NPWP (15), NIK and 16-digit NPWP (16). */
export const NUMBER_LENGTHS: readonly number[] = [15, 16];

/**
 * A reading whose least sure digit is under this was not read by anyone: it is not offered. On 300
 * generated `real` photos the 16-digit readings that were right had their least sure digit at 0.36
 * and more; most wrong ones (a `1` made of the card's edge, a digit where glare left nothing) were
 * under 0.2.
 */
export const MIN_DIGIT_PROBABILITY = 0.25;

/**
 * Runs are read again when they hold this many digit-like characters: a NIK that lost four digits
 * still has twelve, while dates (eight) and postcodes stay out.
 */
const MIN_RUN = 10;
const MAX_RUN = 24;
/**
 * Runs read again per decoded box: a card's line holds one number, and the OCR result keeps 8
 * readings a line (4 runs at 2 lengths), so a box crowded with numbers (a crafted page) costs no
 * search whose reading would be thrown away.
 */
export const MAX_RUNS_READ = 4;
/** And at least this many real digits: `SIIS BOGOR` is not a number. */
const MIN_REAL_DIGITS = 6;

/**
 * A reading never drops a digit read at this probability or more: a shorter reading of a number read
 * plainly would be a new number, not the same one mended (a 16-digit NPWP read at 15 digits passes the
 * old NPWP's check digit one time in ten).
 */
const SURE_DIGIT = 0.9;

/** Probabilities under this never emit a digit: it keeps the search to paths worth having. */
const EMIT_FLOOR = 1e-4;
const GAP_FLOOR = 1e-9;

const DIGIT_LIKE = new RegExp(`^${DIGITISH}$`);
const INSIDE_NUMBER = /^[ .\-,]$/;

/**
 * The readings of each run of digit-like characters in `text` at each of NUMBER_LENGTHS.
 * `digitProbabilities` holds 10 values per frame (the probability of "0".."9");
 * `chars` the probability of each character of `text`, and `firstFrame`/`lastFrame` the frames
 * that emitted it (-1 for a space).
 */
export function numberReadings(
  text: string,
  chars: readonly number[],
  firstFrame: readonly number[],
  lastFrame: readonly number[],
  digitProbabilities: Float32Array,
  frames: number,
): NumberReading[] {
  const readings: NumberReading[] = [];
  for (const [start, end] of digitRuns(text).slice(0, MAX_RUNS_READ)) {
    // The frames between the run's neighbours: digits lost before the first one read or after the
    // last are still in there.
    let from = 0;
    for (let index = start - 1; index >= 0; index--)
      if ((lastFrame[index] ?? -1) >= 0) {
        from = (lastFrame[index] as number) + 1;
        break;
      }
    let to = frames - 1;
    for (let index = end; index < text.length; index++)
      if ((firstFrame[index] ?? -1) >= 0) {
        to = (firstFrame[index] as number) - 1;
        break;
      }
    let sure = 0;
    for (let index = start; index < end; index++)
      if (DIGIT_LIKE.test(text[index] as string) && (chars[index] ?? 0) >= SURE_DIGIT) sure++;
    for (const length of NUMBER_LENGTHS) {
      if (length < sure) continue;
      const reading = readDigits(digitProbabilities, from, to, length);
      if (reading && Math.min(...reading.chars) >= MIN_DIGIT_PROBABILITY) readings.push({ start, end, ...reading });
    }
  }
  return readings;
}

/** [start, end) of each run of digit-like characters (separators inside allowed) long enough to be an identity number. */
export function digitRuns(text: string): [number, number][] {
  const runs: [number, number][] = [];
  let index = 0;
  while (index < text.length) {
    if (!DIGIT_LIKE.test(text[index] as string)) {
      index++;
      continue;
    }
    const start = index;
    let end = index;
    let digitLike = 0;
    let real = 0;
    while (index < text.length) {
      const character = text[index] as string;
      if (DIGIT_LIKE.test(character)) {
        digitLike++;
        if (character >= '0' && character <= '9') real++;
        end = index + 1;
      } else if (!INSIDE_NUMBER.test(character)) break;
      index++;
    }
    if (digitLike >= MIN_RUN && digitLike <= MAX_RUN && real >= MIN_REAL_DIGITS) runs.push([start, end]);
  }
  return runs;
}

/**
 * The most likely CTC path over frames `from`..`to` (inclusive) that emits exactly `length` digits
 * and nothing else, or null when there is none. A digit repeated needs a frame of "no digit" (or of
 * another digit) between its two emissions, as in CTC.
 */
export function readDigits(
  digitProbabilities: Float32Array,
  from: number,
  to: number,
  length: number,
): { digits: string; chars: number[] } | null {
  const frames = to - from + 1;
  if (frames < length || length <= 0 || digitProbabilities.length < (to + 1) * 10 || from < 0) return null;
  // State: how many digits were emitted (0..length) and what the last frame was (0: no digit,
  // 1 + d: digit d). Scores are log-probabilities.
  const states = 11;
  const width = (length + 1) * states;
  let score = new Float64Array(width).fill(Number.NEGATIVE_INFINITY);
  let next = new Float64Array(width);
  score[0] = 0;
  // For each frame and state, the state it came from (its count follows: one less when a new digit started).
  const back = new Int8Array(frames * width).fill(-1);
  const logDigit = new Float64Array(10);
  for (let step = 0; step < frames; step++) {
    const base = (from + step) * 10;
    let digitSum = 0;
    for (let d = 0; d < 10; d++) {
      const p = digitProbabilities[base + d] as number;
      digitSum += p;
      logDigit[d] = p >= EMIT_FLOOR ? Math.log(p) : Number.NEGATIVE_INFINITY;
    }
    const logGap = Math.log(Math.max(GAP_FLOOR, 1 - digitSum));
    next.fill(Number.NEGATIVE_INFINITY);
    const row = step * width;
    for (let count = 0; count <= length; count++) {
      const here = count * states;
      // No digit on this frame: from any state with the same count.
      let bestPrevious = -1;
      let bestScore = Number.NEGATIVE_INFINITY;
      for (let s = 0; s < states; s++) {
        const value = score[here + s] as number;
        if (value > bestScore) {
          bestScore = value;
          bestPrevious = s;
        }
      }
      if (bestPrevious >= 0 && bestScore > Number.NEGATIVE_INFINITY) {
        next[here] = bestScore + logGap;
        back[row + here] = bestPrevious;
      }
      for (let d = 0; d < 10; d++) {
        const emit = logDigit[d] as number;
        if (emit === Number.NEGATIVE_INFINITY) continue;
        const state = d + 1;
        // The same digit going on…
        let origin = state;
        let best = score[here + state] as number;
        // …or a new digit after a gap or another digit.
        if (count > 0) {
          const before = (count - 1) * states;
          for (let s = 0; s < states; s++) {
            if (s === state) continue;
            const value = score[before + s] as number;
            if (value > best) {
              best = value;
              origin = s;
            }
          }
        }
        if (best === Number.NEGATIVE_INFINITY) continue;
        next[here + state] = best + emit;
        back[row + here + state] = origin;
      }
    }
    [score, next] = [next, score];
  }
  const end = length * states;
  let state = -1;
  let best = Number.NEGATIVE_INFINITY;
  for (let s = 0; s < states; s++)
    if ((score[end + s] as number) > best) {
      best = score[end + s] as number;
      state = s;
    }
  if (state < 0) return null;
  // Walk back: each change into a digit state is one emission.
  const digits: string[] = [];
  const chars: number[] = [];
  let count = length;
  let peak = 0;
  for (let step = frames - 1; step >= 0; step--) {
    const previous = back[step * width + count * states + state] as number;
    if (state > 0) {
      peak = Math.max(peak, digitProbabilities[(from + step) * 10 + state - 1] as number);
      if (previous !== state) {
        digits.push(String(state - 1));
        chars.push(Math.min(1, peak));
        peak = 0;
        count--;
      }
    }
    state = previous;
  }
  return { digits: digits.reverse().join(''), chars: chars.reverse() };
}
