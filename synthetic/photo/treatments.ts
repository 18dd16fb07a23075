import { type Rng, round } from '../random.ts';

/**
 * What the camera and the client's hands did to a `real` card besides framing it (issue 13, item
 * 8): the card photographed at an angle, fingers over its edges, a glare hotspot, a faded and
 * yellowed card, and a low-resolution image. Sampled here (pure) from the variation's own
 * `photo` stream, so that adding these left every earlier draw of a seed as it was; drawn by
 * overlays.ts (fingers, glare, fading, on the card) and perspective.ts (the warp), and recorded
 * in the label's `expect.variation.real`.
 *
 * Each treatment is drawn independently, at the rates of the preset's other treatments:
 * perspective 30% (any angled phone photo), fading 25% (cards carried in a wallet for years),
 * fingers 20% (a card held up to the camera), glare 20% (a laminated card under a lamp or the
 * flash), low resolution 20% (an old phone or a scan at a low setting).
 *
 * Positions and sizes on the card are in its design units: 856×540, origin at the top left.
 */

export const PHOTO_RATES = { perspective: 0.3, fingers: 0.2, glare: 0.2, fading: 0.25, lowres: 0.2 } as const;

export type Perspective = {
  /** Turn about the card's horizontal axis, degrees; positive = top edge away from the camera. */
  pitch: number;
  /** Turn about its vertical axis, degrees; positive = right edge away from the camera. */
  yaw: number;
  /** Camera distance in card widths: what puts the card at its share of a phone's ~65° field of view. */
  distance: number;
};

export type FingerEdge = 'bottom' | 'left' | 'right';

export type Finger = {
  edge: FingerEdge;
  /** Where the finger's axis crosses the edge: x for the bottom edge, y for a side. */
  along: number;
  /** How far the fingertip reaches into the card from the edge. */
  depth: number;
  width: number;
  /** Turn from square to the edge, degrees, about the point where the axis crosses it. */
  angle: number;
  /** Skin colour, `#rrggbb`. */
  tone: string;
};

export type Glare = {
  cx: number;
  cy: number;
  rx: number;
  ry: number;
  /** Turn of the ellipse, degrees. */
  angle: number;
  /** Opacity of the white over the hotspot's inner 40%, fading to none at its rim. */
  strength: number;
};

export type Fading = {
  /** Opacity of the paper-coloured wash over the card: lower contrast, yellowed colours. */
  amount: number;
  tint: string;
};

export type LowResolution = {
  /** Longest side of the image; the shortest stays at least MIN_SHORT_SIDE. */
  max_side: number;
};

export type PhotoTreatments = {
  perspective: Perspective | null;
  fingers: Finger[] | null;
  glare: Glare | null;
  fading: Fading | null;
  lowres: LowResolution | null;
};

/**
 * No finger reaches above this line of the card (design units from the top): every layout prints
 * the NIK and the NPWP number in the upper half (the NPWP's NIK line, the lowest, ends at ~272), and
 * a card covered there is one nobody could verify, not a hard photo of a legitimate card.
 */
export const FINGER_FREE_ABOVE = 297;

/** The smallest image side a low-resolution treatment leaves: images as small as 500×300. */
export const MIN_SHORT_SIDE = 300;

const SKIN_TONES = ['#ffdbac', '#f1c27d', '#e0ac69', '#d8a47f', '#c68642', '#a8754f', '#8d5524'] as const;
const PAPER_TINTS = ['#f2e6c2', '#efe0b9', '#f5ecd6', '#e8d9b0'] as const;
const MAX_FINGER_ANGLE = 15;

/**
 * `fill` is the card's share of the frame's width: a camera with a ~65° field of view sees a
 * width of 1.27 × its distance, so a card at fill f is 1 / (1.27 f) card widths away, and a closer
 * card shows a stronger keystone for the same angle.
 */
export function samplePhotoTreatments(rng: Rng, fill: number): PhotoTreatments {
  return {
    perspective: rng.chance(PHOTO_RATES.perspective) ? samplePerspective(rng, fill) : null,
    fingers: rng.chance(PHOTO_RATES.fingers)
      ? Array.from({ length: rng.chance(0.25) ? 2 : 1 }, () => sampleFinger(rng))
      : null,
    glare: rng.chance(PHOTO_RATES.glare) ? sampleGlare(rng) : null,
    fading: rng.chance(PHOTO_RATES.fading)
      ? { amount: round(rng.float(0.2, 0.5), 3), tint: rng.pick(PAPER_TINTS) }
      : null,
    lowres: rng.chance(PHOTO_RATES.lowres) ? { max_side: rng.int(500, 800) } : null,
  };
}

/** 8–25° off the camera's axis in any direction: a keystone of up to about a quarter of an edge. */
function samplePerspective(rng: Rng, fill: number): Perspective {
  const magnitude = rng.float(8, 25);
  const direction = rng.float(0, 2 * Math.PI);
  return {
    pitch: round(magnitude * Math.cos(direction), 1),
    yaw: round(magnitude * Math.sin(direction), 1),
    distance: round(1 / (2 * Math.tan((32.5 * Math.PI) / 180) * fill), 2),
  };
}

/**
 * A finger or thumb 15–20 mm wide (150–200 units on an 85.6 mm card) from the bottom edge, or from a
 * side below FINGER_FREE_ABOVE, reaching 35–100 (bottom) or 35–120 (side) units into the card.
 */
function sampleFinger(rng: Rng): Finger {
  const edge = rng.weighted<FingerEdge>([
    ['bottom', 2],
    ['left', 1],
    ['right', 1],
  ]);
  const width = round(rng.float(150, 200), 1);
  const depth = round(edge === 'bottom' ? rng.float(35, 100) : rng.float(35, 120), 1);
  // A side finger turned by up to 15° rises by up to depth × tan 15° at its tip, and its rounded
  // side by a little more: 40 units of margin keep it below the line.
  const along = round(edge === 'bottom' ? rng.float(60, 796) : rng.float(FINGER_FREE_ABOVE + width / 2 + 40, 510), 1);
  return {
    edge,
    along,
    depth,
    width,
    angle: round(rng.float(-MAX_FINGER_ANGLE, MAX_FINGER_ANGLE), 1),
    tone: rng.pick(SKIN_TONES),
  };
}

function sampleGlare(rng: Rng): Glare {
  const rx = rng.float(90, 260);
  return {
    cx: round(rng.float(100, 756), 1),
    cy: round(rng.float(60, 480), 1),
    rx: round(rx, 1),
    ry: round(rx * rng.float(0.35, 0.8), 1),
    angle: round(rng.float(-45, 45), 1),
    strength: round(rng.float(0.65, 0.95), 3),
  };
}
