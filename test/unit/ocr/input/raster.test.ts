import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { colourfulness, greyStatistics } from '../../../../adapters/ocr/pipeline/quality.ts';
import { type Raster, rotateRaster } from '../../../../adapters/ocr/raster.ts';

/** A 3 × 2 image whose red channel numbers the pixels 1..6, row by row. */
const image: Raster = {
  data: Uint8Array.from([1, 0, 0, 2, 0, 0, 3, 0, 0, 4, 0, 0, 5, 0, 0, 6, 0, 0]),
  width: 3,
  height: 2,
};
const reds = (raster: Raster) => Array.from(raster.data.filter((_, index) => index % 3 === 0));

describe('raster rotation', () => {
  it('should turn a quarter clockwise', () => {
    const turned = rotateRaster(image, 90);
    assert.deepEqual([turned.width, turned.height], [2, 3]);
    assert.deepEqual(reds(turned), [4, 1, 5, 2, 6, 3]);
  });

  it('should turn a half', () => {
    assert.deepEqual(reds(rotateRaster(image, 180)), [6, 5, 4, 3, 2, 1]);
  });

  it('should turn three quarters clockwise', () => {
    const turned = rotateRaster(image, 270);
    assert.deepEqual([turned.width, turned.height], [2, 3]);
    assert.deepEqual(reds(turned), [3, 6, 2, 5, 1, 4]);
  });

  it('should agree with libvips', async () => {
    const { data, info } = await sharp({ create: { width: 7, height: 5, channels: 3, background: '#000' } })
      .composite([{ input: { create: { width: 2, height: 1, channels: 3, background: '#f80' } }, left: 1, top: 3 }])
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const source: Raster = { data: new Uint8Array(data), width: info.width, height: info.height };
    for (const degrees of [90, 180, 270] as const) {
      const expected = await sharp(data, { raw: info }).rotate(degrees).raw().toBuffer();
      assert.deepEqual(Buffer.from(rotateRaster(source, degrees).data), expected, `${degrees}°`);
    }
  });
});

describe('grey statistics', () => {
  it('should give a flat image no sharpness and its grey level as brightness', () => {
    const flat = new Uint8Array(20 * 10).fill(120);
    assert.deepEqual(greyStatistics(flat, 20, 10), { sharpness: 0, brightness: 120 });
  });

  it('should give edges a high Laplacian variance', () => {
    const stripes = new Uint8Array(20 * 10).map((_, index) => (index % 2 === 0 ? 0 : 255));
    const { sharpness, brightness } = greyStatistics(stripes, 20, 10);
    assert.ok(sharpness > 10_000);
    assert.equal(brightness, 127.5);
  });
});

describe('colourfulness', () => {
  /** `width` × 10 pixels: the left half in `left`, the right half in `right` (RGB). */
  const halves = (width: number, left: [number, number, number], right: [number, number, number]): Raster => {
    const data = new Uint8Array(width * 10 * 3);
    for (let i = 0; i < width * 10; i++) data.set(i % width < width / 2 ? left : right, i * 3);
    return { data, width, height: 10 };
  };

  it('should give a grey image 0 and a light-blue card ground well above the KTP threshold', () => {
    assert.equal(colourfulness(halves(40, [200, 200, 200], [30, 30, 30]), [0, 0, 40, 10]), 0);
    assert.ok(
      colourfulness(halves(40, [170, 205, 235], [20, 30, 60]), [0, 0, 40, 10]) > 20,
      'dark text on the blue ground',
    );
  });

  it('should measure only the given area, clipped to the image', () => {
    const greyCardOnGreenTable = halves(40, [160, 160, 160], [40, 160, 40]);
    assert.equal(colourfulness(greyCardOnGreenTable, [0, 0, 20, 10]), 0);
    assert.ok(colourfulness(greyCardOnGreenTable, [0, 0, 40, 10]) > 20);
    assert.equal(colourfulness(greyCardOnGreenTable, [-5, -5, 15, 30]), 0);
    assert.equal(colourfulness(greyCardOnGreenTable, [50, 0, 10, 10]), 0, 'an empty area');
  });
});
