/**
 * Reading a KTP by its layout: OCR lines with boxes, built by hand the way the OCR returns them
 * (axis-aligned [x, y, width, height] of the upright image), on a card laid out like an e-KTP:
 * labels at x 30, values at x 272, rows 27.5 px apart, the place and date of issue centred under
 * the photo at x 730. Every value is synthetic.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fieldShare } from '../../../domain/checks/score.ts';
import { extractKtp, type KtpLine } from '../../../domain/extraction/ktp.ts';
import { readLayout } from '../../../domain/extraction/layout.ts';
import { ocrResultSchema } from '../../../domain/ocrResult.ts';
import { KTP_FIELDS, regions, TODAY } from './support.ts';

const options = { regions, today: TODAY };
const CHAR = 11;
const THICKNESS = 20;
const ROW = (row: number) => 148 + 27.5 * row;

/** A line of text starting at (x, y) on the flat card, its box after tilting and scaling the card. */
type Flat = { text: string; x: number; y: number; width?: number };

function placed(lines: readonly Flat[], tilt = 0, scale = 1): KtpLine[] {
  const angle = (tilt * Math.PI) / 180;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  return lines.map(({ text, x, y, width }) => {
    const length = width ?? text.length * CHAR;
    const corners = [
      [x, y - THICKNESS / 2],
      [x + length, y - THICKNESS / 2],
      [x, y + THICKNESS / 2],
      [x + length, y + THICKNESS / 2],
    ].map(([px, py]) => [
      (300 + (px as number) * cos - (py as number) * sin) * scale,
      (200 + (px as number) * sin + (py as number) * cos) * scale,
    ]);
    const xs = corners.map((corner) => corner[0] as number);
    const ys = corners.map((corner) => corner[1] as number);
    const left = Math.min(...xs);
    const top = Math.min(...ys);
    return { text, box: [left, top, Math.max(...xs) - left, Math.max(...ys) - top] as const };
  });
}

const label = (row: number, text: string, indent = false): Flat => ({ text, x: indent ? 52 : 30, y: ROW(row) });
const value = (row: number, text: string): Flat => ({ text, x: 272, y: ROW(row) });
const underPhoto = (y: number, text: string): Flat => ({ text, x: 730 - (text.length * CHAR) / 2, y });

const F = KTP_FIELDS;
/** The card, one line per row as the OCR joins label and value, the text under the photo apart. */
const CARD: Flat[] = [
  { text: `PROVINSI ${F.provinsi}`, x: 300, y: 42 },
  { text: `KOTA ${F.kabupaten_kota}`, x: 320, y: 72 },
  { text: `NIK : ${F.nik}`, x: 30, y: 114, width: 560 },
  { ...label(0, `Nama : ${F.nama}`), width: 400 },
  { ...label(1, `Tempat/Tgl Lahir : ${F.tempat_lahir}, 01-01-1990`), width: 520 },
  { ...label(2, `Jenis Kelamin : ${F.jenis_kelamin} Gol. Darah : ${F.golongan_darah}`), width: 600 },
  { ...label(3, `Alamat : ${F.alamat}`), width: 500 },
  { ...label(4, `RT/RW : ${F.rt_rw}`, true), width: 330 },
  { ...label(5, `Kel/Desa : ${F.kel_desa}`, true), width: 340 },
  { ...label(6, `Kecamatan : ${F.kecamatan}`, true), width: 340 },
  { ...label(7, `Agama : ${F.agama}`), width: 330 },
  { ...label(8, `Status Perkawinan : ${F.status_perkawinan}`), width: 340 },
  underPhoto(380, 'JAKARTA PUSAT'),
  { ...label(9, `Pekerjaan : ${F.pekerjaan}`), width: 440 },
  underPhoto(404, '12-08-2016'),
  { ...label(10, `Kewarganegaraan : ${F.kewarganegaraan}`), width: 310 },
  { ...label(11, `Berlaku Hingga : ${F.berlaku_hingga}`), width: 420 },
];
const EXPECTED = { ...KTP_FIELDS, tempat_terbit: 'JAKARTA PUSAT', tanggal_terbit: '2016-08-12' };

/** `CARD` with the lines of `rows` replaced. */
const withRows = (replace: (line: Flat) => Flat | Flat[]) => CARD.flatMap(replace);

describe('extractKtp by layout', () => {
  it('should read the clean card and the place and date of issue under the photo', () => {
    assert.deepEqual(extractKtp(placed(CARD), options), EXPECTED);
  });

  it('should read the same fields at any tilt up to 12° and any image size', () => {
    for (const tilt of [-12, -7, -3, 0, 4, 9, 12]) {
      for (const scale of [0.35, 1, 4.2]) {
        assert.deepEqual(extractKtp(placed(CARD, tilt, scale), options), EXPECTED, `tilt ${tilt}, scale ${scale}`);
      }
    }
  });

  it('should measure the tilt and the row pitch from the labelled lines', () => {
    const boxes = placed(CARD, 8, 2).map((line) => (typeof line === 'string' ? undefined : line.box));
    const anchors = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 16].map((line, index) => ({ line, row: index }));
    anchors[9] = { line: 13, row: 9 };
    anchors[10] = { line: 15, row: 10 };
    anchors[11] = { line: 16, row: 11 };
    const layout = readLayout(boxes, anchors);
    assert.ok(layout !== null);
    assert.ok(Math.abs(layout.skewDegrees - 8) <= 0.5, String(layout.skewDegrees));
    assert.ok(Math.abs(layout.pitch - 55) < 3, String(layout.pitch));
  });

  it('should never take the text under the photo for a value, whatever the reading order', () => {
    // The occupation's label read alone, the photo column read before its value; the address last
    // before the city: by text alone the city would be the occupation and continue the address.
    const lines = withRows((line) => {
      if (line.text.startsWith('Pekerjaan')) return [label(9, 'Pekerjaan :'), value(9, F.pekerjaan)];
      return line;
    });
    const order = [
      ...lines.filter((line) => !line.text.startsWith('Pekerjaan') && line.x !== 272 && line.y < 380),
      ...lines.filter((line) => line.text === 'Pekerjaan :'),
      ...lines.filter((line) => line.y >= 380 && line.x > 600),
      ...lines.filter((line) => line.x === 272),
      ...lines.filter((line) => line.y > 404 && line.x < 600),
    ];
    const fields = extractKtp(placed(order, 5), options);
    assert.equal(fields.pekerjaan, F.pekerjaan);
    assert.equal(fields.tempat_terbit, 'JAKARTA PUSAT');
    assert.equal(fields.tanggal_terbit, '2016-08-12');
    // Text alone takes the city for the occupation.
    assert.equal(
      extractKtp(
        order.map((line) => line.text),
        options,
      ).pekerjaan,
      'JAKARTA PUSAT',
    );
  });

  it('should not continue the address with the text under the photo', () => {
    const order = [...CARD.filter((line) => line.x <= 600), ...CARD.filter((line) => line.x > 600)];
    const alamat = order.findIndex((line) => line.text.startsWith('Alamat'));
    const photo = order.filter((line) => line.x > 600);
    const lines = [...order.slice(0, alamat + 1), ...photo, ...order.slice(alamat + 1, -photo.length)];
    const fields = extractKtp(placed(lines, -4), options);
    assert.equal(fields.alamat, F.alamat);
    assert.equal(fields.tempat_terbit, 'JAKARTA PUSAT');
  });

  it('should cut the city under the photo off an occupation the OCR read onto the same line', () => {
    const lines = withRows((line) => {
      if (line.text === 'JAKARTA PUSAT') return [];
      if (line.text.startsWith('Pekerjaan'))
        return { ...line, text: `${line.text} JAKARTA PUSAT`, width: 730 - 30 + 72 };
      return line;
    });
    const fields = extractKtp(placed(lines, 3), options);
    assert.equal(fields.pekerjaan, F.pekerjaan);
    assert.equal(fields.tempat_terbit, 'JAKARTA PUSAT');
    assert.equal(fields.tanggal_terbit, '2016-08-12');
  });

  it('should take the city glued after a marital status for the place of issue, with no line to measure', () => {
    const lines = withRows((line) => {
      if (line.x > 600) return [];
      if (line.text.startsWith('Status'))
        return { ...line, text: 'Status Perkawinan : KAWIN JAKARTA PUSAT', width: 772 };
      return line;
    });
    const fields = extractKtp(placed(lines, -3), options);
    assert.equal(fields.status_perkawinan, 'KAWIN');
    assert.equal(fields.tempat_terbit, 'JAKARTA PUSAT');
    // Not from a line that stops before the photo column.
    const short = lines.map((line) => (line.text.startsWith('Status') ? { ...line, width: 500 } : line));
    assert.equal(extractKtp(placed(short, -3), options).tempat_terbit, null);
  });

  it('should keep the issue date a value line was read with out of the occupation and the citizenship', () => {
    const read = (line: string) => extractKtp([line], options);
    assert.deepEqual(
      [read('Pekerjaan : PENSIUNAN 21-012018').pekerjaan, read('Pekerjaan : PENSIUNAN 21-012018').tanggal_terbit],
      ['PENSIUNAN', '2018-01-21'],
    );
    assert.equal(read('Pekerjaan : MENGURUS RUMAH TANGGA 29 06-2024').pekerjaan, 'MENGURUS RUMAH TANGGA');
    assert.equal(read('Kewarganegaraan : WNI 12-08-2016').tanggal_terbit, '2016-08-12');
    assert.equal(read('Pekerjaan : PENSIUNAN').tanggal_terbit, null);
  });

  it('should end a wrapped address at the RT/RW row even when its label is misread', () => {
    const lines = withRows((line) => {
      if (line.text.startsWith('Alamat'))
        return [{ ...line, text: 'Alamat : JL. PERCOBAAN' }, value(3.9, 'NO. 12 BLOK C')];
      if (line.text.startsWith('RT/RW')) return { ...label(4.9, 'RT RVV 001/002', true), width: 330 };
      if (line.text.startsWith('Kel/Desa')) return { ...label(5.9, 'Kcl Dcsa GAMBIR', true), width: 340 };
      if (line.y > ROW(5) && line.x < 600 && line.y < 380) return { ...line, y: line.y + 24 };
      return line;
    });
    const fields = extractKtp(placed(lines, 6), options);
    assert.equal(fields.alamat, 'JL. PERCOBAAN NO. 12 BLOK C');
    assert.equal(fields.kel_desa, 'GAMBIR');
    // Text alone takes both rows into the address, and loses the village.
    const byText = extractKtp(
      lines.map((line) => line.text),
      options,
    );
    assert.match(byText.alamat ?? '', /RVV/);
    assert.equal(byText.kel_desa, null);
  });

  it('should read a label the OCR misread from the row it is on', () => {
    const lines = withRows((line) =>
      line.text.startsWith('Jenis') ? { ...line, text: 'Jenis Kelar PEREMPUAN Gol Darah A' } : line,
    );
    assert.equal(extractKtp(placed(lines), options).jenis_kelamin, 'PEREMPUAN');
    assert.equal(
      extractKtp(
        lines.map((line) => line.text),
        options,
      ).jenis_kelamin,
      null,
      'text alone misses it',
    );
  });

  it("should read labels too garbled to match from their row, when the value is of that row's kind", () => {
    // As the OCR read a small card photographed at an angle: the values clear, the labels not.
    const garbled: Record<string, string> = {
      Nama: `Nic ${F.nama}`,
      Tempat: `TearpavTat Labir ${F.tempat_lahir}. 01-01-1990`,
      Jenis: `Jely keiamie ${F.jenis_kelamin} Gol Darah`,
      Agama: `Aes ${F.agama}`,
      Status: `Seatus Ferkawisan ${F.status_perkawinan}`,
      Kewarganegaraan: `Kearanaraan ${F.kewarganegaraan}`,
      Berlaku: `Benatu Ha ${F.berlaku_hingga}`,
    };
    const lines = withRows((line) => {
      const first = line.text.split(/[\s/:]/)[0] as string;
      return garbled[first] ? { ...line, text: garbled[first] } : line;
    });
    const fields = extractKtp(placed(lines, 3), options);
    for (const field of [
      'nama',
      'tempat_lahir',
      'tanggal_lahir',
      'jenis_kelamin',
      'agama',
      'status_perkawinan',
      'kewarganegaraan',
      'berlaku_hingga',
    ] as const) {
      assert.equal(fields[field], EXPECTED[field], field);
    }
    const byText = extractKtp(
      lines.map((line) => line.text),
      options,
    );
    assert.equal(byText.nama, null, 'text alone misses it');
  });

  it("should not take a value line for a garbled label when its value is not of the row's kind", () => {
    // On the religion's row, a line that is one word and a number: no religion follows.
    const lines = withRows((line) => (line.text.startsWith('Agama') ? { ...line, text: 'Aes 12345' } : line));
    assert.equal(extractKtp(placed(lines), options).agama, null);
  });

  it('should give a value only to a waiting label on its own row', () => {
    // The marital status's label read without its value; rows down, a citizenship whose label was lost.
    const lines = withRows((line) => {
      if (line.text.startsWith('Status')) return { ...line, text: 'Status Perkawinan :' };
      if (line.text.startsWith('Kewarganegaraan')) return value(10, 'WNI');
      return line;
    });
    const fields = extractKtp(placed(lines, 2), options);
    assert.equal(fields.kewarganegaraan, 'WNI');
    assert.equal(fields.status_perkawinan, null);
    assert.notEqual(
      extractKtp(
        lines.map((line) => line.text),
        options,
      ).status_perkawinan,
      null,
      'text alone gives it the value of another row',
    );
  });

  it('should read labels whose start the card edge cut off, one row after another', () => {
    const lines = withRows((line) => {
      if (line.text.startsWith('Kewarganegaraan')) return { ...line, text: 'rganegaraan WNI', x: 60 };
      if (line.text.startsWith('Berlaku')) return { ...line, text: 'Hingga :21-01-2023', x: 62 };
      return line;
    });
    const fields = extractKtp(placed(lines, -5), options);
    assert.equal(fields.kewarganegaraan, 'WNI');
    assert.equal(fields.berlaku_hingga, '2023-01-21', 'an expired card must show its expiry to the checks');
    assert.equal(
      extractKtp(
        lines.map((line) => line.text),
        options,
      ).berlaku_hingga,
      null,
      'text alone misses it',
    );
  });

  it('should read by text alone when the boxes are missing or unusable', () => {
    const texts = CARD.map((line) => line.text);
    const byText = extractKtp(texts, options);
    assert.deepEqual(byText, EXPECTED, 'the place and date of issue are the last unused lines');
    assert.deepEqual(
      extractKtp(
        texts.map((text) => ({ text })),
        options,
      ),
      byText,
    );
    const broken = placed(CARD).map((line, index) =>
      typeof line === 'string' ? line : { ...line, box: index % 2 ? ([Number.NaN, 0, 10, 10] as const) : undefined },
    );
    assert.deepEqual(extractKtp(broken, options), byText);
  });

  it('should survive hostile input without throwing or hanging', () => {
    const started = performance.now();
    const huge = 1e300;
    const hostile: KtpLine[] = [
      { text: '', box: [0, 0, 0, 0] },
      { text: 'Nama : X', box: [-5, -5, -1, -1] },
      { text: 'Agama : ISLAM', box: [huge, huge, huge, huge] },
      { text: 'Alamat : JL', box: [Number.POSITIVE_INFINITY, 0, 1, 1] },
      { text: 'RT/RW : 001/002', box: [1, 1, Number.NaN, 1] },
      { text: `Pekerjaan : A ${'1 '.repeat(990)}!`, box: [30, 400, 5000, 20] },
      { text: `Kel/Desa ${'1-'.repeat(995)}`, box: [30, 300, 5000, 20] },
      ...Array.from({ length: 2000 }, (_, index) => ({
        text: index % 3 === 0 ? 'Pekerjaan : PETANI 01-01-2020 X' : `Alamat : ${'A '.repeat(index % 50)}`,
        box: [(index * 7919) % 1000, index % 2 ? -index : index * 3, (index % 17) + 1, (index % 5) + 1] as const,
      })),
    ];
    const fields = extractKtp(hostile, options);
    assert.equal(typeof fields, 'object');
    assert.ok(performance.now() - started < 5000, 'bounded time');
    // What the schema already refuses: NaN and infinite coordinates never reach the extractor from
    // the OCR (negative or huge finite numbers do).
    const line = { text: 'x', confidence: 1 };
    assert.equal(
      ocrResultSchema.safeParse({ text: '', lines: [{ ...line, box: [Number.NaN, 0, 1, 1] }] }).success,
      false,
    );
    assert.equal(ocrResultSchema.safeParse({ text: '', lines: [{ ...line, box: [-1, 1e300, 1, 1] }] }).success, true);
  });
});

describe('KTP labels in their real variants', () => {
  const village = (line: string) => extractKtp(['Alamat : JL. CONTOH', line], options).kel_desa;

  it('should read Kel/Desa however it is printed or misread', () => {
    for (const line of [
      'Kel/Desa : GAMBIR',
      'Kel / Desa : GAMBIR',
      'KelDesa GAMBIR',
      'Kel.Desa GAMBIR',
      'Kel. Desa : GAMBIR',
      'Kelurahan/Desa : GAMBIR',
      'Desa/Kel : GAMBIR',
      'KeI/Desa GAMBIR',
      'Ke/Desa GAMBIR',
      'Kel/Dcsa GAMBIR',
      'Kel/Des GAMBIR',
    ])
      assert.equal(village(line), 'GAMBIR', line);
  });

  it('should not take an address line that starts like Desa/Kel for the label', () => {
    const fields = extractKtp(['Alamat : JL. CONTOH', 'DESA KELOR'], options);
    assert.equal(fields.alamat, 'JL. CONTOH DESA KELOR');
    assert.equal(fields.kel_desa, null);
  });
});

describe('place and date of birth', () => {
  const birth = (value: string) => {
    const fields = extractKtp([`Tempat/Tgl Lahir : ${value}`], options);
    return [fields.tempat_lahir, fields.tanggal_lahir];
  };

  it('should split them when the comma is misread or a date separator is lost', () => {
    for (const value of [
      'JAKARTA; 17-08-1990',
      'JAKARTA. 17-08-1990',
      'JAKARTA 17 08-1990',
      'JAKARTA, 17-081990',
      'JAKARTA 1708-1990',
      'JAKARTA 17081990',
      'JAKARTA, 17.08.1990',
    ])
      assert.deepEqual(birth(value), ['JAKARTA', '1990-08-17'], value);
  });
});

describe('score', () => {
  it('should neither count a missing place and date of issue against the card nor reward them', () => {
    const read = { ...KTP_FIELDS };
    const share = fieldShare('KTP', read);
    assert.equal(fieldShare('KTP', { ...read, tempat_terbit: null, tanggal_terbit: null }), share);
    assert.equal(
      fieldShare('KTP', { ...read, alamat: null, tempat_terbit: 'X', tanggal_terbit: '2016-08-12' }) < share,
      true,
    );
  });
});
