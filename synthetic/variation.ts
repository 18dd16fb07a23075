import { MIN_SHORT_SIDE, type PhotoTreatments, samplePhotoTreatments } from './photo/treatments.ts';
import { type Rng, round } from './random.ts';

/**
 * The photographic variation applied to one card: font, scale, placement on a background,
 * rotation, blur, brightness, noise and encoding. Sampled here (pure) so that the label records
 * exactly what `render.ts` applies.
 *
 * Most cards are `mild` (legible for a good OCR: ≥ 900 px wide, card ≥ 80% of the frame, ≤ 1.5°,
 * little blur and noise); a minority are `hard` and use the full ranges. `real` (npm run cards --
 * --preset real) looks like the photos and scans that real clients send: the card at 25–60% of a
 * cluttered frame and turned up to 12°, and some of photocopies (15%), watermarks (20%), colour
 * casts (30%) and images re-sent through a chat app (50%: down-scaled, re-compressed, a third of
 * them stretched to a square); and, drawn from a stream of their own (photo/treatments.ts, which
 * gives their rates), photos at an angle, fingers over the edges, glare, faded cards and low
 * resolutions.
 */

export const FONTS = ['DejaVu Sans', 'DejaVu Sans Condensed', 'DejaVu Serif', 'DejaVu Sans Mono'] as const;
export type FontFamily = (typeof FONTS)[number];

export const BACKGROUND_KINDS = ['plain', 'gradient', 'stripes', 'checker', 'speckle'] as const;
export type BackgroundKind = (typeof BACKGROUND_KINDS)[number];

export type Difficulty = 'mild' | 'hard' | 'real';
export type QuarterTurn = 0 | 90 | 180 | 270;

/** The card's design size; the renderer draws in these units and scales. */
export const CARD_BASE = { width: 856, height: 540 } as const;

export type Variation = {
  difficulty: Difficulty;
  font: FontFamily;
  /** Multiplies every font size (0.9–1.1). */
  font_scale: number;
  /** Final image size, after the quarter turn. */
  width: number;
  height: number;
  /** Image size before the quarter turn. */
  frame: { width: number; height: number };
  /** The unrotated card's width in pixels (its height is width × 540/856). */
  card_width: number;
  /** Axis-aligned box of the (slightly rotated) card in the frame, before the quarter turn. */
  card_box: { x: number; y: number; width: number; height: number };
  /** `card_box.width / frame.width`. */
  card_fill: number;
  /** Small rotation of the card on the background, degrees, positive = clockwise. */
  rotation: number;
  /** Rotation of the whole image, degrees clockwise, applied last; 90 means "turn 90° anticlockwise to read". */
  quarter_turn: QuarterTurn;
  /** Gaussian blur sigma in pixels; 0 = none. */
  blur: number;
  /** Multiplies every pixel value. */
  brightness: number;
  /** Standard deviation of the added per-pixel noise, in 0–255 levels; 0 = none. */
  noise: number;
  background: { kind: BackgroundKind; color: string };
  format: 'jpeg' | 'png';
  /** JPEG quality; null for PNG. */
  quality: number | null;
  /** What a `real` card went through besides the camera; null for the other tiers. */
  real: RealWorld | null;
};

export type RealWorld = PhotoTreatments & {
  /** Greyscale with hard contrast and toner noise. */
  photocopy: boolean;
  /** Semi-transparent text drawn across the card, as people mark copies they send. */
  watermark: string | null;
  /** Per-channel gains of a coloured light (warm lamp, daylight). */
  cast: [number, number, number] | null;
  /** Sent again through a chat app: longest side down-scaled to `max_side`, JPEG at the variation's quality, maybe stretched square. */
  resent: { max_side: number; square: boolean } | null;
};

const WATERMARKS = ['HANYA UNTUK VERIFIKASI', 'COPY', 'UNTUK PINJAMAN ONLINE', 'BUKAN UNTUK DIPERJUALBELIKAN'] as const;

export type VariationOptions = {
  /** Share of `hard` cards when `difficulty` is not forced; default 0.2. */
  hardRate?: number;
  difficulty?: Difficulty;
  /** Share of quarter-turned images; default 0.1. */
  quarterTurnRate?: number;
};

export function sampleVariation(rng: Rng, options: VariationOptions = {}): Variation {
  const { hardRate = 0.2, quarterTurnRate = 0.1 } = options;
  const difficulty: Difficulty = options.difficulty ?? (rng.chance(hardRate) ? 'hard' : 'mild');
  const real = difficulty === 'real';
  // A real photo is at least as hard as a hard card in every respect the tiers share.
  const hard = difficulty === 'hard' || real;

  const font = rng.pick(FONTS);
  const fontScale = round(rng.float(0.9, 1.1), 3);
  const frameWidth = real ? rng.int(1000, 1600) : hard ? rng.int(700, 1400) : rng.int(900, 1400);
  const fill = round(real ? rng.float(0.25, 0.6) : hard ? rng.float(0.6, 1) : rng.float(0.8, 1), 3);
  const maxAngle = real ? 12 : hard ? 4 : 1.5;
  const rotation = round(rng.float(-maxAngle, maxAngle), 1);
  const quarterTurn: QuarterTurn = rng.chance(quarterTurnRate) ? rng.pick([90, 180, 270] as const) : 0;

  // Size the card so that its rotated bounding box is `fill` of the frame's width.
  const aspect = CARD_BASE.height / CARD_BASE.width;
  const rad = (Math.abs(rotation) * Math.PI) / 180;
  const cardWidth = round((fill * frameWidth) / (Math.cos(rad) + aspect * Math.sin(rad)), 1);
  const cardHeight = cardWidth * aspect;
  const boxWidth = cardWidth * Math.cos(rad) + cardHeight * Math.sin(rad);
  const boxHeight = cardWidth * Math.sin(rad) + cardHeight * Math.cos(rad);
  // A small card stays small both ways: the frame around it is a table or a room, not a strip.
  const verticalFill = Math.min(1, Math.max(real ? 0.25 : 0.6, fill + rng.float(-0.1, 0.1)));
  const frameHeight = Math.ceil(boxHeight / verticalFill);
  const x = round(rng.float(0, Math.max(0, frameWidth - boxWidth)), 1);
  const y = round(rng.float(0, Math.max(0, frameHeight - boxHeight)), 1);

  const blurSigma = hard ? rng.float(0, 1.2) : rng.chance(0.6) ? 0 : rng.float(0, 0.5);
  // sharp's blur needs sigma ≥ 0.3; below that the image is left sharp and 0 is recorded.
  const blur = blurSigma < 0.3 ? 0 : round(blurSigma, 2);
  const brightness = round(hard ? rng.float(0.75, 1.25) : rng.float(0.9, 1.1), 3);
  const noise = round(hard ? rng.float(2, 8) : rng.float(0, 3), 1);
  const world = real ? sampleRealWorld(rng, fill) : null;
  const jpeg = world?.resent ? true : rng.chance(hard ? 0.85 : 0.8);
  const quality = world?.resent ? rng.int(40, 75) : jpeg ? (hard ? rng.int(55, 95) : rng.int(75, 95)) : null;

  const turned = quarterTurn === 90 || quarterTurn === 270;
  const [width, height] = finalSize(turned ? frameHeight : frameWidth, turned ? frameWidth : frameHeight, world);
  return {
    difficulty,
    font,
    font_scale: fontScale,
    width,
    height,
    frame: { width: frameWidth, height: frameHeight },
    card_width: cardWidth,
    card_box: { x, y, width: round(boxWidth, 1), height: round(boxHeight, 1) },
    card_fill: round(boxWidth / frameWidth, 3),
    rotation,
    quarter_turn: quarterTurn,
    blur,
    brightness,
    noise,
    background: { kind: rng.pick(BACKGROUND_KINDS), color: randomColour(rng) },
    format: jpeg ? 'jpeg' : 'png',
    quality,
    real: world,
  };
}

function sampleRealWorld(rng: Rng, fill: number): RealWorld {
  return {
    photocopy: rng.chance(0.15),
    watermark: rng.chance(0.2) ? rng.pick(WATERMARKS) : null,
    cast: rng.chance(0.3)
      ? [round(rng.float(0.85, 1.15), 3), round(rng.float(0.9, 1.1), 3), round(rng.float(0.8, 1.15), 3)]
      : null,
    resent: rng.chance(0.5) ? { max_side: rng.int(640, 1280), square: rng.chance(0.3) } : null,
    // A forked stream: the draws above, and every later draw of the variation, are what they were
    // before these treatments existed, so a seed shows the same card with or without them.
    ...samplePhotoTreatments(rng.fork('photo'), fill),
  };
}

/**
 * The image's size after a low-resolution camera (longest side at most its `max_side`, shortest at
 * least MIN_SHORT_SIDE) and then a chat app (longest side at most its `max_side`, or a square of
 * it; a square of a low-resolution image is no larger than the image was).
 */
export function finalSize(width: number, height: number, world: RealWorld | null): [number, number] {
  let [w, h] = [width, height];
  if (world?.lowres) {
    const scale = Math.min(1, Math.max(world.lowres.max_side / Math.max(w, h), MIN_SHORT_SIDE / Math.min(w, h)));
    [w, h] = [Math.round(w * scale), Math.round(h * scale)];
  }
  const resent = world?.resent;
  if (!resent) return [w, h];
  if (resent.square) {
    const side = world.lowres ? Math.min(resent.max_side, Math.max(w, h)) : resent.max_side;
    return [side, side];
  }
  const scale = Math.min(1, resent.max_side / Math.max(w, h));
  return [Math.max(1, Math.round(w * scale)), Math.max(1, Math.round(h * scale))];
}

/** A muted colour (a table, a sheet of paper, a hand) as `#rrggbb`. */
function randomColour(rng: Rng): string {
  const h = rng.float(0, 360);
  const s = rng.float(0.05, 0.5);
  const l = rng.float(0.2, 0.8);
  const c = (1 - Math.abs(2 * l - 1)) * s;
  const hp = h / 60;
  const xx = c * (1 - Math.abs((hp % 2) - 1));
  const [r, g, b] =
    hp < 1
      ? [c, xx, 0]
      : hp < 2
        ? [xx, c, 0]
        : hp < 3
          ? [0, c, xx]
          : hp < 4
            ? [0, xx, c]
            : hp < 5
              ? [xx, 0, c]
              : [c, 0, xx];
  const m = l - c / 2;
  return `#${[r, g, b]
    .map((v) =>
      Math.round((v + m) * 255)
        .toString(16)
        .padStart(2, '0'),
    )
    .join('')}`;
}
