import { CARD_BASE } from '../variation.ts';
import type { Finger, PhotoTreatments } from './treatments.ts';

/**
 * Fingers, glare and fading as SVG in the card's design units, drawn inside the card's group (so
 * they turn, scale and tilt with it) over the printed content and under the watermark, which the
 * sender adds to the finished photo.
 */

/** How far a finger goes on past the card's edge, towards the hand: out of most frames. */
const FINGER_OUTSIDE = 3000;

/** A finger's rectangle before its turn (its tip is the rounded end on the card) and the turn about `pivot`. */
export type FingerBox = {
  x: number;
  y: number;
  width: number;
  height: number;
  angle: number;
  pivot: readonly [number, number];
};

export function fingerBox(finger: Finger): FingerBox {
  const { width: cardWidth, height: cardHeight } = CARD_BASE;
  const { along, depth, width, angle } = finger;
  switch (finger.edge) {
    case 'bottom':
      return {
        x: along - width / 2,
        y: cardHeight - depth,
        width,
        height: depth + FINGER_OUTSIDE,
        angle,
        pivot: [along, cardHeight],
      };
    case 'left':
      return {
        x: -FINGER_OUTSIDE,
        y: along - width / 2,
        width: depth + FINGER_OUTSIDE,
        height: width,
        angle,
        pivot: [0, along],
      };
    case 'right':
      return {
        x: cardWidth - depth,
        y: along - width / 2,
        width: depth + FINGER_OUTSIDE,
        height: width,
        angle,
        pivot: [cardWidth, along],
      };
  }
}

/** The treatments drawn on the card; '' when there are none (the SVG of other cards is unchanged). */
export function photoOverlaySvg(world: Partial<PhotoTreatments> | null): string {
  if (!world) return '';
  const parts: string[] = [];
  const { width, height } = CARD_BASE;
  if (world.fading) {
    parts.push(
      `<rect width="${width}" height="${height}" rx="26" fill="${world.fading.tint}" fill-opacity="${world.fading.amount}"/>`,
    );
  }
  if (world.glare) {
    const { cx, cy, rx, ry, angle, strength } = world.glare;
    // The reflection is on the card's laminate: clipped to the card (a group, so that the clip is
    // not turned with the ellipse).
    parts.push(
      `<defs><clipPath id="photo-card"><rect width="${width}" height="${height}" rx="26"/></clipPath>`,
      `<radialGradient id="photo-glare"><stop offset="0" stop-color="#ffffff" stop-opacity="${strength}"/><stop offset="0.4" stop-color="#ffffff" stop-opacity="${strength}"/><stop offset="1" stop-color="#ffffff" stop-opacity="0"/></radialGradient></defs>`,
      `<g clip-path="url(#photo-card)"><ellipse cx="${cx}" cy="${cy}" rx="${rx}" ry="${ry}" transform="rotate(${angle} ${cx} ${cy})" fill="url(#photo-glare)"/></g>`,
    );
  }
  (world.fingers ?? []).forEach((finger, i) => {
    parts.push(fingerSvg(finger, `photo-finger-${i}`));
  });
  return parts.join('\n');
}

/** A rounded finger shaded across its width (darker at the sides), its shadow, and a pale nail near the tip. */
function fingerSvg(finger: Finger, id: string): string {
  const box = fingerBox(finger);
  const across = finger.edge === 'bottom' ? 'x2="1" y2="0"' : 'x2="0" y2="1"';
  const radius = num(finger.width / 2);
  const rect = (x: number, y: number, extra: string) =>
    `<rect x="${num(x)}" y="${num(y)}" width="${num(box.width)}" height="${num(box.height)}" rx="${radius}" ${extra}/>`;
  return [
    `<defs><linearGradient id="${id}" x1="0" y1="0" ${across}>`,
    `<stop offset="0" stop-color="${shade(finger.tone, 0.72)}"/><stop offset="0.3" stop-color="${finger.tone}"/><stop offset="0.55" stop-color="${shade(finger.tone, 1.08)}"/><stop offset="0.8" stop-color="${finger.tone}"/><stop offset="1" stop-color="${shade(finger.tone, 0.7)}"/>`,
    '</linearGradient></defs>',
    `<g transform="rotate(${box.angle} ${box.pivot[0]} ${box.pivot[1]})">`,
    rect(box.x + 5, box.y + 7, 'fill="#000000" fill-opacity="0.22"'),
    rect(box.x, box.y, `fill="url(#${id})"`),
    nailSvg(finger),
    '</g>',
  ].join('\n');
}

function nailSvg(finger: Finger): string {
  const { width: cardWidth, height: cardHeight } = CARD_BASE;
  const w = finger.width;
  const [long, short] = [w * 0.62, w * 0.54];
  const [x, y, width, height] =
    finger.edge === 'bottom'
      ? [finger.along - short / 2, cardHeight - finger.depth + w * 0.09, short, long]
      : finger.edge === 'left'
        ? [finger.depth - w * 0.09 - long, finger.along - short / 2, long, short]
        : [cardWidth - finger.depth + w * 0.09, finger.along - short / 2, long, short];
  return `<rect x="${num(x)}" y="${num(y)}" width="${num(width)}" height="${num(height)}" rx="${num(w * 0.25)}" fill="#f6d9cf" fill-opacity="0.45"/>`;
}

function shade(hex: string, factor: number): string {
  const channels = [1, 3, 5].map((i) => Math.min(255, Math.round(Number.parseInt(hex.slice(i, i + 2), 16) * factor)));
  return `#${channels.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

const num = (value: number) => Math.round(value * 100) / 100;
