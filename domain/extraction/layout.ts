/**
 * Where the lines of a KTP sit on the card, from the boxes the OCR gives each line (axis-aligned
 * [x, y, width, height] in the upright image's pixels). A KTP prints its labels in one column, the
 * values in a second one, and under the photo, on the right, the place and date of issue. Reading
 * by text alone, the recogniser's reading order glued that place and date onto the occupation and let
 * the address swallow the next rows; the geometry tells them apart.
 *
 * Everything is measured in the card's own units, so it holds at any image size: positions across
 * the card are counted in row pitches from the label column, positions down the card in rows from
 * the `Nama` row. The page is upright to a quarter turn (the OCR undid that), but a photo leaves a
 * small tilt: the skew is found as the angle that lines up the left edges of the labelled lines,
 * and every box is measured after undoing it.
 */

/** [x, y, width, height] as the OCR gives it. */
export type LineBox = readonly [number, number, number, number];

/** A line placed on the de-skewed card. */
export type Placed = {
  /** Left and right edges, in row pitches from the label column. */
  left: number;
  right: number;
  /** Vertical centre, in rows from the `Nama` row (0); the NIK row is about -1.2. */
  row: number;
};

export type Layout = {
  /** One entry per line; null where the line had no usable box. */
  lines: readonly (Placed | null)[];
  /** The row pitch in pixels (for diagnostics and tests). */
  pitch: number;
  /** The skew that was undone, in degrees (clockwise positive). */
  skewDegrees: number;
};

/** A labelled line whose label starts the line: its row in the printed order. */
export type Anchor = { line: number; row: number };

/**
 * The printed rows of a KTP, from `Nama` (0) down. The NIK sits above them at a larger pitch and
 * lines up the skew, but not the rows.
 */
export const KTP_ROWS = [
  'nama',
  'ttl',
  'jenis_kelamin',
  'alamat',
  'rt_rw',
  'kel_desa',
  'kecamatan',
  'agama',
  'status_perkawinan',
  'pekerjaan',
  'kewarganegaraan',
  'berlaku_hingga',
] as const;

/**
 * Left edges further right than this many pitches from the label column are in the photo column.
 * Labels start at 0, the values at about 9 (e-KTP and the generator alike), the text under the photo
 * at about 22; a value wider than its column is clipped before the photo.
 */
export const PHOTO_COLUMN_LEFT = 15;
/** Left edges under this many pitches are in the label column (RT/RW, Kel/Desa are indented by about 1). */
export const LABEL_COLUMN_RIGHT = 4;

/** Tilts beyond this are not searched: the pipeline turns the page upright in quarter turns first. */
const MAX_SKEW_DEGREES = 15;
const SKEW_STEP_DEGREES = 0.25;
/** Anchors beyond this many are not needed to line up a card, and keep hostile input cheap. */
const MAX_ANCHORS = 40;
/** Coordinates beyond this are not an image's pixels. */
const MAX_COORDINATE = 1e6;

function usable(box: LineBox | undefined): box is LineBox {
  if (box === undefined || box.length !== 4) return false;
  const [x, y, width, height] = box;
  return (
    [x, y, width, height].every((value) => Number.isFinite(value) && Math.abs(value) <= MAX_COORDINATE) &&
    width > 0 &&
    height > 0
  );
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};

/** Edges and centre of a box after turning the page back by `angle` (radians). */
function deskewed(box: LineBox, angle: number): { left: number; right: number; centre: number } {
  const [x, y, width, height] = box;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const cx = x + width / 2;
  const cy = y + height / 2;
  // The axis-aligned box of a line of length L and thickness t turned by the angle a has
  // width = L|cos a| + t|sin a| and height = L|sin a| + t|cos a|: solved for L.
  const c = Math.abs(cos);
  const s = Math.abs(sin);
  const length = Math.max(0, Math.min(width / c, (width * c - height * s) / (c * c - s * s)));
  const u = cx * cos + cy * sin;
  return { left: u - length / 2, right: u + length / 2, centre: -cx * sin + cy * cos };
}

/** The angle whose de-skewed left edges of the anchors spread least (ties: the smaller tilt). */
function skewOf(boxes: readonly LineBox[]): number {
  let best = { angle: 0, spread: Number.POSITIVE_INFINITY };
  const steps = Math.round(MAX_SKEW_DEGREES / SKEW_STEP_DEGREES);
  for (let step = 0; step <= 2 * steps; step++) {
    // 0, +1, -1, +2, -2, … so that on a tie the smaller tilt is kept.
    const signed = step % 2 === 1 ? (step + 1) / 2 : -step / 2;
    const angle = (signed * SKEW_STEP_DEGREES * Math.PI) / 180;
    const lefts = boxes.map((box) => deskewed(box, angle).left);
    const centre = median(lefts);
    const spread = lefts.reduce((sum, left) => sum + Math.abs(left - centre), 0);
    if (spread < best.spread - 1e-9) best = { angle, spread };
  }
  return best.angle;
}

/**
 * Theil–Sen line through (row, position): the median of the pairwise slopes, robust to a label
 * matched on the wrong row.
 */
function rowFit(points: readonly { row: number; at: number }[]): { pitch: number; origin: number } | null {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const a = points[i] as { row: number; at: number };
      const b = points[j] as { row: number; at: number };
      if (a.row !== b.row) slopes.push((b.at - a.at) / (b.row - a.row));
    }
  }
  if (slopes.length === 0) return null;
  const pitch = median(slopes);
  if (!(pitch > 0)) return null;
  return { pitch, origin: median(points.map((point) => point.at - point.row * pitch)) };
}

/**
 * The card's layout from the line boxes and the labelled lines found by their text, or null when
 * too few labelled lines have a usable box (old stored results, tests built from text): the caller
 * then reads by text alone.
 */
export function readLayout(boxes: readonly (LineBox | undefined)[], anchors: readonly Anchor[]): Layout | null {
  const placed = anchors
    .filter((anchor) => usable(boxes[anchor.line]))
    .slice(0, MAX_ANCHORS)
    .map((anchor) => ({ ...anchor, box: boxes[anchor.line] as LineBox }));
  if (placed.length < 3) return null;
  const angle = skewOf(placed.map((anchor) => anchor.box));
  const measured = placed.map((anchor) => ({ row: anchor.row, ...deskewed(anchor.box, angle) }));
  const fit = rowFit(measured.filter((anchor) => anchor.row >= 0).map(({ row, centre }) => ({ row, at: centre })));
  if (fit === null) return null;
  const labelColumn = median(measured.map((anchor) => anchor.left));
  const { pitch, origin } = fit;
  const lines = boxes.map((box): Placed | null => {
    if (!usable(box)) return null;
    const { left, right, centre } = deskewed(box, angle);
    return { left: (left - labelColumn) / pitch, right: (right - labelColumn) / pitch, row: (centre - origin) / pitch };
  });
  return { lines, pitch, skewDegrees: (angle * 180) / Math.PI };
}

/** Whether a placed line is text under the photo: right of the value column, below the header. */
export function inPhotoColumn(line: Placed | null): boolean {
  return line !== null && line.left >= PHOTO_COLUMN_LEFT && line.row > 0.5;
}

/** Whether a placed line starts in the label column. */
export function inLabelColumn(line: Placed | null): boolean {
  return line !== null && line.left < LABEL_COLUMN_RIGHT;
}
