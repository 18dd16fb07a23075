import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IDENTITY, invert, type Matrix3, translate } from '../../../../synthetic/photo/homography.ts';
import { drawWarped } from '../../../../synthetic/photo/warp.ts';

const size = { width: 6, height: 4 };
const base = (value: number) => Buffer.alloc(size.width * size.height * 3, value);
const layer = () => Buffer.alloc(size.width * size.height * 4, 0);
const paint = (buffer: Buffer, x: number, y: number, rgba: [number, number, number, number]) => {
  buffer.set(rgba, (y * size.width + x) * 4);
};
const pixel = (buffer: Buffer, x: number, y: number) => [
  ...buffer.subarray((y * size.width + x) * 3, (y * size.width + x) * 3 + 3),
];
const draw = (target: Buffer, source: Buffer, forward: Matrix3) =>
  drawWarped(target, source, size, forward, invert(forward));

describe('drawing a layer through a homography', () => {
  it('should draw an opaque pixel as it is, blend a half-transparent one, and leave transparent ones out', () => {
    const target = base(100);
    const source = layer();
    paint(source, 1, 1, [200, 50, 0, 255]);
    paint(source, 4, 2, [0, 0, 0, 128]);
    draw(target, source, IDENTITY);
    assert.deepEqual(pixel(target, 1, 1), [200, 50, 0]);
    assert.deepEqual(pixel(target, 4, 2), [50, 50, 50]);
    assert.deepEqual(pixel(target, 0, 0), [100, 100, 100]);
    assert.deepEqual(pixel(target, 5, 3), [100, 100, 100]);
  });

  it('should move the layer where the forward map says, and not darken a colour with the transparency beside it', () => {
    const target = base(10);
    const source = layer();
    paint(source, 1, 1, [255, 255, 255, 255]);
    draw(target, source, translate(2, 1));
    assert.deepEqual(pixel(target, 3, 2), [255, 255, 255]);
    assert.deepEqual(pixel(target, 1, 1), [10, 10, 10]);

    // Half a pixel over: half covered, and the covered half is white, not grey.
    const shifted = base(0);
    draw(shifted, source, translate(0.5, 0));
    assert.deepEqual(pixel(shifted, 1, 1), [128, 128, 128]);
    assert.deepEqual(pixel(shifted, 2, 1), [128, 128, 128]);
  });

  it('should leave the image untouched for a transparent layer or one moved out of sight', () => {
    const target = base(42);
    draw(target, layer(), IDENTITY);
    assert.ok(target.equals(base(42)));
    const source = layer();
    paint(source, 0, 0, [1, 2, 3, 255]);
    draw(target, source, translate(100, 100));
    assert.ok(target.equals(base(42)));
  });

  it('should refuse buffers that are not an RGB image and an RGBA layer of the size given', () => {
    assert.throws(() => drawWarped(Buffer.alloc(5), layer(), size, IDENTITY, IDENTITY), /RGB and RGBA/);
    assert.throws(
      () => drawWarped(base(0), Buffer.alloc(size.width * size.height * 3), size, IDENTITY, IDENTITY),
      /RGB and RGBA/,
    );
  });
});
