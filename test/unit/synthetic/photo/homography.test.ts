import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  IDENTITY,
  invert,
  type Matrix3,
  multiply,
  project,
  rotate,
  scale,
  tiltHomography,
  translate,
} from '../../../../synthetic/photo/homography.ts';

const [W, H] = [856, 540];
const close = (a: number, b: number, at = '') => assert.ok(Math.abs(a - b) < 1e-6, `${at}: ${a} ≠ ${b}`);
const at = (m: Matrix3, x: number, y: number): [number, number] => {
  const point = project(m, x, y);
  assert.ok(point, `(${x}, ${y}) is in front of the camera`);
  return point;
};
const corners = (m: Matrix3) => ({
  topLeft: at(m, -W / 2, -H / 2),
  topRight: at(m, W / 2, -H / 2),
  bottomRight: at(m, W / 2, H / 2),
  bottomLeft: at(m, -W / 2, H / 2),
});
const length = (a: [number, number], b: [number, number]) => Math.hypot(a[0] - b[0], a[1] - b[1]);

describe('the homography of a tilted card', () => {
  it('should compose and invert: a matrix times its inverse is the identity', () => {
    const m = multiply(
      multiply(translate(310, -42), rotate(17)),
      multiply(scale(0.6), [1, 0.1, 0, 0.05, 1, 0, 1e-4, -2e-4, 1]),
    );
    const product = multiply(m, invert(m));
    product.forEach((value, i) => {
      close(value, IDENTITY[i] as number, `entry ${i}`);
    });
    assert.throws(() => invert([1, 2, 3, 2, 4, 6, 0, 0, 1]), /singular/);
  });

  it('should turn as SVG does: rotate(90) takes the x axis to the y axis (y down)', () => {
    const [x, y] = at(rotate(90), 1, 0);
    close(x, 0);
    close(y, 1);
  });

  it('should leave a card facing the camera as it is', () => {
    const tilt = tiltHomography({ pitch: 0, yaw: 0, distance: 2 }, W, H);
    for (const [x, y] of [
      [-428, -270],
      [100, 33],
      [428, 270],
    ] as const) {
      const [u, v] = at(tilt, x, y);
      close(u, x);
      close(v, y);
    }
  });

  it('should shorten the edge turned away from the camera, more so for a closer camera, keeping the centre', () => {
    const near = corners(tiltHomography({ pitch: 0, yaw: 20, distance: 1.3 }, W, H));
    const far = corners(tiltHomography({ pitch: 0, yaw: 20, distance: 3 }, W, H));
    const keystone = (c: typeof near) => 1 - length(c.topRight, c.bottomRight) / length(c.topLeft, c.bottomLeft);
    assert.ok(keystone(near) > 0.15 && keystone(near) < 0.35, `close camera: ${keystone(near)}`);
    assert.ok(keystone(far) > 0.05 && keystone(far) < keystone(near), `far camera: ${keystone(far)}`);
    const [cx, cy] = at(tiltHomography({ pitch: 0, yaw: 20, distance: 1.3 }, W, H), 0, 0);
    close(cx, 0);
    close(cy, 0);

    const pitched = corners(tiltHomography({ pitch: 20, yaw: 0, distance: 1.3 }, W, H));
    assert.ok(
      length(pitched.topLeft, pitched.topRight) < length(pitched.bottomLeft, pitched.bottomRight),
      'top edge away',
    );
  });

  it('should keep the tilted card within the flat card’s extent, whatever the angle', () => {
    for (const pitch of [-25, -10, 0, 12, 25])
      for (const yaw of [-25, -8, 0, 17, 25]) {
        const tilt = tiltHomography({ pitch, yaw, distance: 1.3 }, W, H);
        for (const [u, v] of Object.values(corners(tilt))) {
          assert.ok(
            Math.abs(u) <= W / 2 + 1e-6 && Math.abs(v) <= H / 2 + 1e-6,
            `pitch ${pitch}, yaw ${yaw}: (${u}, ${v})`,
          );
        }
      }
  });

  it('should refuse a card that reaches behind the camera, and put no point there', () => {
    assert.throws(() => tiltHomography({ pitch: 0, yaw: 80, distance: 0.2 }, W, H), /behind the camera/);
    assert.equal(project([1, 0, 0, 0, 1, 0, 0, 0, -1], 3, 4), null);
  });
});
