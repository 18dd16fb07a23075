import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { createOnnxOcrEngine, DEFAULT_OCR_TUNING, type OnnxOcrEngine } from '../../../../adapters/ocr/engine/engine.ts';
import {
  mapPoint,
  type Quad,
  solveHomography,
  warpBilinear,
} from '../../../../adapters/ocr/pipeline/rectify/homography.ts';
import { type OcrResult, ocrResultSchema } from '../../../../domain/ocrResult.ts';
import { recordingLogger } from '../../../support/recordingLogger.ts';
import { renderCard } from '../syntheticCard.ts';

/** The rendered card (1000 × 630) photographed at an angle on a 2000 × 1500 table: its right side further off. */
const CORNERS: Quad = [
  [1000, 680],
  [1720, 760],
  [1700, 1150],
  [930, 1230],
];

async function cardAtAnAngle(): Promise<Buffer> {
  const { data: card, info } = await sharp(await renderCard())
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const toCard = solveHomography(CORNERS, [
    [0, 0],
    [info.width, 0],
    [info.width, info.height],
    [0, info.height],
  ]);
  assert.ok(toCard);
  const [width, height] = [2000, 1500];
  const drawn = warpBilinear({ data: card, width: info.width, height: info.height }, toCard, width, height);
  const photo = Buffer.from(drawn.data);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const source = mapPoint(toCard, x + 0.5, y + 0.5);
      const onCard = source && source[0] >= 0 && source[1] >= 0 && source[0] < info.width && source[1] < info.height;
      if (!onCard) photo.set([107, 90, 72], (y * width + x) * 3);
    }
  }
  return sharp(photo, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .toBuffer();
}

const lineFor = (result: OcrResult, label: string) =>
  result.lines.find((line) => line.text.replace(/\s/g, '').startsWith(label));

describe('reading a card photographed at an angle', () => {
  const { logger } = recordingLogger();
  let engine: OnnxOcrEngine;
  let unrectified: OnnxOcrEngine;
  let photo: Buffer;

  before(async () => {
    photo = await cardAtAnAngle();
    const options = { device: 'cpu' as const, maxPixels: 40_000_000, logger, readImage: () => Promise.reject() };
    engine = await createOnnxOcrEngine(options);
    const card = DEFAULT_OCR_TUNING.card;
    assert.ok(card);
    unrectified = await createOnnxOcrEngine({ ...options, tuning: { card: { ...card, rectify: null } } });
  });
  after(async () => {
    await engine.close();
    await unrectified.close();
  });

  it('should read it drawn square: labels in one upright column, lines placed where the card lies', async () => {
    const { result } = await engine.recognizeImage(photo, 'image/jpeg');
    ocrResultSchema.parse(result);
    assert.match(lineFor(result, 'NIK')?.text ?? '', /^NIK\s*:\s*3171014101900001$/);
    assert.match(lineFor(result, 'Nama')?.text ?? '', /^Nama\s*:\s*BUDI SANTOSO$/);
    assert.match(lineFor(result, 'Agama')?.text ?? '', /^Agama\s*:\s*ISLAM$/);
    // The labels' column stands upright on the rectified card; on the photo it leans.
    const lefts = (read: OcrResult) =>
      ['NIK', 'Nama', 'Agama', 'Pekerjaan'].map((label) => lineFor(read, label)?.box?.[0] ?? Number.NaN);
    const spread = (values: number[]) => Math.max(...values) - Math.min(...values);
    const { result: asTaken } = await unrectified.recognizeImage(photo, 'image/jpeg');
    assert.ok(spread(lefts(result)) < 8, `label lefts ${lefts(result)}`);
    assert.ok(spread(lefts(asTaken)) > 20, `label lefts as taken ${lefts(asTaken)}`);
    // Boxes lie where the card lies, and the text is as wide as the photo shows it.
    const [x, y, w, h] = lineFor(result, 'NIK')?.box ?? [0, 0, 0, 0];
    assert.ok(x >= 910 && y >= 660 && x + w <= 1740 && y + h <= 1250, `NIK at ${x},${y},${w},${h}`);
    const textWidth = result.quality?.textWidth ?? 0;
    assert.ok(textWidth > 400 && textWidth <= 740, `text width ${textWidth}`);
    assert.equal(result.rotation, 0);
  });

  it('should read it turned a quarter too, and place its lines in the upright photo', async () => {
    // The first look at a card on its side merges its lines into blocks that overrun its edges,
    // so this one is read cut out as before, not rectified: only the result's frame is checked.
    const turned = await sharp(photo).rotate(90).jpeg({ quality: 90 }).toBuffer();
    const { result } = await engine.recognizeImage(turned, 'image/jpeg');
    assert.equal(result.rotation, 90);
    const nik = result.lines.find((line) => line.text.includes('3171014101900001'));
    const [x, y] = nik?.box ?? [0, 0];
    assert.ok(x >= 910 && y >= 660 && x <= 1740 && y <= 1250, `NIK at ${x},${y} in the upright photo`);
  });
});
