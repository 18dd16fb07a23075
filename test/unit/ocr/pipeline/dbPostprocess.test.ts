import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_DB_OPTIONS, findTextBoxes } from '../../../../adapters/ocr/pipeline/detection/dbPostprocess.ts';

/** A probability map `width` × `height` with `value` wherever `inside(x, y)`. */
function map(width: number, height: number, inside: (x: number, y: number) => boolean, value = 0.9) {
  const data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) if (inside(x, y)) data[y * width + x] = value;
  return data;
}

const near = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not ${expected} ± ${tolerance}`);

describe('DB post-processing', () => {
  it('should turn a horizontal region into one unclipped box around it', () => {
    // 60 × 10 pixels from (20, 30).
    const boxes = findTextBoxes(
      map(128, 64, (x, y) => x >= 20 && x < 80 && y >= 30 && y < 40),
      128,
      128,
      64,
    );
    assert.equal(boxes.length, 1);
    const [box] = boxes;
    assert.ok(box);
    near(box.cx, 50, 0.01, 'cx');
    near(box.cy, 35, 0.01, 'cy');
    near(box.ux, 1, 1e-6, 'ux');
    // Offset distance = area × 1.5 / perimeter = 600 × 1.5 / 140.
    const distance = (600 * 1.5) / 140;
    near(box.length, 60 + 2 * distance, 0.01, 'length');
    near(box.thickness, 10 + 2 * distance, 0.01, 'thickness');
    near(box.score, 0.9, 1e-6, 'score');
  });

  it('should find separate regions, including touching diagonals as one', () => {
    const inside = (x: number, y: number) =>
      (x >= 5 && x < 40 && y >= 5 && y < 12) || // a line
      (x >= 50 && x < 90 && y >= 5 && y < 12) || // another line
      (x >= 10 && x < 40 && y >= 30 && y < 36) || // a line that touches the next one by a corner
      (x >= 40 && x < 70 && y >= 36 && y < 42);
    const boxes = findTextBoxes(map(100, 50, inside), 100, 100, 50);
    assert.equal(boxes.length, 3);
  });

  it('should follow a tilted line', () => {
    const angle = (10 * Math.PI) / 180;
    const inside = (x: number, y: number) => {
      const dx = x - 100;
      const dy = y - 60;
      const along = dx * Math.cos(angle) + dy * Math.sin(angle);
      const across = -dx * Math.sin(angle) + dy * Math.cos(angle);
      return Math.abs(along) < 60 && Math.abs(across) < 6;
    };
    const [box, ...rest] = findTextBoxes(map(200, 120, inside), 200, 200, 120);
    assert.ok(box);
    assert.equal(rest.length, 0);
    near(Math.atan2(box.uy, box.ux), angle, 0.02, 'angle');
    near(box.cx, 100.5, 1, 'cx');
    near(box.cy, 60.5, 1, 'cy');
  });

  it('should point vertical lines downwards', () => {
    const [box] = findTextBoxes(
      map(64, 128, (x, y) => x >= 30 && x < 38 && y >= 10 && y < 110),
      64,
      64,
      128,
    );
    assert.ok(box);
    near(box.ux, 0, 1e-6, 'ux');
    near(box.uy, 1, 1e-6, 'uy');
  });

  it('should drop faint, tiny regions and ignore the padding', () => {
    const faint = map(64, 64, (x, y) => x >= 10 && x < 50 && y >= 10 && y < 20, 0.4);
    assert.equal(findTextBoxes(faint, 64, 64, 64).length, 0);
    const speck = map(64, 64, (x, y) => x >= 10 && x < 12 && y >= 10 && y < 12);
    assert.equal(findTextBoxes(speck, 64, 64, 64).length, 0);
    // The region lies in the padding beyond width 32.
    const padded = map(64, 64, (x, y) => x >= 40 && x < 60 && y >= 10 && y < 20);
    assert.equal(findTextBoxes(padded, 64, 32, 64, DEFAULT_DB_OPTIONS).length, 0);
  });
});
