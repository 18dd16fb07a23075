/**
 * Digits in an OCR-A-like style, drawn as SVG strokes. The NIK on a real KTP is printed in such a
 * face (square-cornered, a flagged `1` with a foot, an open-topped `4`), in which the recogniser
 * read "1" as "2" or "3". No such font is installed here or on a clean CI machine (only DejaVu), so
 * the glyphs are defined as paths: the same on every machine, needing no font file.
 *
 * Each glyph is a set of polylines on a 6 × 10 grid (x right, y down, the top of the digit at 0).
 */

const GLYPHS: Readonly<Record<string, readonly (readonly [number, number])[][]>> = {
  '0': [
    [
      [1, 0],
      [5, 0],
      [6, 1],
      [6, 9],
      [5, 10],
      [1, 10],
      [0, 9],
      [0, 1],
      [1, 0],
    ],
  ],
  '1': [
    [
      [1, 2.2],
      [3.4, 0],
      [3.4, 10],
    ],
    [
      [0.8, 10],
      [5.6, 10],
    ],
  ],
  '2': [
    [
      [0, 1.5],
      [1, 0],
      [5, 0],
      [6, 1],
      [6, 4],
      [0, 9],
      [0, 10],
      [6, 10],
    ],
  ],
  '3': [
    [
      [0, 0],
      [6, 0],
      [2.6, 4],
      [5, 4],
      [6, 5],
      [6, 9],
      [5, 10],
      [0, 10],
    ],
  ],
  '4': [
    [
      [0, 0],
      [0, 6.5],
      [6, 6.5],
    ],
    [
      [4.4, 3],
      [4.4, 10],
    ],
  ],
  '5': [
    [
      [6, 0],
      [0, 0],
      [0, 4],
      [5, 4],
      [6, 5],
      [6, 9],
      [5, 10],
      [0, 10],
    ],
  ],
  '6': [
    [
      [5, 0],
      [1, 4.2],
      [0, 6],
      [0, 9],
      [1, 10],
      [5, 10],
      [6, 9],
      [6, 6],
      [5, 5],
      [0.6, 5],
    ],
  ],
  '7': [
    [
      [0, 0],
      [6, 0],
      [6, 2],
      [2.4, 10],
    ],
  ],
  '8': [
    [
      [1, 0],
      [5, 0],
      [5.6, 1],
      [5.6, 3.6],
      [4.6, 4.6],
      [1.4, 4.6],
      [0.4, 3.6],
      [0.4, 1],
      [1, 0],
    ],
    [
      [1.4, 4.6],
      [0, 6],
      [0, 9],
      [1, 10],
      [5, 10],
      [6, 9],
      [6, 6],
      [4.6, 4.6],
    ],
  ],
  '9': [
    [
      [1, 10],
      [5, 5.8],
      [6, 4],
      [6, 1],
      [5, 0],
      [1, 0],
      [0, 1],
      [0, 4],
      [1, 5],
      [5.4, 5],
    ],
  ],
};

/** Digit height and advance, in em, close to those of the DejaVu bold digits the text NIK uses. */
export const OCR_DIGIT_HEIGHT_EM = 0.72;
export const OCR_DIGIT_ADVANCE_EM = 0.66;

/** The advance of `count` digits at font size `size`. */
export function ocrDigitsWidth(count: number, size: number): number {
  return count * OCR_DIGIT_ADVANCE_EM * size;
}

/**
 * `digits` (0–9 only) as one SVG path whose baseline starts at (x, y), sized like text of font
 * size `size`; `bold` thickens the strokes as the bold text face would be.
 */
export function ocrDigitsSvg(x: number, y: number, digits: string, size: number, fill: string, bold = true): string {
  if (!/^\d*$/.test(digits)) throw new Error('OCR-A-like glyphs are defined for the digits 0–9 only');
  const unit = (OCR_DIGIT_HEIGHT_EM * size) / 10;
  const top = y - OCR_DIGIT_HEIGHT_EM * size;
  const advance = OCR_DIGIT_ADVANCE_EM * size;
  // The glyph is centred in its advance; its strokes stay inside the 6-unit box.
  const inset = (advance - 6 * unit) / 2;
  const round = (value: number) => Math.round(value * 100) / 100;
  let d = '';
  [...digits].forEach((digit, index) => {
    const left = x + index * advance + inset;
    for (const line of GLYPHS[digit] ?? []) {
      d += line
        .map(([gx, gy], point) => `${point === 0 ? 'M' : 'L'}${round(left + gx * unit)} ${round(top + gy * unit)}`)
        .join('');
    }
  });
  const stroke = round(size * (bold ? 0.105 : 0.08));
  return `<path d="${d}" fill="none" stroke="${fill}" stroke-width="${stroke}" stroke-linecap="square" stroke-linejoin="miter"/>`;
}
