/**
 * Greedy CTC decoding of the PP-OCR recogniser's output.
 *
 * PaddleOCR's convention for ppocr_keys_v1 with `use_space_char`: class 0 is the CTC blank,
 * classes 1..n are the lines of the keys file, and class n+1 is a space (6625 classes in all).
 *
 * Indonesian identity cards are printed in ASCII, but the Chinese recogniser knows full-width
 * twins of most ASCII characters (`：`, `１`, `Ａ`) and thousands of CJK characters. In `latin`
 * mode every class is folded onto its NFKC form and only printable ASCII survives; the
 * probabilities of twins are added, so `:` and `：` vote together instead of splitting the vote.
 *
 * Spaces: the recogniser was trained mostly on Chinese, which has none, and between Latin words
 * it usually lets the blank win over the space (`BUDISANTOSO`), although the space probability
 * rises clearly in the gap. Measured on rendered cards (plain, JPEG q60, blurred, noisy, 0.7× and
 * 1.6× scale): the highest space probability between two letters of one word was 0.001; between
 * two words it was 0.023 at the least and 0.53 in the median. So a space is written between two
 * characters when the space probability anywhere in the gap reaches `spaceThreshold`. Spaces do
 * not count towards the confidence.
 */
import { type NumberReading, numberReadings } from './numberReadings.ts';

export type Charset = 'latin' | 'all';

/**
 * `chars` holds one probability per character of `text`: the highest the recogniser gave that
 * character over the frames that emitted it (1 for a space, which says nothing about the card). The
 * policy uses it to tell a check failed on a confidently read character from one failed on a guess.
 */
export type DecodedText = {
  text: string;
  confidence: number;
  chars: number[];
  /**
   * For each character read below ALTERNATIVE_BELOW: `[index in text, the recogniser's second choice
   * there, its probability]`. The policy tries them where a number fails its checks (domain/checks/alternatives.ts).
   */
  alternatives: [number, string, number][];
  /** Digits-only readings of the runs of digits at the lengths of identity numbers (numberReadings.ts). */
  numbers: NumberReading[];
};

/** Characters read less surely than this keep their second choice. */
export const ALTERNATIVE_BELOW = 0.9;

export type CtcDecoder = {
  /** Number of classes the recogniser's output must have. */
  readonly classes: number;
  /**
   * The recogniser's classes the decoding looks at, ascending (the blank first). The others (CJK
   * characters, in `latin` mode) only ever lose the vote.
   */
  readonly classesRead: readonly number[];
  /** Decodes `frames` time steps of softmax output starting at `offset` (frame-major, `classes` wide). */
  decode(probabilities: Float32Array, offset: number, frames: number): DecodedText;
  /**
   * The same decoding of an output cut down to `classesRead` (in that order) after the softmax:
   * its `classes` is their count. See models/outputClasses.ts.
   */
  narrowed(): CtcDecoder;
};

export type CtcOptions = { charset: Charset; spaceThreshold: number };

export const DEFAULT_CTC_OPTIONS: CtcOptions = { charset: 'latin', spaceThreshold: 0.02 };

export function createCtcDecoder(keys: readonly string[], options: CtcOptions = DEFAULT_CTC_OPTIONS): CtcDecoder {
  const labels = ['', ...keys, ' '];
  const classes = labels.length;

  // Output alphabet: symbol 0 is the blank, then one symbol per distinct character kept, and the
  // table of which model classes feed which symbol.
  const symbols: string[] = [''];
  const symbolOf = new Map<string, number>();
  const sources: number[] = [0];
  const targets: number[] = [0];
  for (let c = 1; c < classes; c++) {
    let label = labels[c] as string;
    if (options.charset === 'latin') {
      label = label.normalize('NFKC');
      if (label.length !== 1) continue;
      const code = label.charCodeAt(0);
      if (code < 0x20 || code > 0x7e) continue;
    }
    let symbol = symbolOf.get(label);
    if (symbol === undefined) {
      symbol = symbols.length;
      symbols.push(label);
      symbolOf.set(label, symbol);
    }
    sources.push(c);
    targets.push(symbol);
  }
  const targetSymbol = Int32Array.from(targets);
  const space = symbolOf.get(' ') ?? -1;
  // The symbols of "0".."9" (-1 where the keys lack one).
  const digitSymbols = Int32Array.from({ length: 10 }, (_, digit) => symbolOf.get(String(digit)) ?? -1);

  /** Decoding of frames `width` wide whose column `sourceColumn[k]` votes for symbol `targetSymbol[k]`. */
  const decoderOver = (width: number, sourceColumn: Int32Array): Omit<CtcDecoder, 'narrowed'> => {
    const votes = new Float32Array(symbols.length);
    return {
      classes: width,
      classesRead: sources,
      decode(probabilities, offset, frames) {
        let text = '';
        const chars: number[] = [];
        // The second choice at the frame each character was read best, as symbol and probability.
        const seconds: number[] = [];
        const secondValues: number[] = [];
        // The frames that emitted each character (-1 for a space), and each frame's digit probabilities.
        const firstFrame: number[] = [];
        const lastFrame: number[] = [];
        const digitProbabilities = new Float32Array(frames * 10);
        let sum = 0;
        let kept = 0;
        let previous = 0;
        let gapSpace = 0;
        for (let t = 0; t < frames; t++) {
          const base = offset + t * width;
          votes.fill(0);
          for (let k = 0; k < sourceColumn.length; k++) {
            const target = targetSymbol[k] as number;
            votes[target] = (votes[target] as number) + (probabilities[base + (sourceColumn[k] as number)] as number);
          }
          let best = 0;
          let bestValue = votes[0] as number;
          let second = 0;
          let secondValue = 0;
          for (let s = 1; s < votes.length; s++) {
            const value = votes[s] as number;
            if (value > bestValue) {
              if (best !== 0 && best !== space && bestValue > secondValue) {
                second = best;
                secondValue = bestValue;
              }
              bestValue = value;
              best = s;
            } else if (s !== space && value > secondValue) {
              second = s;
              secondValue = value;
            }
          }
          for (let digit = 0; digit < 10; digit++) {
            const symbol = digitSymbols[digit] as number;
            if (symbol >= 0) digitProbabilities[t * 10 + digit] = votes[symbol] as number;
          }
          if (best === 0 || best === space) {
            // A gap between characters: remember how much it looked like a space.
            if (space > 0 && (votes[space] as number) > gapSpace) gapSpace = votes[space] as number;
            previous = 0;
            continue;
          }
          if (best !== previous) {
            if (kept > 0 && gapSpace >= options.spaceThreshold) {
              text += ' ';
              chars.push(1);
              firstFrame.push(-1);
              lastFrame.push(-1);
            }
            text += symbols[best];
            chars.push(Math.min(1, bestValue));
            firstFrame.push(t);
            lastFrame.push(t);
            seconds[chars.length - 1] = second;
            secondValues[chars.length - 1] = secondValue;
            sum += bestValue;
            kept++;
            gapSpace = 0;
          } else {
            lastFrame[lastFrame.length - 1] = t;
            if (bestValue > (chars[chars.length - 1] as number)) {
              chars[chars.length - 1] = Math.min(1, bestValue);
              seconds[chars.length - 1] = second;
              secondValues[chars.length - 1] = secondValue;
            }
          }
          previous = best;
        }
        if (kept === 0) return { text: '', confidence: 0, chars: [], alternatives: [], numbers: [] };
        const alternatives: [number, string, number][] = [];
        chars.forEach((probability, index) => {
          const symbol = seconds[index] ?? 0;
          if (probability < ALTERNATIVE_BELOW && symbol !== 0)
            alternatives.push([index, symbols[symbol] as string, Math.min(1, secondValues[index] ?? 0)]);
        });
        return {
          text,
          confidence: Math.min(1, sum / kept),
          chars,
          alternatives,
          numbers: numberReadings(text, chars, firstFrame, lastFrame, digitProbabilities, frames),
        };
      },
    };
  };

  // Model classes are visited in ascending order, so `sources` is ascending and an output cut down
  // to them holds them at columns 0, 1, 2, …
  const narrowed: CtcDecoder = {
    ...decoderOver(
      sources.length,
      Int32Array.from(sources, (_, column) => column),
    ),
    narrowed: () => narrowed,
  };
  return { ...decoderOver(classes, Int32Array.from(sources)), narrowed: () => narrowed };
}
