import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { orderLines, type RecognizedRegion } from '../../../../adapters/ocr/pipeline/readingOrder.ts';

const region = (
  text: string,
  x: number,
  y: number,
  width: number,
  height = 24,
  confidence = 0.9,
): RecognizedRegion => ({
  text,
  confidence,
  rect: [x, y, width, height],
});

describe('reading order', () => {
  it('should join a label and its value on one line and read lines top to bottom', () => {
    const lines = orderLines([
      region(': BUDI SANTOSO', 247, 151, 177),
      region(': 3171014101900001', 248, 119, 309),
      region('Nama', 27, 150, 66),
      region('NIK', 29, 117, 58, 28),
    ]);
    assert.deepEqual(
      lines.map((line) => line.text),
      ['NIK : 3171014101900001', 'Nama : BUDI SANTOSO'],
    );
    assert.deepEqual(lines[0]?.box, [29, 117, 528, 28]);
  });

  it('should weigh the line confidence by the length of each part', () => {
    const [line] = orderLines([region('AB', 0, 0, 40, 24, 0.5), region('CDEFGH', 60, 0, 120, 24, 1)]);
    assert.ok(line);
    assert.ok(Math.abs(line.confidence - (2 * 0.5 + 6 * 1) / 8) < 1e-9);
  });

  it("should carry each character's probability into the line, a joining space counting 1", () => {
    const [line] = orderLines([
      { ...region('NIK', 0, 0, 60), chars: [0.9, 0.8, 0.95] },
      { ...region('3171', 120, 0, 80), chars: [0.99, 0.5, 0.98, 0.97] },
    ]);
    assert.equal(line?.text, 'NIK 3171');
    assert.deepEqual(line?.chars, [0.9, 0.8, 0.95, 1, 0.99, 0.5, 0.98, 0.97]);
    const [withSecondChoice] = orderLines([
      { ...region('NIK', 0, 0, 60), chars: [0.9, 0.8, 0.95] },
      { ...region('3171', 120, 0, 80), chars: [0.99, 0.5, 0.98, 0.97], alternatives: [[1, '7', 0.4]] },
    ]);
    assert.deepEqual(withSecondChoice?.alternatives, [[5, '7', 0.4]], 'indexes move with the part');
    const [partial] = orderLines([{ ...region('NIK', 0, 0, 60), chars: [0.9, 0.8, 0.95] }, region('3171', 120, 0, 80)]);
    assert.equal(partial?.chars, undefined, 'a line with a part that has none has none');
  });

  it('should join fragments of one word directly and separate words with a space', () => {
    const [line] = orderLines([region('KEBAY', 0, 0, 80), region('ORAN', 50, 0, 70), region('LAMA', 125, 0, 60)]);
    assert.equal(line?.text, 'KEBAYORAN LAMA');
  });

  it('should keep a slightly tilted line together', () => {
    // Each part sits 10 px lower than the one before it.
    const lines = orderLines([
      region('Kel/Desa', 30, 100, 90),
      region(':', 248, 110, 10),
      region('KEBAYORAN', 268, 120, 120),
      region('Kecamatan', 30, 140, 110),
    ]);
    assert.deepEqual(
      lines.map((line) => line.text),
      ['Kel/Desa : KEBAYORAN', 'Kecamatan'],
    );
  });

  it('should undo the page skew before pairing labels with values', () => {
    // A page tilted 4° clockwise: text drifts down 0.07 px per px to the right, so the value of
    // one row sits level with the label of the next.
    const slope = Math.tan((4 * Math.PI) / 180);
    const at = (text: string, x: number, row: number, width: number): RecognizedRegion => {
      const cx = x + width / 2;
      const cy = 100 + row * 30 + slope * cx;
      return { text, confidence: 0.9, rect: [x, cy - 12, width, 24], centre: [cx, cy], thickness: 24 };
    };
    const regions = [
      at('NIK', 30, 0, 60),
      at(': 3171014101900001', 250, 0, 300),
      at('Nama', 30, 1, 70),
      at(': BUDI SANTOSO', 250, 1, 180),
      at('Alamat', 30, 2, 80),
      at(': JL. MAWAR', 250, 2, 150),
    ];
    assert.deepEqual(
      orderLines(regions, undefined, slope).map((line) => line.text),
      ['NIK : 3171014101900001', 'Nama : BUDI SANTOSO', 'Alamat : JL. MAWAR'],
    );
  });

  it('should split a line at a very wide gap', () => {
    const lines = orderLines([
      region('Status Perkawinan : BELUM KAWIN', 29, 392, 380),
      region('JAKARTA SELATAN', 783, 383, 163),
    ]);
    // Two lines, still read left to right: they come from one row.
    assert.deepEqual(
      lines.map((line) => line.text),
      ['Status Perkawinan : BELUM KAWIN', 'JAKARTA SELATAN'],
    );
  });

  it('should keep a short label before its far-off value', () => {
    const lines = orderLines([region(': GANAR IPIDI', 483, 203, 200), region('Nama', 139, 201, 75)]);
    assert.deepEqual(
      lines.map((line) => line.text),
      ['Nama', ': GANAR IPIDI'],
    );
  });

  it('should read nothing from nothing', () => {
    assert.deepEqual(orderLines([]), []);
  });
});
