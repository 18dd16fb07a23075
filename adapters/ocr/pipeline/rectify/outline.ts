import type { Raster } from '../../raster.ts';
import type { TextBox } from '../detection/textBox.ts';
import type { Point, Quad } from './homography.ts';
import type { RectifyOptions } from './rectify.ts';

/**
 * The search for a card's outline around its text (pure). The image around the text is resampled
 * on a grid turned with the lines; each side is searched on it for the nearest straight line, clear
 * of the text and within a limited turn, over which the brightness steps the same way all along
 * the text; an outline with the card's own colours beyond a side is refused (see rectify.ts).
 */

/** The text's direction: a unit vector along its lines. */
export type Direction = { ux: number; uy: number };
/** The text's bounds along the lines (a) and across them (b), from the origin of the image. */
export type Extent = { a0: number; a1: number; b0: number; b1: number };

/** A single pixel's contribution to an edge's mean step is capped here: a few strong specks are no edge. */
const STEP_CAP = 48;
/** A grey image resampled on a grid turned with the text: point (i, j) is at a = a0 + i·step, b = b0 + j·step. */
type Grid = {
  grey: Float32Array;
  valid: Uint8Array;
  columns: number;
  rows: number;
  a0: number;
  b0: number;
  step: number;
};

/** The outline of the card whose text is `lines`, as four corners in the image, or null. */
export function findOutline(
  image: Raster,
  direction: Direction,
  extent: Extent,
  lines: readonly TextBox[],
  options: RectifyOptions,
): Quad | null {
  const width = extent.a1 - extent.a0;
  const height = extent.b1 - extent.b0;
  if (!(width > 0 && height > 0)) return null;
  const reachA = options.reach * width;
  const reachB = options.reach * Math.max(height, width / options.cardAspect);
  const spanA = width + 2 * reachA;
  const spanB = height + 2 * reachB;
  const side = Math.max(8, Math.min(1000, Math.round(options.grid)));
  const step = Math.max(spanA / side, spanB / side, 0.5);
  const grid = sampleGrid(image, direction, extent.a0 - reachA, extent.b0 - reachB, step, spanA, spanB, side);
  const text = textOnGrid(grid, direction, lines);
  // The text's bounds on the grid.
  const left = (extent.a0 - grid.a0) / step;
  const right = (extent.a1 - grid.a0) / step;
  const top = (extent.b0 - grid.b0) / step;
  const bottom = (extent.b1 - grid.b0) / step;
  const across = stepsAcross(grid, 'across');
  const along = stepsAcross(grid, 'along');
  const sides = {
    top: nearestEdges(
      { grid, steps: across, text, kind: 'across', from: top, outwards: -1, span: [left, right] },
      options,
    ),
    bottom: nearestEdges(
      { grid, steps: across, text, kind: 'across', from: bottom, outwards: 1, span: [left, right] },
      options,
    ),
    left: nearestEdges(
      { grid, steps: along, text, kind: 'along', from: left, outwards: -1, span: [top, bottom] },
      options,
    ),
    right: nearestEdges(
      { grid, steps: along, text, kind: 'along', from: right, outwards: 1, span: [top, bottom] },
      options,
    ),
  };
  let best: { quad: Quad; score: number } | null = null;
  for (const polarity of ['bright', 'dark'] as const) {
    const topEdge = sides.top[polarity];
    const bottomEdge = sides.bottom[polarity];
    const leftEdge = sides.left[polarity];
    const rightEdge = sides.right[polarity];
    if (!topEdge || !bottomEdge || !leftEdge || !rightEdge) continue;
    const score = topEdge.strength + bottomEdge.strength + leftEdge.strength + rightEdge.strength;
    if (best && best.score >= score) continue;
    const corners = [
      crossing(topEdge, leftEdge),
      crossing(topEdge, rightEdge),
      crossing(bottomEdge, rightEdge),
      crossing(bottomEdge, leftEdge),
    ];
    if (corners.some((corner) => !corner)) continue;
    const edges = [
      { edge: topEdge, outwards: -1, span: [left, right] },
      { edge: bottomEdge, outwards: 1, span: [left, right] },
      { edge: leftEdge, outwards: -1, span: [top, bottom] },
      { edge: rightEdge, outwards: 1, span: [top, bottom] },
    ] as const;
    if (!surroundingsAgree(image, grid, direction, edges)) continue;
    const quad = (corners as Point[]).map(([i, j]) => toImage(grid, direction, i, j)) as unknown as Quad;
    best = { quad, score };
  }
  return best?.quad ?? null;
}

type Colour = [number, number, number];

/**
 * Whether what lies just beyond each edge looks like the surroundings rather than like the card:
 * an edge on the card itself (a photo's side, a printed band) has the card's colours beyond it, the
 * card's own edge has the table's, as the other edges do. A side whose outside is nearer in colour
 * to the card just inside the edges than to the outsides of the other three fails; a side with no
 * pixels beyond it (the frame ends there) says nothing.
 */
function surroundingsAgree(
  image: Raster,
  grid: Grid,
  direction: Direction,
  edges: readonly { edge: Edge; outwards: -1 | 1; span: readonly [number, number] }[],
): boolean {
  const bands = edges.map(({ edge, outwards, span }) => ({
    outside: meanColour(image, grid, direction, edge, outwards, span),
    inside: meanColour(image, grid, direction, edge, -outwards as -1 | 1, span),
  }));
  const insides = bands.flatMap(({ inside }) => (inside ? [inside] : []));
  if (insides.length === 0) return false;
  const card = averageColour(insides);
  return bands.every(({ outside }, index) => {
    if (!outside) return true;
    const others = bands.flatMap((band, at) => (at !== index && band.outside ? [band.outside] : []));
    if (others.length === 0) return true;
    return colourDistance(outside, averageColour(others)) <= colourDistance(outside, card);
  });
}

/** Points from this many to this many grid steps off an edge make the band whose colour is taken. */
const BAND = [2, 5] as const;

/** The mean colour of the band beside `edge` on the side `towards`, over its span; null if off the image. */
function meanColour(
  image: Raster,
  grid: Grid,
  direction: Direction,
  edge: Edge,
  towards: -1 | 1,
  [s0, s1]: readonly [number, number],
): Colour | null {
  const { data, width, height } = image;
  const sum: Colour = [0, 0, 0];
  let count = 0;
  for (let s = Math.floor(s0); s <= s1; s += 2) {
    const t = edge.offset + edge.slope * (s - edge.pivot);
    for (let d = BAND[0]; d <= BAND[1]; d++) {
      const [x, y] =
        edge.kind === 'across'
          ? toImage(grid, direction, s, t + towards * d)
          : toImage(grid, direction, t + towards * d, s);
      const px = Math.floor(x);
      const py = Math.floor(y);
      if (!(px >= 0 && py >= 0 && px < width && py < height)) continue;
      const at = (py * width + px) * 3;
      sum[0] += data[at] as number;
      sum[1] += data[at + 1] as number;
      sum[2] += data[at + 2] as number;
      count++;
    }
  }
  return count > 0 ? [sum[0] / count, sum[1] / count, sum[2] / count] : null;
}

function averageColour(colours: readonly Colour[]): Colour {
  const sum: Colour = [0, 0, 0];
  for (const [r, g, b] of colours) {
    sum[0] += r;
    sum[1] += g;
    sum[2] += b;
  }
  return [sum[0] / colours.length, sum[1] / colours.length, sum[2] / colours.length];
}

function colourDistance(a: Colour, b: Colour): number {
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

function sampleGrid(
  image: Raster,
  { ux, uy }: Direction,
  a0: number,
  b0: number,
  step: number,
  spanA: number,
  spanB: number,
  side: number,
): Grid {
  const columns = Math.max(2, Math.min(side, Math.ceil(spanA / step)));
  const rows = Math.max(2, Math.min(side, Math.ceil(spanB / step)));
  const grey = new Float32Array(columns * rows);
  const valid = new Uint8Array(columns * rows);
  const { data, width, height } = image;
  // Points further apart than a pixel average a neighbourhood, not one pixel: speckle and JPEG noise
  // would otherwise alias into the edge search. At most 5 × 5 pixels, whatever the step.
  const radius = Math.min(2, Math.max(0, Math.floor(step / 2)));
  for (let j = 0; j < rows; j++) {
    const b = b0 + j * step;
    for (let i = 0; i < columns; i++) {
      const a = a0 + i * step;
      const px = Math.round(a * ux - b * uy - 0.5);
      const py = Math.round(a * uy + b * ux - 0.5);
      if (px < 0 || py < 0 || px >= width || py >= height) continue;
      let sum = 0;
      let count = 0;
      for (let yy = Math.max(0, py - radius); yy <= Math.min(height - 1, py + radius); yy++) {
        for (let xx = Math.max(0, px - radius); xx <= Math.min(width - 1, px + radius); xx++) {
          const at = (yy * width + xx) * 3;
          sum += 0.299 * (data[at] as number) + 0.587 * (data[at + 1] as number) + 0.114 * (data[at + 2] as number);
          count++;
        }
      }
      grey[j * columns + i] = sum / count;
      valid[j * columns + i] = 1;
    }
  }
  return { grey, valid, columns, rows, a0, b0, step };
}

/**
 * Where the text lies on the grid, as its bounds per column (`top`, `bottom`: the smallest and
 * largest row any box covers there) and per row (`left`, `right`); NaN where there is none. An
 * edge may not cross them.
 */
type TextBounds = { top: Float32Array; bottom: Float32Array; left: Float32Array; right: Float32Array };

function textOnGrid(grid: Grid, { ux, uy }: Direction, lines: readonly TextBox[]): TextBounds {
  const bounds: TextBounds = {
    top: new Float32Array(grid.columns).fill(Number.NaN),
    bottom: new Float32Array(grid.columns).fill(Number.NaN),
    left: new Float32Array(grid.rows).fill(Number.NaN),
    right: new Float32Array(grid.rows).fill(Number.NaN),
  };
  const widen = (low: Float32Array, high: Float32Array, at: number, from: number, to: number) => {
    if (at < 0 || at >= low.length) return;
    const l = low[at] as number;
    const h = high[at] as number;
    low[at] = Number.isNaN(l) ? from : Math.min(l, from);
    high[at] = Number.isNaN(h) ? to : Math.max(h, to);
  };
  for (const box of lines) {
    // The box's corners on the grid.
    const corners = [
      [-1, -1],
      [1, -1],
      [1, 1],
      [-1, 1],
    ].map(([along, across]) => {
      const x =
        box.cx + (((along as number) * box.length) / 2) * box.ux - (((across as number) * box.thickness) / 2) * box.uy;
      const y =
        box.cy + (((along as number) * box.length) / 2) * box.uy + (((across as number) * box.thickness) / 2) * box.ux;
      return [(x * ux + y * uy - grid.a0) / grid.step, (-x * uy + y * ux - grid.b0) / grid.step] as const;
    });
    // Each column the box spans gets the rows its outline spans there (sampled along the outline).
    for (let k = 0; k < 4; k++) {
      const [i0, j0] = corners[k] as readonly [number, number];
      const [i1, j1] = corners[(k + 1) % 4] as readonly [number, number];
      const reach = Math.max(Math.abs(i1 - i0), Math.abs(j1 - j0));
      const samples = Math.min(2 * (grid.columns + grid.rows), Math.ceil(reach) + 1);
      for (let n = 0; n <= samples; n++) {
        const i = i0 + ((i1 - i0) * n) / samples;
        const j = j0 + ((j1 - j0) * n) / samples;
        widen(bounds.top, bounds.bottom, Math.round(i), j, j);
        widen(bounds.left, bounds.right, Math.round(j), i, i);
      }
    }
  }
  return bounds;
}

/**
 * A straight edge on the grid: for `across` edges (top, bottom) j = offset + slope·(i − pivot), for
 * `along` edges (left, right) i = offset + slope·(j − pivot).
 */
type Edge = { kind: 'across' | 'along'; offset: number; slope: number; pivot: number; strength: number };

type Side = {
  grid: Grid;
  /** The grey step across this side's lines at each grid point (stepsAcross). */
  steps: Float32Array;
  text: TextBounds;
  kind: Edge['kind'];
  /** The text's bound on this side, and which way is away from the text. */
  from: number;
  outwards: -1 | 1;
  /** The text's extent along this side: an edge is scored over it. */
  span: readonly [number, number];
};

/**
 * The edges nearest the text on one side of it, for either polarity (bright: the card brighter than
 * what lies around it). Going outwards from the text, lines of every slope that do not cross the
 * text are scored by their mean grey step into the card; the first that steps by `minContrast` on
 * average, and by half that over `minCover` of its length (the edge of a photo on the card is
 * shorter than the card's), starts the edge, whose peak is the best line of the next offsets.
 */
function nearestEdges(side: Side, options: RectifyOptions): { bright: Edge | null; dark: Edge | null } {
  const { grid, kind, outwards, span } = side;
  const length = kind === 'across' ? grid.rows : grid.columns;
  const breadth = kind === 'across' ? grid.columns : grid.rows;
  const s0 = Math.max(0, Math.floor(span[0]));
  const s1 = Math.min(breadth - 1, Math.ceil(span[1]));
  const found = { bright: null as Edge | null, dark: null as Edge | null };
  if (s1 - s0 < 4) return found;
  const pivot = (s0 + s1) / 2;
  const slopes = slopeSteps(options.maxSlope, (s1 - s0) / 2);
  // From inside the text's bound, where a sloping line may still pass clear of the text, outwards.
  const start = Math.round(side.from - outwards * options.maxSlope * ((s1 - s0) / 2));
  const last = outwards < 0 ? 1 : length - 2;
  const offsets: number[] = [];
  for (
    let offset = Math.min(length - 2, Math.max(1, start));
    outwards < 0 ? offset >= last : offset <= last;
    offset += outwards
  ) {
    offsets.push(offset);
  }
  const clearOfText = clearOffsets(side, slopes, pivot);
  const rows: LineScores[] = [];
  const scoresAt = (o: number): LineScores => {
    for (let next = rows.length; next <= o; next++) {
      rows.push(lineScores(side, offsets[next] as number, slopes, clearOfText, pivot, s0, s1, options.minContrast / 2));
    }
    return rows[o] as LineScores;
  };
  const cover = options.minCover * Math.ceil((s1 - s0 + 1) / 2);
  // The best line at offset o for a polarity: [its mean step into the card, its slope's index].
  const bestAt = (o: number, sign: 1 | -1, needCover: boolean): [number, number] => {
    const row = scoresAt(o);
    let best = Number.NEGATIVE_INFINITY;
    let bestK = -1;
    for (let k = 0; k < slopes.length; k++) {
      const mean = sign * (row.mean[k] as number);
      if (!(mean > best)) continue; // NaN: the line crosses the text
      if (needCover && (sign > 0 ? (row.rising[k] as number) : (row.falling[k] as number)) < cover) continue;
      best = mean;
      bestK = k;
    }
    return [best, bestK];
  };
  // Both polarities are looked for in one pass outwards; once one is found the other is looked for
  // only half as far again: a card's edge is the nearest, not one far out on the table.
  const signs = { bright: -outwards as 1 | -1, dark: outwards as 1 | -1 };
  let stop = offsets.length;
  for (let o = 0; o < Math.min(stop, offsets.length); o++) {
    for (const polarity of ['bright', 'dark'] as const) {
      if (found[polarity]) continue;
      const sign = signs[polarity];
      let [peak, peakK] = bestAt(o, sign, true);
      if (peakK < 0 || peak < options.minContrast) continue;
      // Climb to the peak: an edge blurred over a few points first clears the threshold on its flank.
      let peakO = o;
      for (let next = o + 1; next < offsets.length; next++) {
        const [value, k] = bestAt(next, sign, false);
        if (k < 0 || value <= peak) break;
        peak = value;
        peakO = next;
        peakK = k;
      }
      found[polarity] = finerEdge(
        side,
        {
          kind,
          offset: offsets[peakO] as number,
          slope: slopes[peakK] as number,
          pivot,
          strength: peak,
        },
        slopes,
        sign,
        [s0, s1],
        options,
      );
      stop = Math.min(stop, Math.round(1.5 * o) + 4);
    }
  }
  return found;
}

/**
 * For each slope, the offset a line must reach (going outwards) to pass clear of the text by a grid
 * point: beyond the text's bound at every point of its breadth.
 */
function clearOffsets({ text, kind, outwards }: Side, slopes: readonly number[], pivot: number): Float32Array {
  const bound = kind === 'across' ? (outwards < 0 ? text.top : text.bottom) : outwards < 0 ? text.left : text.right;
  return Float32Array.from(slopes, (slope) => {
    let clear = outwards < 0 ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    for (let s = 0; s < bound.length; s++) {
      const b = bound[s] as number;
      if (Number.isNaN(b)) continue;
      const needed = b + outwards - slope * (s - pivot);
      clear = outwards < 0 ? Math.min(clear, needed) : Math.max(clear, needed);
    }
    return clear;
  });
}

/** Slopes from −max to max, one step turning the line's ends by about two grid points. */
function slopeSteps(maxSlope: number, halfSpan: number): number[] {
  const increment = Math.max(0.008, 2 / Math.max(1, halfSpan));
  const count = Math.min(100, Math.floor(maxSlope / increment));
  return Array.from({ length: 2 * count + 1 }, (_, index) => (index - count) * increment);
}

/**
 * The grey difference across `kind` lines at each grid point (the next point minus the previous one
 * in the direction of growing offset), capped; NaN where either has no pixel.
 */
function stepsAcross(grid: Grid, kind: Edge['kind']): Float32Array {
  const { grey, valid, columns, rows } = grid;
  const steps = new Float32Array(columns * rows).fill(Number.NaN);
  const stride = kind === 'across' ? columns : 1;
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < columns; i++) {
      const inside = kind === 'across' ? j > 0 && j < rows - 1 : i > 0 && i < columns - 1;
      if (!inside) continue;
      const at = j * columns + i;
      if (!valid[at - stride] || !valid[at + stride]) continue;
      const difference = (grey[at + stride] as number) - (grey[at - stride] as number);
      steps[at] = Math.max(-STEP_CAP, Math.min(STEP_CAP, difference));
    }
  }
  return steps;
}

/**
 * For the lines at one offset, one per slope: the mean step over the span (points off the image
 * count as none; NaN for a line that crosses the text) and at how many points it rises or falls by
 * at least `clear`.
 */
type LineScores = { mean: Float32Array; rising: Uint16Array; falling: Uint16Array };

function lineScores(
  side: Side,
  offset: number,
  slopes: readonly number[],
  clearOfText: Float32Array,
  pivot: number,
  s0: number,
  s1: number,
  clear: number,
): LineScores {
  const { grid, steps, kind } = side;
  const { columns, rows } = grid;
  const limit = kind === 'across' ? rows : columns;
  const scores: LineScores = {
    mean: new Float32Array(slopes.length),
    rising: new Uint16Array(slopes.length),
    falling: new Uint16Array(slopes.length),
  };
  for (let k = 0; k < slopes.length; k++) {
    const slope = slopes[k] as number;
    if (side.outwards * (offset - (clearOfText[k] as number)) < 0) {
      scores.mean[k] = Number.NaN;
      continue;
    }
    let sum = 0;
    let rising = 0;
    let falling = 0;
    // Every other point: an edge is long, and this is the search's inner loop.
    for (let s = s0; s <= s1; s += 2) {
      const t = Math.round(offset + slope * (s - pivot));
      if (t < 0 || t >= limit) continue;
      const value = steps[kind === 'across' ? t * columns + s : s * columns + t] as number;
      if (Number.isNaN(value)) continue;
      sum += value;
      if (value >= clear) rising++;
      else if (value <= -clear) falling++;
    }
    scores.mean[k] = sum / Math.ceil((s1 - s0 + 1) / 2);
    scores.rising[k] = rising;
    scores.falling[k] = falling;
  }
  return scores;
}

/**
 * The edge found on the coarse steps of slope, made finer: slopes a quarter of a step apart around
 * it at its offset and the two beside it, and the offset to a fraction of a grid point from the
 * parabola through the best line's neighbours.
 */
function finerEdge(
  side: Side,
  coarse: Edge,
  slopes: readonly number[],
  sign: 1 | -1,
  [s0, s1]: readonly [number, number],
  options: RectifyOptions,
): Edge {
  const increment = slopes.length > 1 ? (slopes[1] as number) - (slopes[0] as number) : 0;
  const fine = [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1]
    .map((share) => coarse.slope + share * increment)
    .filter((slope) => Math.abs(slope) <= options.maxSlope + 1e-9);
  const clearOfText = clearOffsets(side, fine, coarse.pivot);
  const score = (offset: number) => lineScores(side, offset, fine, clearOfText, coarse.pivot, s0, s1, 0).mean;
  const rows = [-1, 0, 1].map((shift) => score(coarse.offset + shift));
  let bestK = -1;
  let best = Number.NEGATIVE_INFINITY;
  const middle = rows[1] as Float32Array;
  for (let k = 0; k < fine.length; k++) {
    const value = sign * (middle[k] as number);
    if (value > best) {
      best = value;
      bestK = k;
    }
  }
  if (bestK < 0) return coarse;
  const value = (row: Float32Array) => {
    const mean = sign * (row[bestK] as number);
    return Number.isNaN(mean) ? 0 : mean;
  };
  const before = value(rows[0] as Float32Array);
  const after = value(rows[2] as Float32Array);
  const curvature = before - 2 * best + after;
  const shift = curvature < 0 ? Math.max(-0.5, Math.min(0.5, (before - after) / (2 * curvature))) : 0;
  return { ...coarse, offset: coarse.offset + shift, slope: fine[bestK] as number, strength: best };
}

/** Where an `across` edge meets an `along` edge, in grid coordinates (i, j). */
function crossing(across: Edge, along: Edge): Point | null {
  // j = oA + sA (i − pA);  i = oB + sB (j − pB)
  const denominator = 1 - across.slope * along.slope;
  if (Math.abs(denominator) < 1e-6) return null;
  const j = (across.offset + across.slope * (along.offset - along.slope * along.pivot - across.pivot)) / denominator;
  const i = along.offset + along.slope * (j - along.pivot);
  return Number.isFinite(i) && Number.isFinite(j) ? [i, j] : null;
}

function toImage(grid: Grid, { ux, uy }: Direction, i: number, j: number): Point {
  const a = grid.a0 + i * grid.step;
  const b = grid.b0 + j * grid.step;
  return [a * ux - b * uy, a * uy + b * ux];
}
