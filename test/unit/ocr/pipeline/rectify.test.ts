import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TextBox } from '../../../../adapters/ocr/pipeline/detection/textBox.ts';
import {
  mapPoint,
  type Point,
  type Quad,
  solveHomography,
} from '../../../../adapters/ocr/pipeline/rectify/homography.ts';
import {
  boxesWithin,
  DEFAULT_RECTIFY_OPTIONS,
  findRectification,
  placement,
  type Rectification,
  rectificationOf,
  textReachesSide,
} from '../../../../adapters/ocr/pipeline/rectify/rectify.ts';
import type { Raster } from '../../../../adapters/ocr/raster.ts';

/** An ID-1 card in design units, its text lines as [x, y, width, height] like a KTP's: header, labels, values, the place under the photo. */
const CARD = { width: 856, height: 540 } as const;
type Rect = readonly [number, number, number, number];
const LINES: Rect[] = [
  [250, 30, 360, 22],
  [300, 60, 260, 22],
  ...Array.from({ length: 13 }, (_, row): Rect => [40, 110 + row * 28, 170, 16]),
  ...Array.from({ length: 13 }, (_, row): Rect => [250, 110 + row * 28, 200 + ((row * 37) % 150), 16]),
  [660, 400, 150, 16],
  [680, 426, 110, 16],
];
const PHOTO: Rect = [650, 110, 170, 220];

type Scene = {
  /** Where the card's corners lie in the image: top left, top right, bottom right, bottom left. */
  corners: Quad;
  size?: { width: number; height: number };
  background?: (x: number, y: number) => number;
  /** A printed band across the card's foot, [y, height] in design units, a little darker than the card. */
  band?: readonly [number, number];
};

/**
 * A grey photo of the card with its corners at `corners`, and the text boxes a detector would find:
 * each line's rectangle carried into the image, refitted through the middles of its sides.
 */
function photograph({ corners, size = { width: 1200, height: 900 }, background = () => 60, band }: Scene) {
  const square: Quad = [
    [0, 0],
    [CARD.width, 0],
    [CARD.width, CARD.height],
    [0, CARD.height],
  ];
  const toCard = solveHomography(corners, square);
  const toImage = solveHomography(square, corners);
  assert.ok(toCard && toImage);
  const inside = ([x, y, w, h]: Rect, cx: number, cy: number) => cx >= x && cx < x + w && cy >= y && cy < y + h;
  const data = new Uint8Array(size.width * size.height * 3);
  for (let y = 0; y < size.height; y++) {
    for (let x = 0; x < size.width; x++) {
      const at = mapPoint(toCard, x + 0.5, y + 0.5);
      let grey = background(x, y);
      if (at && at[0] >= 0 && at[0] < CARD.width && at[1] >= 0 && at[1] < CARD.height) {
        grey = 215;
        if (band && at[1] >= band[0] && at[1] < band[0] + band[1]) grey = 190;
        if (inside(PHOTO, at[0], at[1])) grey = 150;
        if (LINES.some((line) => inside(line, at[0], at[1]))) grey = 40;
      }
      data.fill(grey, (y * size.width + x) * 3, (y * size.width + x) * 3 + 3);
    }
  }
  const carried = (x: number, y: number) => mapPoint(toImage, x, y) as Point;
  const boxes = LINES.map(([x, y, w, h]): TextBox => {
    const start = carried(x, y + h / 2);
    const end = carried(x + w, y + h / 2);
    const top = carried(x + w / 2, y);
    const bottom = carried(x + w / 2, y + h);
    const centre = carried(x + w / 2, y + h / 2);
    const length = Math.hypot(end[0] - start[0], end[1] - start[1]);
    return {
      cx: centre[0],
      cy: centre[1],
      ux: (end[0] - start[0]) / length,
      uy: (end[1] - start[1]) / length,
      length,
      thickness: Math.hypot(bottom[0] - top[0], bottom[1] - top[1]),
      score: 0.9,
    };
  });
  const image: Raster = { data, ...size };
  return { image, boxes };
}

/** The card turned away from the camera: its right side further off (shorter) and its top tipped back. */
const TILTED: Quad = [
  [300, 210],
  [880, 250],
  [860, 600],
  [280, 640],
];

const cornerError = (found: Quad, expected: Quad) =>
  Math.max(
    ...expected.map(([x, y], index) => Math.hypot((found[index] as Point)[0] - x, (found[index] as Point)[1] - y)),
  );

/** Where an image point lands on the rectified card. */
function onCard(rectification: Rectification, x: number, y: number): Point {
  const back = solveHomography(
    rectification.outline,
    [
      [0, 0],
      [1, 0],
      [1, 1],
      [0, 1],
    ].map(([u, v]) => {
      const margin = DEFAULT_RECTIFY_OPTIONS.margin;
      const inner = { width: rectification.width / (1 + 2 * margin), height: rectification.height / (1 + 2 * margin) };
      return [
        Math.round(inner.width * margin) + (u as number) * inner.width,
        Math.round(inner.height * margin) + (v as number) * inner.height,
      ];
    }) as unknown as Quad,
  );
  assert.ok(back);
  return mapPoint(back, x, y) as Point;
}

describe('rectifying a card photographed at an angle', () => {
  it('should find the outline of a tilted card and draw it square, its lines level', () => {
    const { image, boxes } = photograph({ corners: TILTED });
    const found = findRectification(image, boxes);
    assert.ok(found, 'an outline');
    assert.ok(cornerError(found.outline, TILTED) < 0.015 * 580, `corners ${found.outline}`);
    // As wide as the outline is on average, as tall as an ID-1 card of that width, plus the margins.
    const width = found.width / (1 + 2 * DEFAULT_RECTIFY_OPTIONS.margin);
    const height = found.height / (1 + 2 * DEFAULT_RECTIFY_OPTIONS.margin);
    assert.ok(Math.abs(width - 580) < 12, `width ${found.width}`);
    assert.ok(Math.abs(width / height - 856 / 540) < 0.02, `${found.width}×${found.height}`);
    // Each line's two ends land at the same height (within half a degree), and the labels' left
    // ends in one column.
    for (const box of boxes) {
      const [x0, y0] = onCard(found, box.cx - (box.ux * box.length) / 2, box.cy - (box.uy * box.length) / 2);
      const [x1, y1] = onCard(found, box.cx + (box.ux * box.length) / 2, box.cy + (box.uy * box.length) / 2);
      assert.ok(Math.abs(y1 - y0) / Math.abs(x1 - x0) < 0.009, `a line slopes by ${y1 - y0} over ${x1 - x0}`);
    }
    const labelStarts = boxes
      .slice(2, 15)
      .map((box) => onCard(found, box.cx - (box.ux * box.length) / 2, box.cy - (box.uy * box.length) / 2));
    const [first, last] = [labelStarts[0] as Point, labelStarts[labelStarts.length - 1] as Point];
    assert.ok(Math.abs(last[0] - first[0]) / (last[1] - first[1]) < 0.018, `label column ${labelStarts}`);
  });

  it('should leave a card seen square on as it is, however it is turned', () => {
    const turn = (degrees: number): Quad => {
      const r = (degrees * Math.PI) / 180;
      return [
        [-290, -183],
        [290, -183],
        [290, 183],
        [-290, 183],
      ].map(([x, y]) => [
        600 + (x as number) * Math.cos(r) - (y as number) * Math.sin(r),
        450 + (x as number) * Math.sin(r) + (y as number) * Math.cos(r),
      ]) as unknown as Quad;
    };
    for (const degrees of [0, 6, -9]) {
      const { image, boxes } = photograph({ corners: turn(degrees) });
      assert.equal(findRectification(image, boxes), null, `turned ${degrees}°`);
    }
  });

  it('should keep a card lying on its side on its side, for the orientation stage to turn', () => {
    // The tilted card turned a quarter clockwise in a portrait frame.
    const turned = TILTED.map(([x, y]) => [900 - y, x]) as unknown as Quad;
    const { image, boxes } = photograph({ corners: turned, size: { width: 900, height: 1200 } });
    const found = findRectification(image, boxes);
    assert.ok(found);
    assert.ok(found.height > found.width, `${found.width}×${found.height}`);
  });

  it('should find the card on a striped table, not a stripe beyond it', () => {
    const stripes = (x: number, y: number) => ((x + 0.3 * y) % 24 < 9 ? 30 : 90);
    const { image, boxes } = photograph({ corners: TILTED, background: stripes });
    const found = findRectification(image, boxes);
    assert.ok(found);
    assert.ok(cornerError(found.outline, TILTED) < 0.015 * 580, `corners ${found.outline}`);
  });

  it('should not take a band printed on the card for its edge', () => {
    const { image, boxes } = photograph({ corners: TILTED, band: [490, 50] });
    const found = findRectification(image, boxes);
    if (found) assert.ok(cornerError(found.outline, TILTED) < 0.015 * 580, `corners ${found.outline}`);
  });

  it('should give up on a card whose edges are not in the photo', () => {
    // The card fills the frame and runs off it.
    const corners: Quad = [
      [-60, -40],
      [1260, 20],
      [1230, 930],
      [-30, 960],
    ];
    const { image, boxes } = photograph({ corners });
    assert.equal(findRectification(image, boxes), null);
  });

  it('should survive hostile input: boxes that are not numbers or not boxes, thousands of specks, no image', () => {
    const { image, boxes } = photograph({ corners: TILTED, size: { width: 1200, height: 900 } });
    const bad: TextBox[] = [
      { ...(boxes[0] as TextBox), cx: Number.NaN },
      { ...(boxes[0] as TextBox), length: Number.POSITIVE_INFINITY },
      { ...(boxes[0] as TextBox), thickness: 0 },
      { ...(boxes[0] as TextBox), ux: 0, uy: 0 },
      { ...(boxes[0] as TextBox), cx: -1e9 },
      { ...(boxes[0] as TextBox), length: 1e9, thickness: 1e9 },
    ];
    const specks = Array.from(
      { length: 10_000 },
      (_, index): TextBox => ({
        cx: (index * 7919) % 1200,
        cy: (index * 104729) % 900,
        ux: Math.cos(index),
        uy: Math.sin(index),
        length: 3 + (index % 40),
        thickness: 2,
        score: 0.5,
      }),
    );
    const started = performance.now();
    assert.equal(findRectification(image, bad), null);
    assert.equal(findRectification(image, specks), null, 'text running every which way is no card');
    assert.equal(findRectification(image, []), null);
    // Garbage beside a good card's boxes is dropped, not fatal.
    assert.ok(findRectification(image, [...bad, ...boxes]));
    for (const raster of [
      { data: new Uint8Array(0), width: 0, height: 0 },
      { data: new Uint8Array(3), width: 1, height: 1 },
      { data: new Uint8Array(10), width: 1200, height: 900 },
    ]) {
      assert.equal(findRectification(raster, boxes), null);
    }
    assert.ok(performance.now() - started < 3000, 'bounded time');
  });

  it('should refuse outlines no card seen at a usable angle has', () => {
    const { boxes } = photograph({ corners: TILTED });
    assert.ok(rectificationOf(TILTED, boxes), 'the true outline');
    const twisted: Quad = [TILTED[0], TILTED[2], TILTED[1], TILTED[3]];
    const narrow: Quad = [
      [300, 210],
      [500, 230],
      [490, 600],
      [280, 640],
    ];
    const sheared: Quad = [
      [300, 210],
      [880, 210],
      [1300, 640],
      [720, 640],
    ];
    for (const quad of [narrow, sheared]) assert.equal(rectificationOf(quad, boxes), null, `${quad}`);
    // Given in any order, the corners are named by where they lie.
    const again = rectificationOf(twisted, boxes);
    assert.ok(!again || cornerError(again.outline, TILTED) < 1e-9);
    // An outline that leaves the text outside it is not the card's.
    const beside: Quad = TILTED.map(([x, y]) => [x + 700, y]) as unknown as Quad;
    assert.equal(rectificationOf(beside, boxes), null);
  });
});

describe('placing the rectified card in the frame', () => {
  it('should centre it on the outline, inside the frame where it fits', () => {
    const placed = placement({ width: 600, height: 380, outline: TILTED }, 1200, 900);
    assert.deepEqual(placed, [280, 235, 600, 380]);
    const [x, y] = placement(
      { width: 600, height: 380, outline: TILTED.map(([px, py]) => [px - 290, py]) as unknown as Quad },
      1200,
      900,
    );
    assert.deepEqual([x, y], [0, 235], 'kept inside the frame');
  });

  it('should tell text running up to a side of the card from text well inside it', () => {
    const box = (cx: number, cy: number): TextBox => ({ cx, cy, ux: 1, uy: 0, length: 100, thickness: 16, score: 1 });
    assert.equal(textReachesSide([box(300, 200)], 600, 380), false);
    assert.equal(textReachesSide([box(300, 200), box(552, 200)], 600, 380), true);
    assert.equal(textReachesSide([box(300, 5)], 600, 380), true);
    assert.equal(textReachesSide([{ ...box(300, 200), cx: Number.NaN }], 600, 380), false);
    assert.equal(boxesWithin([box(300, 200), box(900, 200)], [0, 0, 600, 380]).length, 1);
  });
});
