import type { Rect } from '../readingOrder.ts';
import type { TextBox } from './textBox.ts';

/**
 * Finds the card in a photo from the text the detector found on the whole frame, so a card lying
 * small on a table or held in a hand can be cut out and read again at a useful scale.
 *
 * A card's lines sit close together, a few line heights apart at most, while what else a photo
 * holds (a table's grain, a keyboard, a second paper further away) is apart from it. So the boxes
 * are linked when the gap between them is under a few typical line heights, and the group with the
 * most text area is the card. Its bounds are widened by the card's own margins: the text of a KTP
 * or NPWP stops well inside the card (photo, signature, rounded corners), and a crop that is too
 * generous costs a little scale while one that is too tight cuts text.
 */
export type CardRegionOptions = {
  /** Boxes closer than this many median line heights belong to the same group. */
  linkGap: number;
  /**
   * The group's bounds are pushed out by these shares of its size: more along the lines than across
   * them, because what a first look at a small card misses is whole columns (the labels, the
   * issuing place under the photo), not rows.
   */
  marginAlong: number;
  marginAcross: number;
  /** A region larger than this share of the frame is not worth cutting out: the frame is read as it is. */
  maxShare: number;
  /** At most this many boxes (the largest) are grouped: a noisy background must not make grouping slow. */
  maxBoxes: number;
};

export const DEFAULT_CARD_REGION_OPTIONS: CardRegionOptions = {
  linkGap: 2.5,
  marginAlong: 0.5,
  marginAcross: 0.2,
  maxShare: 0.55,
  maxBoxes: 400,
};

/** At least this many lines make a card; fewer is a stray word, not something to zoom on. */
const MIN_LINES = 3;

/**
 * The part of a `width` × `height` frame to read again, or null when the text already fills enough
 * of the frame (or there is too little text to tell where a card is). Whole pixels, inside the frame.
 */
export function findCardRegion(
  boxes: readonly TextBox[],
  width: number,
  height: number,
  options: CardRegionOptions = DEFAULT_CARD_REGION_OPTIONS,
): Rect | null {
  const usable = boxes
    .filter((box) => Number.isFinite(box.cx + box.cy + box.length + box.thickness) && box.thickness > 0)
    .sort((a, b) => b.length * b.thickness - a.length * a.thickness)
    .slice(0, options.maxBoxes);
  if (usable.length < MIN_LINES) return null;

  const rects = usable.map(extent);
  const lineHeight = median(usable.map((box) => Math.min(box.length, box.thickness)));
  const reach = options.linkGap * lineHeight;
  const group = largestGroup(rects, reach, (index) => usable[index]?.length ?? 0);
  if (group.length < MIN_LINES) return null;

  let left = Number.POSITIVE_INFINITY;
  let top = Number.POSITIVE_INFINITY;
  let right = Number.NEGATIVE_INFINITY;
  let bottom = Number.NEGATIVE_INFINITY;
  for (const index of group) {
    const [x, y, w, h] = rects[index] as Rect;
    left = Math.min(left, x);
    top = Math.min(top, y);
    right = Math.max(right, x + w);
    bottom = Math.max(bottom, y + h);
  }
  // Lines mostly running down the frame: the card lies on its side.
  const sideways = linesRunDown(group.map((index) => usable[index] as TextBox));
  const padX = (right - left) * (sideways ? options.marginAcross : options.marginAlong);
  const padY = (bottom - top) * (sideways ? options.marginAlong : options.marginAcross);
  const x0 = Math.max(0, Math.floor(left - padX));
  const y0 = Math.max(0, Math.floor(top - padY));
  const x1 = Math.min(width, Math.ceil(right + padX));
  const y1 = Math.min(height, Math.ceil(bottom + padY));
  if (x1 <= x0 || y1 <= y0) return null;
  if ((x1 - x0) * (y1 - y0) > options.maxShare * width * height) return null;
  return [x0, y0, x1 - x0, y1 - y0];
}

/**
 * The first look at the whole frame may have missed part of a small card's text (a column of
 * labels, say, when the card is turned). When text found in the cut-out runs up to one of its sides,
 * the card goes on past it: `region` grown on those sides by `marginAcross` of its size, within the frame.
 * Null when no text reaches a side that the frame does not end at.
 */
export function widenedRegion(
  region: Rect,
  boxesInRegion: readonly TextBox[],
  width: number,
  height: number,
  options: CardRegionOptions = DEFAULT_CARD_REGION_OPTIONS,
): Rect | null {
  const [x, y, w, h] = region;
  const rects = boxesInRegion
    .filter((box) => Number.isFinite(box.cx + box.cy + box.length + box.thickness) && box.thickness > 0)
    .map(extent);
  if (rects.length === 0) return null;
  const lineHeight = median(rects.map((rect) => Math.min(rect[2], rect[3])));
  const near = Math.max(2, lineHeight);
  const reaches = (side: (rect: Rect) => boolean) => rects.some(side);
  const growX = w * options.marginAcross;
  const growY = h * options.marginAcross;
  const left = x > 0 && reaches((rect) => rect[0] <= near) ? Math.max(0, Math.floor(x - growX)) : x;
  const top = y > 0 && reaches((rect) => rect[1] <= near) ? Math.max(0, Math.floor(y - growY)) : y;
  const right =
    x + w < width && reaches((rect) => rect[0] + rect[2] >= w - near)
      ? Math.min(width, Math.ceil(x + w + growX))
      : x + w;
  const bottom =
    y + h < height && reaches((rect) => rect[1] + rect[3] >= h - near)
      ? Math.min(height, Math.ceil(y + h + growY))
      : y + h;
  if (left === x && top === y && right === x + w && bottom === y + h) return null;
  return [left, top, right - left, bottom - top];
}

/** Whether most of the text's length runs closer to vertical than horizontal. */
function linesRunDown(boxes: readonly TextBox[]): boolean {
  let down = 0;
  let across = 0;
  for (const box of boxes) {
    if (box.length < 1.5 * box.thickness) continue;
    if (Math.abs(box.uy) > Math.abs(box.ux)) down += box.length;
    else across += box.length;
  }
  return down > across;
}

/** The axis-aligned rectangle around a possibly turned box. */
function extent(box: TextBox): Rect {
  const halfX = (Math.abs(box.ux) * box.length + Math.abs(box.uy) * box.thickness) / 2;
  const halfY = (Math.abs(box.uy) * box.length + Math.abs(box.ux) * box.thickness) / 2;
  return [box.cx - halfX, box.cy - halfY, 2 * halfX, 2 * halfY];
}

/** Indexes of the linked group of `rects` with the largest total `weight`. */
function largestGroup(rects: readonly Rect[], reach: number, weight: (index: number) => number): number[] {
  const parent = rects.map((_, index) => index);
  const root = (index: number): number => {
    let at = index;
    while (parent[at] !== at) {
      parent[at] = parent[parent[at] as number] as number;
      at = parent[at] as number;
    }
    return at;
  };
  for (let i = 0; i < rects.length; i++) {
    for (let j = i + 1; j < rects.length; j++) {
      if (gap(rects[i] as Rect, rects[j] as Rect) <= reach) parent[root(i)] = root(j);
    }
  }
  const totals = new Map<number, { weight: number; members: number[] }>();
  rects.forEach((_, index) => {
    const group = totals.get(root(index)) ?? { weight: 0, members: [] };
    group.weight += weight(index);
    group.members.push(index);
    totals.set(root(index), group);
  });
  let best: number[] = [];
  let bestWeight = -1;
  for (const group of totals.values()) {
    if (group.weight > bestWeight) {
      bestWeight = group.weight;
      best = group.members;
    }
  }
  return best;
}

/** Distance between two rectangles (0 when they overlap). */
function gap(a: Rect, b: Rect): number {
  const dx = Math.max(0, a[0] - (b[0] + b[2]), b[0] - (a[0] + a[2]));
  const dy = Math.max(0, a[1] - (b[1] + b[3]), b[1] - (a[1] + a[3]));
  return Math.hypot(dx, dy);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}
