import sharp from 'sharp';
import type { Card, KtpCard, NpwpCard } from './card.ts';
import { printedDate } from './dates.ts';
import { LIFETIME } from './identity.ts';
import { ocrDigitsSvg, ocrDigitsWidth } from './ocrDigits.ts';
import { photoOverlaySvg } from './photo/overlays.ts';
import { type FrameLayers, photographAtAngle } from './photo/perspective.ts';
import { createRng, deriveSeed } from './random.ts';
import { CARD_BASE, type FontFamily, type Variation } from './variation.ts';

/**
 * Draws a card as SVG (856×540 design units) on a background, and rasterises it with sharp
 * (librsvg for the SVG, libvips for blur, brightness, the quarter turn and encoding). Noise is added
 * in JavaScript from a seeded stream, so the same inputs give byte-identical images.
 *
 * Printed labels (what OCR sees), KTP: `PROVINSI …`, `KABUPATEN …`/`KOTA …`, `NIK`, `Nama`,
 * `Tempat/Tgl Lahir`, `Jenis Kelamin`, `Gol. Darah`, `Alamat`, `RT/RW`, `Kel/Desa`, `Kecamatan`,
 * `Agama`, `Status Perkawinan`, `Pekerjaan`, `Kewarganegaraan`, `Berlaku Hingga`, each followed by
 * ` : ` and the value; under the photo the issuing regency and date (DD-MM-YYYY).
 * NPWP: `KEMENTERIAN KEUANGAN REPUBLIK INDONESIA`, `DIREKTORAT JENDERAL PAJAK`, `NPWP : <dotted>`,
 * the name (no label), `NIK : <16 digits>`, two address lines, `KPP PRATAMA <REGENCY>`,
 * `Terdaftar : DD-MM-YYYY`.
 * Layouts (layouts.ts): the KTP's old blue print moves and shrinks the rows and the photo, and a
 * share of KTPs draw the NIK in OCR-A-like glyphs (ocrDigits.ts); the old NPWP prints `DEPARTEMEN
 * KEUANGAN` and `Tanggal Terdaftar`, and it and the 16-digit NPWP have no NIK line.
 */

export type RenderedImage = { image: Buffer; mime: 'image/jpeg' | 'image/png' };

export async function renderCard(card: Card, variation: Variation, seed: number): Promise<RenderedImage> {
  const world = variation.real;
  const { width, height } = variation.frame;
  // A card at an angle is rasterised apart from its background and warped onto it (photo/).
  let pipeline = world?.perspective
    ? sharp(await photographAtAngle(frameLayers(card, variation, seed), variation, world.perspective), {
        raw: { width, height, channels: 3 },
      })
    : sharp(Buffer.from(frameSvg(card, variation, seed))).removeAlpha();
  if (variation.blur > 0) pipeline = pipeline.blur(variation.blur);
  if (variation.brightness !== 1) pipeline = pipeline.linear(variation.brightness, 0);
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== variation.frame.width || info.height !== variation.frame.height) {
    throw new Error(`rendered ${info.width}×${info.height}, expected the frame size`);
  }
  addNoise(data, variation.noise, deriveSeed(seed, 'noise'));
  const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
  let camera = data;
  if (world?.cast) {
    // A coloured light: each channel scaled by its own gain.
    camera = await sharp(camera, raw).linear(world.cast, [0, 0, 0]).raw().toBuffer();
  }
  if (world?.photocopy) {
    // A copier: toner specks, then everything grey (specks included: toner has no colour), the
    // contrast pushed until light tones go white.
    addNoise(camera, 10, deriveSeed(seed, 'toner'));
    photocopy(camera, info.channels);
  }

  let out = sharp(camera, raw);
  if (variation.quarter_turn !== 0) out = out.rotate(variation.quarter_turn);
  // A low-resolution camera, a chat app's copy: `fill` stretches to the square the app made of it;
  // otherwise the aspect is kept.
  if (world?.resent || world?.lowres)
    out = out.resize({ width: variation.width, height: variation.height, fit: 'fill' });
  if (variation.format === 'jpeg') {
    return { image: await out.jpeg({ quality: variation.quality ?? 90 }).toBuffer(), mime: 'image/jpeg' };
  }
  return { image: await out.png({ compressionLevel: 6 }).toBuffer(), mime: 'image/png' };
}

/** The whole frame (background + placed card) as an SVG document, pixel-sized like the frame. */
export function frameSvg(card: Card, variation: Variation, seed: number): string {
  const parts = frameParts(card, variation, seed);
  return [parts.open, parts.background, parts.card, '</svg>'].join('\n');
}

/** The background and the placed card as two SVG documents (the card's on transparency), for a photo at an angle. */
export function frameLayers(card: Card, variation: Variation, seed: number): FrameLayers {
  const parts = frameParts(card, variation, seed);
  return {
    background: [parts.open, parts.background, '</svg>'].join('\n'),
    card: [parts.open, parts.card, '</svg>'].join('\n'),
  };
}

function frameParts(
  card: Card,
  variation: Variation,
  seed: number,
): { open: string; background: string; card: string } {
  const { width, height } = variation.frame;
  const box = variation.card_box;
  const scale = variation.card_width / CARD_BASE.width;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const style: Style = { font: variation.font, scale: variation.font_scale };
  const content = card.kind === 'KTP' ? ktpSvg(card, style) : npwpSvg(card, style);
  // Fingers, glare and fading lie on the card, under the watermark the sender adds afterwards.
  const onCard = photoOverlaySvg(variation.real);
  const placed = [
    `<g transform="translate(${cx} ${cy}) rotate(${variation.rotation}) scale(${scale}) translate(${-CARD_BASE.width / 2} ${-CARD_BASE.height / 2})">`,
    `<rect x="5" y="8" width="${CARD_BASE.width}" height="${CARD_BASE.height}" rx="26" fill="#000" fill-opacity="0.22"/>`,
    content,
    ...(onCard ? [onCard] : []),
    variation.real?.watermark ? watermark(variation.real.watermark) : '',
    '</g>',
  ];
  return {
    open: `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    background: background(variation, seed),
    card: placed.join('\n'),
  };
}

/** In place: each pixel grey (Rec. 601 luma), its contrast raised as a copier's (×1.6, −70). */
function photocopy(data: Buffer, channels: number): void {
  for (let i = 0; i + 2 < data.length; i += channels) {
    const luma = 0.299 * (data[i] as number) + 0.587 * (data[i + 1] as number) + 0.114 * (data[i + 2] as number);
    const value = Math.max(0, Math.min(255, Math.round(1.6 * luma - 70)));
    data[i] = value;
    data[i + 1] = value;
    data[i + 2] = value;
  }
}

/** Text across the card from corner to corner, grey and half transparent, over the fields. */
function watermark(text: string): string {
  const size = Math.round((CARD_BASE.width * 1.05) / Math.max(8, text.length * 0.62));
  return `<text x="${CARD_BASE.width / 2}" y="${CARD_BASE.height / 2}" text-anchor="middle" dominant-baseline="middle" transform="rotate(-28 ${CARD_BASE.width / 2} ${CARD_BASE.height / 2})" font-family="DejaVu Sans" font-weight="bold" font-size="${size}" fill="#5a5a5a" fill-opacity="0.38">${escapeXml(text)}</text>`;
}

export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[ch]};`);
}

type Style = { font: FontFamily; scale: number };

type TextOptions = {
  size: number;
  bold?: boolean;
  anchor?: 'start' | 'middle';
  /** The text's font size is reduced until its estimated width fits. */
  maxWidth?: number;
  fill?: string;
};

/** Advance of an upper-case letter or digit, in em, measured on the DejaVu faces (regular / bold). */
const EM_WIDTH: Readonly<Record<FontFamily, readonly [number, number]>> = {
  'DejaVu Sans': [0.68, 0.74],
  'DejaVu Sans Condensed': [0.61, 0.67],
  'DejaVu Serif': [0.72, 0.78],
  'DejaVu Sans Mono': [0.61, 0.61],
};

function estimateWidth(text: string, style: Style, size: number, bold: boolean): number {
  const em = EM_WIDTH[style.font][bold ? 1 : 0];
  const mono = style.font === 'DejaVu Sans Mono';
  let units = 0;
  for (const ch of text) {
    if (mono || /[A-Z0-9]/.test(ch)) units += 1;
    else if (/[a-z]/.test(ch)) units += 0.85;
    else units += 0.5;
  }
  return units * em * size;
}

function text(style: Style, x: number, y: number, content: string, options: TextOptions): string {
  const bold = options.bold ?? false;
  let size = options.size * style.scale;
  if (options.maxWidth !== undefined) {
    const width = estimateWidth(content, style, size, bold);
    if (width > options.maxWidth) size *= options.maxWidth / width;
  }
  const attrs = [
    `x="${x}"`,
    `y="${y}"`,
    `font-family="${style.font}"`,
    `font-size="${Math.round(size * 100) / 100}"`,
    bold ? 'font-weight="bold"' : '',
    options.anchor === 'middle' ? 'text-anchor="middle"' : '',
    `fill="${options.fill ?? '#161616'}"`,
    'xml:space="preserve"',
  ].filter(Boolean);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

/** Where a KTP print puts its text (design units), and how large it prints it. */
type KtpPrint = {
  background: readonly [string, string, string];
  guilloche: string;
  headerY: readonly [number, number];
  headerSize: number;
  nikY: number;
  nikLabelSize: number;
  nikSize: number;
  labelX: number;
  indentX: number;
  colonX: number;
  valueX: number;
  valueMaxWidth: number;
  /** The twelve rows from Nama to Berlaku Hingga. */
  rowY: readonly number[];
  rowSize: number;
  /** `Gol. Darah` label, colon and value, on the row of the sex; and the room the sex has. */
  bloodX: readonly [number, number, number];
  sexMaxWidth: number;
  photo: { x: number; y: number; width: number; height: number };
  /** Issuing city and date under the photo. */
  issueY: readonly [number, number];
  issueSize: number;
};

const KTP_STANDARD: KtpPrint = {
  background: ['#9fcfee', '#c6e4f7', '#e6f4fc'],
  guilloche: '#7fb8de',
  headerY: [42, 72],
  headerSize: 23,
  nikY: 114,
  nikLabelSize: 27,
  nikSize: 30,
  labelX: 30,
  indentX: 52,
  colonX: 258,
  valueX: 272,
  valueMaxWidth: 356,
  rowY: [148, 175.5, 203, 230.5, 258, 285.5, 313, 340.5, 368, 395.5, 423, 450.5],
  rowSize: 19,
  bloodX: [432, 574, 588],
  sexMaxWidth: 150,
  photo: { x: 640, y: 128, width: 180, height: 225 },
  issueY: [380, 404],
  issueSize: 17,
};

/** The older print: a deeper blue, the text lower, in smaller and tighter rows, a narrower label column. */
const KTP_OLD_BLUE: KtpPrint = {
  background: ['#7fb6e6', '#a9d0f0', '#d3e8f8'],
  guilloche: '#6aa4d4',
  headerY: [50, 78],
  headerSize: 21,
  nikY: 132,
  nikLabelSize: 25,
  nikSize: 27,
  labelX: 36,
  indentX: 56,
  colonX: 232,
  valueX: 245,
  valueMaxWidth: 380,
  rowY: Array.from({ length: 12 }, (_, row) => 176 + row * 25.5),
  rowSize: 17,
  bloodX: [420, 548, 560],
  sexMaxWidth: 160,
  photo: { x: 648, y: 150, width: 170, height: 212 },
  issueY: [392, 414],
  issueSize: 16,
};

function ktpSvg(card: KtpCard, style: Style): string {
  const f = card.fields;
  const print = card.layout === 'ktp_old_blue' ? KTP_OLD_BLUE : KTP_STANDARD;
  const [bg0, bg1, bg2] = print.background;
  const nikSize = print.nikSize * style.scale;
  const nikValue =
    card.nikFont === 'ocr_a' && /^\d+$/.test(f.nik)
      ? ocrDigitsSvg(
          print.valueX,
          print.nikY,
          f.nik,
          Math.min(nikSize, 360 / ocrDigitsWidth(f.nik.length, 1)),
          '#161616',
        )
      : text(style, print.valueX, print.nikY, f.nik, { size: print.nikSize, bold: true, maxWidth: 360 });
  const parts: string[] = [
    '<defs>',
    '<linearGradient id="ktp-bg" x1="0" y1="0" x2="1" y2="1">',
    `<stop offset="0" stop-color="${bg0}"/><stop offset="0.55" stop-color="${bg1}"/><stop offset="1" stop-color="${bg2}"/>`,
    '</linearGradient>',
    '</defs>',
    `<rect width="${CARD_BASE.width}" height="${CARD_BASE.height}" rx="26" fill="url(#ktp-bg)"/>`,
    guilloche(print.guilloche),
    text(style, 428, print.headerY[0], `PROVINSI ${f.provinsi}`, {
      size: print.headerSize,
      bold: true,
      anchor: 'middle',
      maxWidth: 780,
    }),
    text(style, 428, print.headerY[1], `${card.regencyKind} ${f.kabupaten_kota}`, {
      size: print.headerSize,
      bold: true,
      anchor: 'middle',
      maxWidth: 780,
    }),
    text(style, print.labelX, print.nikY, 'NIK', { size: print.nikLabelSize, bold: true }),
    text(style, print.colonX - 8, print.nikY, ':', { size: print.nikLabelSize, bold: true }),
    nikValue,
  ];

  const rows: [label: string, value: string, indent?: boolean][] = [
    ['Nama', f.nama],
    ['Tempat/Tgl Lahir', `${f.tempat_lahir}, ${printedDate(f.tanggal_lahir)}`],
    ['Jenis Kelamin', f.jenis_kelamin],
    ['Alamat', f.alamat],
    ['RT/RW', f.rt_rw, true],
    ['Kel/Desa', f.kel_desa, true],
    ['Kecamatan', f.kecamatan, true],
    ['Agama', f.agama],
    ['Status Perkawinan', f.status_perkawinan],
    ['Pekerjaan', f.pekerjaan],
    ['Kewarganegaraan', f.kewarganegaraan],
    ['Berlaku Hingga', f.berlaku_hingga === LIFETIME ? LIFETIME : printedDate(f.berlaku_hingga)],
  ];
  rows.forEach(([label, value, indent], i) => {
    const y = print.rowY[i] as number;
    const labelX = indent ? print.indentX : print.labelX;
    parts.push(
      text(style, labelX, y, label, { size: print.rowSize, maxWidth: print.colonX - labelX - 6 }),
      text(style, print.colonX, y, ':', { size: print.rowSize }),
      text(style, print.valueX, y, value, {
        size: print.rowSize,
        maxWidth: label === 'Jenis Kelamin' ? print.sexMaxWidth : print.valueMaxWidth,
      }),
    );
    if (label === 'Jenis Kelamin') {
      const [bloodLabelX, bloodColonX, bloodValueX] = print.bloodX;
      parts.push(
        text(style, bloodLabelX, y, 'Gol. Darah', { size: print.rowSize, maxWidth: bloodColonX - bloodLabelX - 2 }),
        text(style, bloodColonX, y, ':', { size: print.rowSize }),
        text(style, bloodValueX, y, f.golongan_darah, { size: print.rowSize, maxWidth: 44 }),
      );
    }
  });

  const { x, y, width, height } = print.photo;
  const cx = x + width / 2;
  parts.push(
    `<rect x="${x}" y="${y}" width="${width}" height="${height}" fill="#a9aeb3"/>`,
    `<circle cx="${cx}" cy="${y + height * 0.36}" r="${width * 0.245}" fill="#8a9096"/>`,
    `<path d="M${x + 12} ${y + height} C${x + 12} ${y + height * 0.75} ${cx - 40} ${y + height * 0.64} ${cx} ${y + height * 0.64} C${cx + 40} ${y + height * 0.64} ${x + width - 12} ${y + height * 0.75} ${x + width - 12} ${y + height} Z" fill="#8a9096"/>`,
    `<rect x="${x}" y="${y}" width="${width}" height="${height}" fill="none" stroke="#6f757b" stroke-width="1.5"/>`,
    text(style, cx, print.issueY[0], card.issuedIn, { size: print.issueSize, anchor: 'middle', maxWidth: 200 }),
    text(style, cx, print.issueY[1], printedDate(card.issuedOn), { size: print.issueSize, anchor: 'middle' }),
    '<path d="M672 452 c14 -26 26 -26 30 -6 s10 18 22 -4 s16 -16 20 2 s18 6 40 -12" fill="none" stroke="#23364d" stroke-width="2.2"/>',
  );
  return parts.join('\n');
}

/** The NPWP prints: the old DJP card names the Departemen Keuangan and prints no NIK line. */
function npwpSvg(card: NpwpCard, style: Style): string {
  const f = card.fields;
  const old = card.layout === 'npwp_old';
  const ministry = old ? 'DEPARTEMEN KEUANGAN REPUBLIK INDONESIA' : 'KEMENTERIAN KEUANGAN REPUBLIK INDONESIA';
  const [ground0, ground1] = old ? ['#f4f6f8', '#c9d3dc'] : ['#ffffff', '#d9dce0'];
  // Without a NIK line the address moves up into its place.
  const nikLine = f.nik === undefined ? [] : [text(style, 48, 265, `NIK : ${f.nik}`, { size: 22, maxWidth: 760 })];
  const addressY = f.nik === undefined ? [270, 302] : [303, 335];
  return [
    '<defs>',
    '<linearGradient id="npwp-bg" x1="0" y1="0" x2="1" y2="1">',
    `<stop offset="0" stop-color="${ground0}"/><stop offset="1" stop-color="${ground1}"/>`,
    '</linearGradient>',
    '</defs>',
    `<rect width="${CARD_BASE.width}" height="${CARD_BASE.height}" rx="26" fill="url(#npwp-bg)"/>`,
    guilloche('#c3c8ce'),
    '<path d="M0 492 H856 V514 A26 26 0 0 1 830 540 H26 A26 26 0 0 1 0 514 Z" fill="#b8bdc3"/>',
    '<circle cx="84" cy="74" r="46" fill="#9aa0a7"/><circle cx="84" cy="74" r="31" fill="#eef0f2"/>',
    '<path d="M84 52 L91 68 L108 70 L95 81 L99 98 L84 89 L69 98 L73 81 L60 70 L77 68 Z" fill="#9aa0a7"/>',
    text(style, 488, 62, ministry, { size: 22, bold: true, anchor: 'middle', maxWidth: 660 }),
    text(style, 488, 94, 'DIREKTORAT JENDERAL PAJAK', { size: 22, bold: true, anchor: 'middle', maxWidth: 660 }),
    '<line x1="40" y1="118" x2="816" y2="118" stroke="#5b6168" stroke-width="2"/>',
    text(style, 48, 178, `NPWP : ${f.npwp}`, { size: 34, bold: true, maxWidth: 760 }),
    text(style, 48, 226, f.nama, { size: 25, bold: true, maxWidth: 760 }),
    ...nikLine,
    text(style, 48, addressY[0] as number, card.addressLines[0], { size: 21, maxWidth: 760 }),
    text(style, 48, addressY[1] as number, card.addressLines[1], { size: 21, maxWidth: 760 }),
    text(style, 48, 392, card.officeLine, { size: 20, maxWidth: 760 }),
    text(style, 48, 432, `${old ? 'Tanggal Terdaftar' : 'Terdaftar'} : ${printedDate(f.tanggal_terdaftar)}`, {
      size: 21,
      maxWidth: 760,
    }),
  ].join('\n');
}

/** Faint wavy security lines behind the text (fixed, not random; within the card, no clipping needed). */
function guilloche(colour: string): string {
  const paths: string[] = [];
  for (let k = 0; k < 6; k++) {
    let d = `M0 ${150 + k * 62}`;
    for (let x = 0; x < CARD_BASE.width; x += 107) d += ` q 26.75 ${k % 2 ? -22 : 22} 53.5 0 t 53.5 0`;
    paths.push(`<path d="${d}" fill="none" stroke="${colour}" stroke-width="1.2" stroke-opacity="0.45"/>`);
  }
  return paths.join('\n');
}

function background(variation: Variation, seed: number): string {
  const { width, height } = variation.frame;
  const { kind, color } = variation.background;
  const dark = shade(color, 0.75);
  const light = shade(color, 1.2);
  switch (kind) {
    case 'plain':
      return `<rect width="${width}" height="${height}" fill="${color}"/>`;
    case 'gradient':
      return [
        `<defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${light}"/><stop offset="1" stop-color="${dark}"/></linearGradient></defs>`,
        `<rect width="${width}" height="${height}" fill="url(#bg)"/>`,
      ].join('\n');
    case 'stripes': {
      // One path of parallel lines, rotated: a rotated <pattern> costs librsvg ~0.4 s per frame.
      const diagonal = Math.ceil(Math.hypot(width, height));
      const left = (width - diagonal) / 2;
      const top = (height - diagonal) / 2;
      let d = '';
      for (let x = 0; x <= diagonal; x += 24) d += `M${left + x} ${top}v${diagonal}`;
      return [
        `<rect width="${width}" height="${height}" fill="${color}"/>`,
        `<path transform="rotate(${(seed % 60) - 30} ${width / 2} ${height / 2})" d="${d}" stroke="${dark}" stroke-width="9" stroke-opacity="0.5"/>`,
      ].join('\n');
    }
    case 'checker':
      return [
        '<defs><pattern id="bg" width="64" height="64" patternUnits="userSpaceOnUse">',
        `<rect width="64" height="64" fill="${color}"/><rect width="32" height="32" fill="${dark}"/><rect x="32" y="32" width="32" height="32" fill="${dark}"/></pattern></defs>`,
        `<rect width="${width}" height="${height}" fill="url(#bg)"/>`,
      ].join('\n');
    case 'speckle': {
      const rng = createRng(deriveSeed(seed, 'speckle'));
      const dots: string[] = [`<rect width="${width}" height="${height}" fill="${color}"/>`];
      for (let i = 0; i < 220; i++) {
        const x = rng.int(0, width);
        const y = rng.int(0, height);
        const r = rng.float(1, 5).toFixed(1);
        dots.push(`<circle cx="${x}" cy="${y}" r="${r}" fill="${rng.chance(0.5) ? dark : light}"/>`);
      }
      return dots.join('\n');
    }
  }
}

function shade(hex: string, factor: number): string {
  const channels = [1, 3, 5].map((i) => Math.min(255, Math.round(Number.parseInt(hex.slice(i, i + 2), 16) * factor)));
  return `#${channels.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/**
 * Adds zero-mean noise with standard deviation `sd` to every byte. An inlined xorshift32 stream
 * (seeded from the card seed) gives four samples per draw through a 256-entry table of normal
 * quantiles: about 5 ms for 1400×900×3 bytes, where a call per sample cost ten times that.
 */
function addNoise(data: Buffer, sd: number, seed: number): void {
  if (sd <= 0) return;
  const table = new Int16Array(256);
  for (let i = 0; i < 256; i++) table[i] = Math.round(sd * normalQuantile((i + 0.5) / 256));
  const pixels = new Uint8ClampedArray(data.buffer, data.byteOffset, data.length); // clamps to 0–255
  let x = seed | 0 || 0x9e3779b9;
  const n = pixels.length;
  for (let i = 0; i < n; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    const r = x;
    pixels[i] = (pixels[i] as number) + (table[r & 255] as number);
    if (i + 1 < n) pixels[i + 1] = (pixels[i + 1] as number) + (table[(r >>> 8) & 255] as number);
    if (i + 2 < n) pixels[i + 2] = (pixels[i + 2] as number) + (table[(r >>> 16) & 255] as number);
    if (i + 3 < n) pixels[i + 3] = (pixels[i + 3] as number) + (table[r >>> 24] as number);
  }
}

/** Inverse normal CDF through Winitzki's inverse-erf approximation (error ~0.2%, plenty for noise). */
function normalQuantile(p: number): number {
  const x = 2 * p - 1;
  const a = 0.147;
  const ln = Math.log(1 - x * x);
  const t = 2 / (Math.PI * a) + ln / 2;
  return Math.SQRT2 * Math.sign(x) * Math.sqrt(Math.sqrt(t * t - ln / a) - t);
}
