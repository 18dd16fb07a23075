import sharp from 'sharp';
import type { Card, KtpCard, NpwpCard } from './card.ts';
import { printedDate } from './dates.ts';
import { LIFETIME } from './identity.ts';
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
 */

export type RenderedImage = { image: Buffer; mime: 'image/jpeg' | 'image/png' };

export async function renderCard(card: Card, variation: Variation, seed: number): Promise<RenderedImage> {
  const svg = frameSvg(card, variation, seed);
  let pipeline = sharp(Buffer.from(svg)).removeAlpha();
  if (variation.blur > 0) pipeline = pipeline.blur(variation.blur);
  if (variation.brightness !== 1) pipeline = pipeline.linear(variation.brightness, 0);
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  if (info.width !== variation.frame.width || info.height !== variation.frame.height) {
    throw new Error(`rendered ${info.width}×${info.height}, expected the frame size`);
  }
  addNoise(data, variation.noise, deriveSeed(seed, 'noise'));
  const world = variation.real;
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
  // A chat app's copy: `fill` stretches to the square it made of it; otherwise the aspect is kept.
  if (world?.resent) out = out.resize({ width: variation.width, height: variation.height, fit: 'fill' });
  if (variation.format === 'jpeg') {
    return { image: await out.jpeg({ quality: variation.quality ?? 90 }).toBuffer(), mime: 'image/jpeg' };
  }
  return { image: await out.png({ compressionLevel: 6 }).toBuffer(), mime: 'image/png' };
}

/** The whole frame (background + placed card) as an SVG document, pixel-sized like the frame. */
export function frameSvg(card: Card, variation: Variation, seed: number): string {
  const { width, height } = variation.frame;
  const box = variation.card_box;
  const scale = variation.card_width / CARD_BASE.width;
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  const style: Style = { font: variation.font, scale: variation.font_scale };
  const content = card.kind === 'KTP' ? ktpSvg(card, style) : npwpSvg(card, style);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    background(variation, seed),
    `<g transform="translate(${cx} ${cy}) rotate(${variation.rotation}) scale(${scale}) translate(${-CARD_BASE.width / 2} ${-CARD_BASE.height / 2})">`,
    `<rect x="5" y="8" width="${CARD_BASE.width}" height="${CARD_BASE.height}" rx="26" fill="#000" fill-opacity="0.22"/>`,
    content,
    variation.real?.watermark ? watermark(variation.real.watermark) : '',
    '</g>',
    '</svg>',
  ].join('\n');
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

const KTP = {
  labelX: 30,
  indentX: 52,
  colonX: 258,
  valueX: 272,
  valueMaxWidth: 356,
  rowY: [148, 175.5, 203, 230.5, 258, 285.5, 313, 340.5, 368, 395.5, 423, 450.5],
  rowSize: 19,
} as const;

function ktpSvg(card: KtpCard, style: Style): string {
  const f = card.fields;
  const parts: string[] = [
    '<defs>',
    '<linearGradient id="ktp-bg" x1="0" y1="0" x2="1" y2="1">',
    '<stop offset="0" stop-color="#9fcfee"/><stop offset="0.55" stop-color="#c6e4f7"/><stop offset="1" stop-color="#e6f4fc"/>',
    '</linearGradient>',
    '</defs>',
    `<rect width="${CARD_BASE.width}" height="${CARD_BASE.height}" rx="26" fill="url(#ktp-bg)"/>`,
    guilloche('#7fb8de'),
    text(style, 428, 42, `PROVINSI ${f.provinsi}`, { size: 23, bold: true, anchor: 'middle', maxWidth: 780 }),
    text(style, 428, 72, `${card.regencyKind} ${f.kabupaten_kota}`, {
      size: 23,
      bold: true,
      anchor: 'middle',
      maxWidth: 780,
    }),
    text(style, KTP.labelX, 114, 'NIK', { size: 27, bold: true }),
    text(style, KTP.colonX - 8, 114, ':', { size: 27, bold: true }),
    text(style, KTP.valueX, 114, f.nik, { size: 30, bold: true, maxWidth: 360 }),
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
    const y = KTP.rowY[i] as number;
    const labelX = indent ? KTP.indentX : KTP.labelX;
    parts.push(
      text(style, labelX, y, label, { size: KTP.rowSize, maxWidth: KTP.colonX - labelX - 6 }),
      text(style, KTP.colonX, y, ':', { size: KTP.rowSize }),
      text(style, KTP.valueX, y, value, {
        size: KTP.rowSize,
        maxWidth: label === 'Jenis Kelamin' ? 150 : KTP.valueMaxWidth,
      }),
    );
    if (label === 'Jenis Kelamin') {
      parts.push(
        text(style, 432, y, 'Gol. Darah', { size: KTP.rowSize, maxWidth: 136 }),
        text(style, 574, y, ':', { size: KTP.rowSize }),
        text(style, 588, y, f.golongan_darah, { size: KTP.rowSize, maxWidth: 44 }),
      );
    }
  });

  parts.push(
    '<rect x="640" y="128" width="180" height="225" fill="#a9aeb3"/>',
    '<circle cx="730" cy="210" r="44" fill="#8a9096"/>',
    '<path d="M652 353 C652 296 690 272 730 272 C770 272 808 296 808 353 Z" fill="#8a9096"/>',
    '<rect x="640" y="128" width="180" height="225" fill="none" stroke="#6f757b" stroke-width="1.5"/>',
    text(style, 730, 380, card.issuedIn, { size: 17, anchor: 'middle', maxWidth: 200 }),
    text(style, 730, 404, printedDate(card.issuedOn), { size: 17, anchor: 'middle' }),
    '<path d="M672 452 c14 -26 26 -26 30 -6 s10 18 22 -4 s16 -16 20 2 s18 6 40 -12" fill="none" stroke="#23364d" stroke-width="2.2"/>',
  );
  return parts.join('\n');
}

function npwpSvg(card: NpwpCard, style: Style): string {
  const f = card.fields;
  return [
    '<defs>',
    '<linearGradient id="npwp-bg" x1="0" y1="0" x2="1" y2="1">',
    '<stop offset="0" stop-color="#ffffff"/><stop offset="1" stop-color="#d9dce0"/>',
    '</linearGradient>',
    '</defs>',
    `<rect width="${CARD_BASE.width}" height="${CARD_BASE.height}" rx="26" fill="url(#npwp-bg)"/>`,
    guilloche('#c3c8ce'),
    '<path d="M0 492 H856 V514 A26 26 0 0 1 830 540 H26 A26 26 0 0 1 0 514 Z" fill="#b8bdc3"/>',
    '<circle cx="84" cy="74" r="46" fill="#9aa0a7"/><circle cx="84" cy="74" r="31" fill="#eef0f2"/>',
    '<path d="M84 52 L91 68 L108 70 L95 81 L99 98 L84 89 L69 98 L73 81 L60 70 L77 68 Z" fill="#9aa0a7"/>',
    text(style, 488, 62, 'KEMENTERIAN KEUANGAN REPUBLIK INDONESIA', {
      size: 22,
      bold: true,
      anchor: 'middle',
      maxWidth: 660,
    }),
    text(style, 488, 94, 'DIREKTORAT JENDERAL PAJAK', { size: 22, bold: true, anchor: 'middle', maxWidth: 660 }),
    '<line x1="40" y1="118" x2="816" y2="118" stroke="#5b6168" stroke-width="2"/>',
    text(style, 48, 178, `NPWP : ${f.npwp}`, { size: 34, bold: true, maxWidth: 760 }),
    text(style, 48, 226, f.nama, { size: 25, bold: true, maxWidth: 760 }),
    text(style, 48, 265, `NIK : ${f.nik}`, { size: 22, maxWidth: 760 }),
    text(style, 48, 303, card.addressLines[0], { size: 21, maxWidth: 760 }),
    text(style, 48, 335, card.addressLines[1], { size: 21, maxWidth: 760 }),
    text(style, 48, 392, card.officeLine, { size: 20, maxWidth: 760 }),
    text(style, 48, 432, `Terdaftar : ${printedDate(f.tanggal_terdaftar)}`, { size: 21, maxWidth: 760 }),
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
