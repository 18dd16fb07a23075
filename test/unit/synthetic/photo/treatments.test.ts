import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { planCard } from '../../../../synthetic/generate.ts';
import { fingerBox } from '../../../../synthetic/photo/overlays.ts';
import {
  FINGER_FREE_ABOVE,
  type Finger,
  PHOTO_RATES,
  samplePhotoTreatments,
} from '../../../../synthetic/photo/treatments.ts';
import { createRng } from '../../../../synthetic/random.ts';
import { loadRegionData, type RegionData } from '../../../../synthetic/regions.ts';
import { frameSvg } from '../../../../synthetic/render.ts';
import { CARD_BASE } from '../../../../synthetic/variation.ts';
import { TODAY } from '../support.ts';

const samples = Array.from({ length: 2000 }, (_, seed) =>
  samplePhotoTreatments(createRng(seed), 0.25 + (seed % 8) * 0.05),
);

/** Points along the outline of a finger's rectangle (its rounded corners lie inside it), in card units. */
function fingerOutline(finger: Finger): [number, number][] {
  const box = fingerBox(finger);
  const r = (box.angle * Math.PI) / 180;
  const [px, py] = box.pivot;
  const turn = (x: number, y: number): [number, number] => [
    px + (x - px) * Math.cos(r) - (y - py) * Math.sin(r),
    py + (x - px) * Math.sin(r) + (y - py) * Math.cos(r),
  ];
  const points: [number, number][] = [];
  for (let t = 0; t <= 1; t += 1 / 400) {
    points.push(
      turn(box.x + t * box.width, box.y),
      turn(box.x + t * box.width, box.y + box.height),
      turn(box.x, box.y + t * box.height),
      turn(box.x + box.width, box.y + t * box.height),
    );
  }
  return points;
}

const onCard = ([x, y]: [number, number]) => x >= 0 && x <= CARD_BASE.width && y >= 0 && y <= CARD_BASE.height;

describe('the photo treatments of the real preset', () => {
  let regions: RegionData;
  before(async () => {
    regions = await loadRegionData();
  });

  it('should give each treatment to about its documented share of cards, independently', () => {
    for (const [name, rate] of Object.entries(PHOTO_RATES)) {
      const share = samples.filter((s) => s[name as keyof typeof PHOTO_RATES] !== null).length / samples.length;
      assert.ok(Math.abs(share - rate) < 0.035, `${name}: ${share} for ${rate}`);
    }
    const both = samples.filter((s) => s.perspective && s.fading).length / samples.length;
    assert.ok(Math.abs(both - PHOTO_RATES.perspective * PHOTO_RATES.fading) < 0.03, `perspective and fading: ${both}`);
  });

  it('should tilt the card 8–25° from a distance that follows from its share of the frame', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const near = samplePhotoTreatments(createRng(`tilt-${seed}`), 0.6).perspective;
      const far = samplePhotoTreatments(createRng(`tilt-${seed}`), 0.25).perspective;
      if (!near || !far) continue;
      assert.ok(near.distance < far.distance);
    }
    for (const { perspective } of samples) {
      if (!perspective) continue;
      const magnitude = Math.hypot(perspective.pitch, perspective.yaw);
      assert.ok(magnitude >= 7.9 && magnitude <= 25.1, `${magnitude}°`);
      assert.ok(perspective.distance >= 1.3 && perspective.distance <= 3.2, `${perspective.distance} card widths`);
    }
  });

  it('should put one or two fingers over the bottom or a side edge, never above the NIK’s line', () => {
    const edges = new Set<string>();
    let pairs = 0;
    for (const { fingers } of samples) {
      if (!fingers) continue;
      assert.ok(fingers.length === 1 || fingers.length === 2);
      if (fingers.length === 2) pairs++;
      for (const finger of fingers) {
        edges.add(finger.edge);
        assert.match(finger.tone, /^#[0-9a-f]{6}$/);
        const covered = fingerOutline(finger).filter(onCard);
        assert.ok(covered.length > 0, 'the finger lies over part of the card');
        const highest = Math.min(...covered.map(([, y]) => y));
        assert.ok(highest >= FINGER_FREE_ABOVE, `${JSON.stringify(finger)} reaches y=${highest}`);
      }
    }
    assert.deepEqual([...edges].sort(), ['bottom', 'left', 'right']);
    assert.ok(pairs > 0, 'some cards are held by two fingers');
  });

  it('should print the NIK and NPWP lines above the line no finger crosses, on every card generated', () => {
    for (let seed = 0; seed < 24; seed++) {
      const { card, label } = planCard(
        seed,
        { type: seed % 3 ? 'KTP' : 'NPWP', today: TODAY, difficulty: 'real' },
        regions,
      );
      const svg = frameSvg(card, label.expect.variation, seed);
      // The number itself may be drawn as paths (a digit font); its line starts with its label.
      const lines = [...svg.matchAll(/<text[^>]* y="([\d.]+)"[^>]*>\s*(NIK|NPWP)\b/g)];
      assert.ok(lines.length > 0, `seed ${seed}: the NIK or NPWP line is labelled`);
      for (const [, y, name] of lines) assert.ok(Number(y) < FINGER_FREE_ABOVE, `seed ${seed}: ${name} at y=${y}`);
    }
  });

  it('should keep glare on the card, fading mild to strong, and low resolutions between 500 and 800 px', () => {
    for (const { glare, fading, lowres } of samples) {
      if (glare) {
        assert.ok(glare.cx > 0 && glare.cx < CARD_BASE.width && glare.cy > 0 && glare.cy < CARD_BASE.height);
        assert.ok(glare.ry <= glare.rx && glare.strength >= 0.65 && glare.strength <= 0.95);
      }
      if (fading) assert.ok(fading.amount >= 0.2 && fading.amount <= 0.5 && /^#[0-9a-f]{6}$/.test(fading.tint));
      if (lowres) assert.ok(lowres.max_side >= 500 && lowres.max_side <= 800);
    }
  });
});
