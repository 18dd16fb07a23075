import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { createOnnxOcrEngine, type OnnxOcrEngine } from '../../../../adapters/ocr/engine/engine.ts';
import { type OcrResult, ocrResultSchema } from '../../../../domain/ocrResult.ts';
import { nestedFormPdf } from '../../../support/nestedFormPdf.ts';
import { recordingLogger } from '../../../support/recordingLogger.ts';
import { pdfWithDeclaredImage, pdfWithImage, pngBomb } from '../fixtures.ts';
import { CARD_FIELDS, renderCard } from '../syntheticCard.ts';

const MAX_PIXELS = 40_000_000;

/** The OCR line that starts with `label`, spaces and colons ignored. */
function lineFor(result: OcrResult, label: string): string | undefined {
  return result.lines.find((line) => line.text.replace(/\s/g, '').startsWith(label.replace(/\s/g, '')))?.text;
}

/** The values of the synthetic card, as the reader should find them. */
function assertReadsCard(result: OcrResult) {
  ocrResultSchema.parse(result);
  assert.match(result.text, /3171014101900001/);
  assert.match(lineFor(result, 'NIK') ?? '', /^NIK\s*:\s*3171014101900001$/);
  assert.match(lineFor(result, 'Nama') ?? '', /^Nama\s*:\s*BUDI SANTOSO$/);
  assert.match(lineFor(result, 'Agama') ?? '', /^Agama\s*:\s*ISLAM$/);
  assert.match(lineFor(result, 'RT/RW') ?? '', /^RT\/RW\s*:\s*001\/002$/);
}

describe('the onnxruntime OCR engine', () => {
  const { logger, entries } = recordingLogger();
  const fallbacks: string[] = [];
  const storage = new Map<string, Buffer>();
  let engine: OnnxOcrEngine;
  let card: Buffer;

  before(async () => {
    card = await renderCard();
    engine = await createOnnxOcrEngine({
      device: 'auto',
      maxPixels: MAX_PIXELS,
      logger,
      onFallback: (reason) => fallbacks.push(reason),
      readImage: async (key) => {
        const bytes = storage.get(key);
        if (!bytes) throw new Error('no such object');
        return bytes;
      },
    });
  });
  after(() => engine.close());

  it('should fall back to the CPU once when CUDA is not available, and say so (info: `auto` expects it)', () => {
    assert.equal(engine.device, 'cpu');
    const logged = entries.filter((entry) => entry.message === 'ocr.fallback');
    assert.equal(logged.length, 1);
    assert.equal(logged[0]?.level, 'info');
    assert.match(String(logged[0]?.fields?.reason), /^cuda_unavailable: /);
    assert.equal(fallbacks.length, 1);
  });

  it('should read the NIK and the labelled fields of a rendered card', async () => {
    const { result, gpuProcessed, timings } = await engine.recognizeImage(card, 'image/png');
    assert.equal(gpuProcessed, false);
    assertReadsCard(result);
    assert.equal(result.rotation, 0);
    assert.equal(result.lines[0]?.text, 'PROVINSI DKI JAKARTA');
    // Every field of the card comes out, in order, one line each.
    const order = CARD_FIELDS.map((field) => result.lines.findIndex((line) => line.text.startsWith(field.label)));
    assert.ok(
      order.every((index) => index >= 0),
      `missing a field in:\n${result.text}`,
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
    );
    for (const line of result.lines) {
      assert.ok(line.confidence > 0.8, `low confidence for ${line.text}`);
      assert.ok(line.box);
    }
    const nikBox = result.lines.find((line) => line.text.includes('3171014101900001'))?.box;
    assert.ok(nikBox && nikBox[0] < 40 && nikBox[1] > 100 && nikBox[1] < 130 && nikBox[0] + nikBox[2] > 540);
    const quality = result.quality;
    assert.ok(quality);
    assert.equal(quality.width, 1000);
    assert.equal(quality.height, 630);
    assert.ok(quality.brightness > 180 && quality.brightness < 240);
    assert.ok(quality.sharpness > 100);
    assert.ok(quality.textCoverage > 0.4 && quality.textCoverage < 0.9);
    for (const stage of ['decode', 'detect', 'recognize', 'total']) assert.ok((timings[stage] ?? -1) >= 0, stage);
  });

  it('should read the card in fp32 too, what CPUs without VNNI run by default', async () => {
    const fp32 = await createOnnxOcrEngine({
      device: 'cpu',
      precision: 'fp32',
      recognitionLanes: 2,
      maxPixels: MAX_PIXELS,
      logger: recordingLogger().logger,
      readImage: async () => Buffer.alloc(0),
    });
    try {
      assertReadsCard((await fp32.recognizeImage(card, 'image/png')).result);
    } finally {
      await fp32.close();
    }
  });

  it('should give a blurred copy a lower sharpness', async () => {
    const blurred = await sharp(card).blur(3).png().toBuffer();
    const [sharpRun, blurredRun] = [
      await engine.recognizeImage(card, 'image/png'),
      await engine.recognizeImage(blurred, 'image/png'),
    ];
    assert.ok((blurredRun.result.quality?.sharpness ?? 0) < (sharpRun.result.quality?.sharpness ?? 0) / 4);
  });

  for (const degrees of [90, 180, 270] as const) {
    it(`should read a card turned ${degrees}° and report the rotation it undid`, async () => {
      const upright = await sharp(card).jpeg({ quality: 92 }).toBuffer();
      const turned = await sharp(card).rotate(degrees).jpeg({ quality: 92 }).toBuffer();
      const { result } = await engine.recognizeImage(turned, 'image/jpeg');
      assertReadsCard(result);
      assert.equal(result.rotation, degrees);
      // Measures and boxes refer to the upright card: the turned copy measures as the upright one
      // (measured turned, at 640 px across its short side, it would look twice as sharp).
      assert.equal(result.quality?.width, 1000);
      assert.equal(result.quality?.height, 630);
      const reference = (await engine.recognizeImage(upright, 'image/jpeg')).result.quality;
      const ratio = (result.quality?.sharpness ?? 0) / (reference?.sharpness ?? 1);
      assert.ok(ratio > 0.9 && ratio < 1.1, `sharpness ${result.quality?.sharpness} against ${reference?.sharpness}`);
    });
  }

  it('should keep labels with their values on a photo taken a few degrees off level', async () => {
    const tilted = await sharp(card).rotate(4, { background: '#786450' }).jpeg({ quality: 90 }).toBuffer();
    const { result } = await engine.recognizeImage(tilted, 'image/jpeg');
    assertReadsCard(result);
    assert.equal(result.rotation, 0);
  });

  /** The card at 70% of its size on a 2000×1500 table, with a few printed words lying far from it. */
  const CARD_ON_TABLE = { left: 1100, top: 760, width: 700, height: 441 } as const;
  async function cardOnTable(): Promise<Buffer> {
    const small = await sharp(card).resize(CARD_ON_TABLE.width, CARD_ON_TABLE.height).png().toBuffer();
    const receipt = Buffer.from(
      '<svg xmlns="http://www.w3.org/2000/svg" width="420" height="120"><rect width="100%" height="100%" fill="#f4f4f0"/>' +
        '<text x="20" y="50" font-family="DejaVu Sans" font-size="26">TOTAL BELANJA</text>' +
        '<text x="20" y="95" font-family="DejaVu Sans" font-size="26">TERIMA KASIH</text></svg>',
    );
    return sharp({ create: { width: 2000, height: 1500, channels: 3, background: '#6b5a48' } })
      .composite([
        { input: receipt, left: 120, top: 140 },
        { input: small, left: CARD_ON_TABLE.left, top: CARD_ON_TABLE.top },
      ])
      .jpeg({ quality: 90 })
      .toBuffer();
  }
  function assertInsideCard(result: OcrResult) {
    const nik = result.lines.find((line) => line.text.includes('3171014101900001'));
    const [x, y, width, height] = nik?.box ?? [0, 0, 0, 0];
    const { left, top, width: cardWidth, height: cardHeight } = CARD_ON_TABLE;
    assert.ok(
      x >= left && y >= top && x + width <= left + cardWidth && y + height <= top + cardHeight,
      `NIK at ${nik?.box}`,
    );
  }

  it('should find a card lying small in a large photo, read it cut out, and place its lines in the photo', async () => {
    const { result } = await engine.recognizeImage(await cardOnTable(), 'image/jpeg');
    assertReadsCard(result);
    assertInsideCard(result);
    assert.equal(result.quality?.width, 2000);
    // The card's text measured in the photo's pixels, whatever share of the photo the card takes.
    const textWidth = result.quality?.textWidth ?? 0;
    assert.ok(textWidth > 0.6 * CARD_ON_TABLE.width && textWidth <= CARD_ON_TABLE.width, `text width ${textWidth}`);
    assert.ok((result.quality?.textCoverage ?? 1) < 0.2);
  });

  for (const degrees of [90, 180, 270] as const) {
    it(`should place the lines of a small card in a photo turned ${degrees}° in the upright photo`, async () => {
      const turned = await sharp(await cardOnTable())
        .rotate(degrees)
        .jpeg({ quality: 90 })
        .toBuffer();
      const { result } = await engine.recognizeImage(turned, 'image/jpeg');
      assertReadsCard(result);
      assert.equal(result.rotation, degrees);
      assertInsideCard(result);
    });
  }

  it('should honour the EXIF orientation of a JPEG', async () => {
    // Pixels stored turned a quarter counter-clockwise, with orientation 6 ("turn 90° clockwise to display").
    const stored = await sharp(card).rotate(270).jpeg({ quality: 92 }).withMetadata({ orientation: 6 }).toBuffer();
    assert.equal((await sharp(stored).metadata()).orientation, 6);
    const { result } = await engine.recognizeImage(stored, 'image/jpeg');
    assertReadsCard(result);
    assert.equal(result.rotation, 0, 'EXIF orientation is not a rotation the reader undid');
    assert.equal(result.quality?.width, 1000);
    assert.equal(result.quality?.height, 630);
  });

  it('should read a greyscale scan', async () => {
    const grey = await sharp(card).greyscale().png().toBuffer();
    assertReadsCard((await engine.recognizeImage(grey, 'image/png')).result);
  });

  it('should return no lines for an image without text', async () => {
    const sizes: [number, number][] = [
      [800, 500],
      [1, 1],
    ];
    for (const [width, height] of sizes) {
      const blank = await sharp({ create: { width, height, channels: 3, background: '#d8e8f2' } })
        .png()
        .toBuffer();
      const { result } = await engine.recognizeImage(blank, 'image/png');
      ocrResultSchema.parse(result);
      assert.equal(result.text, '');
      assert.deepEqual(result.lines, []);
      assert.equal(result.quality?.textCoverage, 0);
      assert.equal(result.quality?.width, width);
    }
  });

  it('should read the first page of a PDF', async () => {
    const pdf = pdfWithImage(card, 500, 315);
    const { result } = await engine.recognizeImage(pdf, 'application/pdf');
    assertReadsCard(result);
    // Rendered at 1500 px on the long side.
    assert.equal(result.quality?.width, 1500);
  });

  it('should refuse a PDF whose embedded image is too large, without decoding it', async () => {
    await assert.rejects(engine.recognizeImage(pdfWithDeclaredImage(20_000, 20_000), 'application/pdf'), {
      code: 'image_too_large',
    });
  });

  it('should refuse a PDF of deeply nested forms with pdf_too_complex, telling the watcher around MuPDF', async () => {
    const phases: string[] = [];
    const pdf = nestedFormPdf({ depth: 8, fanOut: 10 });
    await assert.rejects(
      engine.recognizeImage(pdf, 'application/pdf', undefined, { onRender: (phase) => phases.push(phase) }),
      { code: 'pdf_too_complex', permanent: true, message: 'The PDF nests forms more than 6 deep.' },
    );
    assert.deepEqual(phases, ['start', 'end']);
  });

  it('should refuse a decompression bomb quickly, before decoding it', async () => {
    const bomb = pngBomb(20_000, 20_000);
    assert.ok(bomb.length < 100_000, 'small on disk');
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    await assert.rejects(engine.recognizeImage(bomb, 'image/png'), { code: 'image_too_large' });
    assert.ok(performance.now() - started < 1000, 'refused from the header');
    // Decoding would take 400 MB.
    assert.ok(process.memoryUsage().rss - rssBefore < 100_000_000);
  });

  it('should refuse bytes that are not an image, whatever the declared type', async () => {
    for (const [bytes, mime] of [
      [Buffer.from('definitely not a picture'), 'image/jpeg'],
      [Buffer.from('%PDF-1.7\nnot really'), 'application/pdf'],
      [card.subarray(0, 2000), 'image/png'],
      [Buffer.alloc(0), 'image/png'],
      [Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'), 'image/png'],
    ] as const) {
      await assert.rejects(engine.recognizeImage(bytes, mime), { code: 'image_unreadable' });
    }
  });

  it('should read a stored document through the OcrEngine port', async () => {
    storage.set('documents/a', card);
    const { result, gpuProcessed } = await engine.recognize(
      { documentId: 'a', type: 'KTP', storageKey: 'documents/a', mime: 'image/png' },
      new AbortController().signal,
    );
    assert.equal(gpuProcessed, false);
    assertReadsCard(result);
    const completed = entries.find((entry) => entry.message === 'ocr.completed');
    assert.ok(completed);
    // The log carries counts and timings, never text.
    assert.equal(JSON.stringify(completed.fields).includes('3171014101900001'), false);
  });

  it('should stop with the signal reason when aborted', async () => {
    storage.set('documents/b', card);
    const input = { documentId: 'b', type: 'KTP' as const, storageKey: 'documents/b', mime: 'image/png' };
    const reason = new Error('lease lost');
    await assert.rejects(engine.recognize(input, AbortSignal.abort(reason)), (error) => error === reason);

    const controller = new AbortController();
    const running = engine.recognize(input, controller.signal);
    setTimeout(() => controller.abort(reason), 30);
    await assert.rejects(running, (error) => error === reason);
  });
});
