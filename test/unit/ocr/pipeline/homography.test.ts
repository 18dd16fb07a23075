import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type Matrix3,
  mapPoint,
  multiply,
  type Point,
  type Quad,
  solveHomography,
  warpBilinear,
} from '../../../../adapters/ocr/pipeline/rectify/homography.ts';
import type { Raster } from '../../../../adapters/ocr/raster.ts';

const SQUARE: Quad = [
  [0, 0],
  [856, 0],
  [856, 540],
  [0, 540],
];

/** A card turned away from the camera: a pinhole projection with a row of projective terms. */
const TILT: Matrix3 = [0.9, 0.12, 310, -0.05, 0.85, 220, 0.00021, -0.00013, 1];

const near = (actual: readonly number[] | null, expected: readonly number[], tolerance: number, what = '') => {
  assert.ok(actual, `${what}: no point`);
  actual.forEach((value, index) => {
    assert.ok(Math.abs(value - (expected[index] as number)) <= tolerance, `${what}: ${actual} against ${expected}`);
  });
};

describe('homographies', () => {
  it('should take each corner to its corner, and every other point where the projection does', () => {
    const corners = SQUARE.map(([x, y]) => mapPoint(TILT, x, y)) as unknown as Quad;
    const solved = solveHomography(SQUARE, corners);
    assert.ok(solved);
    SQUARE.forEach(([x, y], index) => {
      near(mapPoint(solved, x, y), corners[index] as Point, 1e-6, 'corner');
    });
    for (const [x, y] of [
      [428, 270],
      [13, 500],
      [800, 37],
    ] as const) {
      near(mapPoint(solved, x, y), mapPoint(TILT, x, y) as Point, 1e-6, 'inside');
    }
  });

  it('should undo itself: the map back composed with the map there is the identity', () => {
    const corners = SQUARE.map(([x, y]) => mapPoint(TILT, x, y)) as unknown as Quad;
    const there = solveHomography(SQUARE, corners);
    const back = solveHomography(corners, SQUARE);
    assert.ok(there && back);
    near(mapPoint(multiply(back, there), 321, 123), [321, 123], 1e-6);
  });

  it('should refuse quads that fix no unique map: three corners on a line, a corner twice, not numbers', () => {
    const onALine: Quad = [
      [0, 0],
      [100, 0],
      [200, 0],
      [0, 100],
    ];
    const twice: Quad = [
      [0, 0],
      [0, 0],
      [100, 100],
      [0, 100],
    ];
    const notNumbers: Quad = [
      [Number.NaN, 0],
      [100, 0],
      [100, 100],
      [0, 100],
    ];
    const point: Quad = [
      [5, 5],
      [5, 5],
      [5, 5],
      [5, 5],
    ];
    for (const quad of [onALine, twice, notNumbers, point]) {
      assert.equal(solveHomography(SQUARE, quad), null);
      assert.equal(solveHomography(quad, SQUARE), null);
    }
    assert.equal(solveHomography(SQUARE, SQUARE.map(([x, y]) => [x * 1e300, y]) as unknown as Quad), null);
  });

  it('should send the points of the vanishing line nowhere', () => {
    assert.equal(mapPoint([1, 0, 0, 0, 1, 0, 1, 0, 0], 0, 5), null);
    assert.equal(mapPoint(TILT, Number.NaN, 0), null);
  });
});

describe('drawing an image through a homography', () => {
  /** A 4 × 3 image whose pixel (x, y) has red 10x + y, green 100, blue 200 − 10y. */
  const image: Raster = {
    width: 4,
    height: 3,
    data: Uint8Array.from({ length: 36 }, (_, at) => {
      const pixel = Math.floor(at / 3);
      const [x, y] = [pixel % 4, Math.floor(pixel / 4)];
      return [10 * x + y, 100, 200 - 10 * y][at % 3] as number;
    }),
  };

  it('should copy the image through the identity', () => {
    const copy = warpBilinear(image, [1, 0, 0, 0, 1, 0, 0, 0, 1], 4, 3);
    assert.deepEqual([...copy.data], [...image.data]);
  });

  it('should blend neighbours half a pixel off, and repeat the edge beyond the image', () => {
    const shifted = warpBilinear(image, [1, 0, 0.5, 0, 1, 0, 0, 0, 1], 4, 3);
    // Between x = 0 and 1 on row 0: red 5; past the last column the edge repeats: red 30.
    assert.equal(shifted.data[0], 5);
    assert.equal(shifted.data[3 * 3], 30);
  });

  it('should leave black what the map sends to infinity, and cope with a single pixel', () => {
    const nowhere = warpBilinear(image, [1, 0, 0, 0, 1, 0, 0, 0, 0], 3, 2);
    assert.ok(nowhere.data.every((value) => value === 0));
    const dot = warpBilinear({ width: 1, height: 1, data: Uint8Array.of(7, 8, 9) }, [2, 0, 0, 0, 2, 0, 0, 0, 1], 3, 3);
    assert.deepEqual([...dot.data.slice(0, 3)], [7, 8, 9]);
  });
});
