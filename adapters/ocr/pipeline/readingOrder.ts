import type { NumberReading } from './recognition/numberReadings.ts';

/**
 * Reading order: detection returns word groups in no particular order. Regions whose vertical
 * extents overlap enough form one line, read left to right; lines are read top to bottom. On an
 * ID card this rejoins a label with its value (`NIK` … `: 3171…`), which the field parsers want.
 * A very wide horizontal gap starts a new line instead: on a KTP the place and date printed under
 * the photo sit level with a field, and must not be glued onto its value.
 *
 * Photos are often a few degrees off level; across a card the text then drifts by a whole line
 * (4° over 250 px is 17 px). Vertical positions are therefore compared after undoing the page's
 * skew (the slope of its text lines), using each region's own thickness rather than the height
 * of its axis-aligned rectangle, which a tilted long line inflates.
 */
export type Rect = [x: number, y: number, width: number, height: number];

export type RecognizedRegion = {
  text: string;
  confidence: number;
  /** One probability per character of `text` (ctc.ts). */
  chars?: readonly number[];
  /** Second choices of the doubtful characters, `[index in text, character, probability]` (ctc.ts). */
  alternatives?: readonly (readonly [number, string, number])[];
  /** Digits-only readings of its numbers, by position in `text` (numberReadings.ts). */
  numbers?: readonly NumberReading[];
  /** Axis-aligned rectangle, reported with the line. */
  rect: Rect;
  /** Centre and thickness (across the text) of the region's own, possibly tilted, box; default: from `rect`. */
  centre?: [x: number, y: number];
  thickness?: number;
};

/** `chars`: one probability per character of `text`, when every region of the line had them. */
export type OcrLine = {
  text: string;
  confidence: number;
  chars?: number[];
  alternatives?: [number, string, number][];
  numbers?: NumberReading[];
  box: Rect;
};

export type ReadingOrderOptions = {
  /** Two regions share a line when their vertical overlap is at least this share of the thinner one. */
  sameLine: number;
  /**
   * Regions are joined with a space unless they overlap horizontally by more than this share of
   * the line height: detected boxes are padded (unclipped) by about a third of the text height on
   * each side, so neighbouring words overlap a little, and fragments of one word overlap a lot.
   */
  joinOverlap: number;
  /**
   * A gap wider than this many line heights splits a line. Label-to-colon gaps reach about 6
   * box heights on a KTP (`NIK` … `:`); from a short value to the text under the photo it is
   * 10 or more.
   */
  maxGap: number;
};

export const DEFAULT_READING_ORDER: ReadingOrderOptions = { sameLine: 0.5, joinOverlap: 0.5, maxGap: 8 };

/** A region placed on the de-skewed page: `level` is its vertical centre there. */
type Placed = { region: RecognizedRegion; level: number; thickness: number };

type Line = { parts: Placed[]; level: number };

/** `skew`: the page's text slope (dy/dx); 0 for a level page. */
export function orderLines(
  regions: readonly RecognizedRegion[],
  options: ReadingOrderOptions = DEFAULT_READING_ORDER,
  skew = 0,
): OcrLine[] {
  const placed = regions.map((region): Placed => {
    const [x, y] = region.centre ?? [region.rect[0] + region.rect[2] / 2, region.rect[1] + region.rect[3] / 2];
    return { region, level: y - skew * x, thickness: region.thickness ?? region.rect[3] };
  });
  placed.sort((a, b) => a.level - b.level);

  const lines: Line[] = [];
  for (const part of placed) {
    let bestLine: Line | undefined;
    let bestOverlap = 0;
    for (const line of lines) {
      // Compare with the line's part nearest in x: it is the best guide where the line runs.
      const overlap = verticalOverlap(nearestInX(line.parts, part.region.rect), part);
      if (overlap >= options.sameLine && overlap > bestOverlap) {
        bestOverlap = overlap;
        bestLine = line;
      }
    }
    if (bestLine) {
      bestLine.parts.push(part);
      bestLine.level = meanLevel(bestLine.parts);
    } else {
      lines.push({ parts: [part], level: part.level });
    }
  }
  return lines
    .flatMap((line) => splitAtWideGaps(line, options.maxGap))
    .sort((a, b) => a.level - b.level || leftOf(a) - leftOf(b))
    .map((line) =>
      joinLine(
        line.parts.map((part) => part.region),
        options,
      ),
    );
}

function splitAtWideGaps(line: Line, maxGap: number): Line[] {
  const ordered = [...line.parts].sort((a, b) => a.region.rect[0] - b.region.rect[0]);
  const height = ordered.reduce((sum, part) => sum + part.thickness, 0) / ordered.length;
  const pieces: Placed[][] = [];
  let right = Number.NEGATIVE_INFINITY;
  for (const part of ordered) {
    const current = pieces.at(-1);
    const [x, , width] = part.region.rect;
    if (!current || x - right > maxGap * height) pieces.push([part]);
    else current.push(part);
    right = Math.max(right, x + width);
  }
  if (pieces.length === 1) return [line];
  // The pieces stay one row: same level, so the sort puts them left to right (a short label such as
  // `Nama` before its far-off `: value`), not by the few pixels their own centres differ.
  return pieces.map((parts) => ({ parts, level: line.level }));
}

function joinLine(regions: RecognizedRegion[], options: ReadingOrderOptions): OcrLine {
  const ordered = [...regions].sort((a, b) => a.rect[0] - b.rect[0]);
  const height = ordered.reduce((sum, region) => sum + (region.thickness ?? region.rect[3]), 0) / ordered.length;
  let text = '';
  let chars: number[] | undefined = [];
  const alternatives: [number, string, number][] = [];
  const numbers: NumberReading[] = [];
  let weighted = 0;
  let characters = 0;
  let previousRight = Number.NEGATIVE_INFINITY;
  for (const region of ordered) {
    if (text.length > 0) {
      const gap = region.rect[0] - previousRight;
      if (gap > -options.joinOverlap * height) {
        text += ' ';
        chars?.push(1);
      }
    }
    for (const [index, character, probability] of region.alternatives ?? [])
      alternatives.push([text.length + index, character, probability]);
    for (const number of region.numbers ?? [])
      numbers.push({ ...number, start: text.length + number.start, end: text.length + number.end });
    text += region.text;
    chars = region.chars?.length === region.text.length ? chars?.concat(region.chars) : undefined;
    weighted += region.confidence * region.text.length;
    characters += region.text.length;
    previousRight = Math.max(previousRight, region.rect[0] + region.rect[2]);
  }
  const left = Math.min(...ordered.map((r) => r.rect[0]));
  const top = Math.min(...ordered.map((r) => r.rect[1]));
  const right = Math.max(...ordered.map((r) => r.rect[0] + r.rect[2]));
  const bottom = Math.max(...ordered.map((r) => r.rect[1] + r.rect[3]));
  return {
    text,
    confidence: characters > 0 ? weighted / characters : 0,
    ...(chars ? { chars } : {}),
    ...(alternatives.length > 0 ? { alternatives } : {}),
    ...(numbers.length > 0 ? { numbers } : {}),
    box: [left, top, right - left, bottom - top],
  };
}

const meanLevel = (parts: readonly Placed[]) => parts.reduce((sum, part) => sum + part.level, 0) / parts.length;

const leftOf = (line: Line) => Math.min(...line.parts.map((part) => part.region.rect[0]));

function verticalOverlap(a: Placed, b: Placed): number {
  const overlap =
    Math.min(a.level + a.thickness / 2, b.level + b.thickness / 2) -
    Math.max(a.level - a.thickness / 2, b.level - b.thickness / 2);
  return overlap / Math.max(1e-6, Math.min(a.thickness, b.thickness));
}

function nearestInX(parts: readonly Placed[], rect: Rect): Placed {
  let nearest = parts[0] as Placed;
  let nearestDistance = Number.POSITIVE_INFINITY;
  for (const part of parts) {
    const [x, , width] = part.region.rect;
    const distance = Math.max(0, x - (rect[0] + rect[2]), rect[0] - (x + width));
    if (distance < nearestDistance) {
      nearestDistance = distance;
      nearest = part;
    }
  }
  return nearest;
}
