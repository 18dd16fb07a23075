import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { Card } from '../../../synthetic/card.ts';
import { generateCard, generateSet, planCard } from '../../../synthetic/generate.ts';
import { type Matrix3, multiply, project, rotate, scale, translate } from '../../../synthetic/photo/homography.ts';
import { MIN_SHORT_SIDE, type PhotoTreatments } from '../../../synthetic/photo/treatments.ts';
import { createRng } from '../../../synthetic/random.ts';
import { loadRegionData, type RegionData } from '../../../synthetic/regions.ts';
import { renderCard } from '../../../synthetic/render.ts';
import { CARD_BASE, finalSize, type RealWorld, sampleVariation, type Variation } from '../../../synthetic/variation.ts';
import { TODAY } from './support.ts';

const NO_TREATMENT: RealWorld = {
  photocopy: false,
  watermark: null,
  cast: null,
  resent: null,
  perspective: null,
  fingers: null,
  glare: null,
  fading: null,
  lowres: null,
};

type Raster = { data: Buffer; width: number; height: number };

/** A real card's variation with nothing but `treatments`, and no blur, noise or lossy encoding to blur the comparison. */
function only(variation: Variation, treatments: Partial<PhotoTreatments>): Variation {
  const real = { ...NO_TREATMENT, ...treatments };
  const [width, height] = finalSize(variation.frame.width, variation.frame.height, real);
  return {
    ...variation,
    blur: 0,
    noise: 0,
    brightness: 1,
    quarter_turn: 0,
    format: 'png',
    quality: null,
    width,
    height,
    real,
  };
}

async function raster(card: Card, variation: Variation, seed: number): Promise<Raster> {
  const { image } = await renderCard(card, variation, seed);
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

const rgb = (image: Raster, [x, y]: [number, number]) => {
  const at = (Math.round(y) * image.width + Math.round(x)) * 3;
  return [image.data[at], image.data[at + 1], image.data[at + 2]] as [number, number, number];
};

/** Card design units → frame pixels, as the renderer places the card (before any tilt). */
function placement(variation: Variation): Matrix3 {
  const box = variation.card_box;
  return [
    translate(box.x + box.width / 2, box.y + box.height / 2),
    rotate(variation.rotation),
    scale(variation.card_width / CARD_BASE.width),
    translate(-CARD_BASE.width / 2, -CARD_BASE.height / 2),
  ].reduce(multiply);
}

function inFrame(variation: Variation, m: Matrix3, x: number, y: number): [number, number] {
  const point = project(m, x, y);
  assert.ok(point);
  assert.ok(point[0] >= 0 && point[1] >= 0 && point[0] < variation.frame.width && point[1] < variation.frame.height);
  return point;
}

const luma = ([r, g, b]: [number, number, number]) => 0.299 * r + 0.587 * g + 0.114 * b;
const hex = (colour: string) => [1, 3, 5].map((i) => Number.parseInt(colour.slice(i, i + 2), 16));

describe('the real preset', () => {
  it('should put the card small in the frame, turned up to 12°, and give some cards each treatment', () => {
    const variations = Array.from({ length: 400 }, (_, seed) =>
      sampleVariation(createRng(seed), { difficulty: 'real' }),
    );
    for (const v of variations) {
      assert.ok(v.card_fill >= 0.24 && v.card_fill <= 0.61, `fill ${v.card_fill}`);
      assert.ok(Math.abs(v.rotation) <= 12);
      assert.ok(v.real);
      if (v.real.resent) {
        assert.equal(v.format, 'jpeg');
        assert.ok(v.quality !== null && v.quality >= 40 && v.quality <= 75);
        assert.ok(Math.max(v.width, v.height) <= v.real.resent.max_side);
        if (v.real.resent.square) assert.equal(v.width, v.height);
      }
    }
    const share = (test: (v: (typeof variations)[number]) => boolean) =>
      variations.filter(test).length / variations.length;
    assert.ok(Math.abs(share((v) => v.real?.photocopy === true) - 0.15) < 0.05);
    assert.ok(Math.abs(share((v) => v.real?.watermark !== null) - 0.2) < 0.05);
    assert.ok(Math.abs(share((v) => v.real?.cast !== null) - 0.3) < 0.06);
    assert.ok(Math.abs(share((v) => v.real?.resent !== null) - 0.5) < 0.07);
  });

  it('should leave the other tiers as they were: no real-world treatment', () => {
    for (let seed = 0; seed < 50; seed++) assert.equal(sampleVariation(createRng(seed)).real, null);
  });

  it('should render what the label records: the size after re-sending, and a photocopy without colour', async () => {
    const checked = { resent: 0, photocopy: 0 };
    for (let seed = 0; seed < 40 && (checked.resent < 2 || checked.photocopy < 1); seed++) {
      const { image, label } = await generateCard(seed, { type: 'KTP', today: TODAY, difficulty: 'real' });
      const v = label.expect.variation;
      const meta = await sharp(image).metadata();
      assert.deepEqual([meta.width, meta.height], [v.width, v.height], `seed ${seed}`);
      assert.deepEqual(label.expect.not_decision, ['auto_reject'], 'a legitimate card may be reviewed, never rejected');
      if (v.real?.resent) checked.resent++;
      if (v.real?.photocopy) {
        const { channels } = await sharp(image).stats();
        const means = channels.slice(0, 3).map((channel) => channel.mean);
        assert.ok(Math.max(...means) - Math.min(...means) < 3, `seed ${seed}: grey, ${means.join(', ')}`);
        checked.photocopy++;
      }
    }
    assert.ok(checked.resent >= 2 && checked.photocopy >= 1, 'the seeds tried cover both treatments');
  });

  it('should make every card of a set real when asked', () => {
    const set = generateSet({ count: 10, seed: 3, defectRate: 0.3, today: TODAY, preset: 'real' });
    assert.ok(set.every((card) => card.options.difficulty === 'real'));
    assert.ok(
      generateSet({ count: 10, seed: 3, defectRate: 0.3, today: TODAY }).every((card) => !card.options.difficulty),
    );
  });
});

describe('the real preset’s photo treatments, as rendered', () => {
  let regions: RegionData;
  let card: Card;
  let variation: Variation;
  const seed = 3;
  before(async () => {
    regions = await loadRegionData();
    const planned = planCard(seed, { type: 'KTP', today: TODAY, difficulty: 'real' }, regions);
    card = planned.card;
    variation = { ...planned.label.expect.variation, background: { kind: 'plain', color: '#406080' } };
  });

  /** Luma of the frame pixels under a grid of card points (design units, flat card). */
  const lumas = (image: Raster, [x0, y0, x1, y1]: [number, number, number, number]) => {
    const m = placement(variation);
    const out: number[] = [];
    for (let y = y0; y <= y1; y += 6)
      for (let x = x0; x <= x1; x += 6) out.push(luma(rgb(image, inFrame(variation, m, x, y))));
    return out;
  };
  const mean = (values: number[]) => values.reduce((sum, v) => sum + v, 0) / values.length;
  const stdev = (values: number[]) => Math.sqrt(mean(values.map((v) => (v - mean(values)) ** 2)));

  it('should photograph the card at an angle: the far edge shrinks, and nothing moves outside the card’s box', async () => {
    const flat = await raster(card, only(variation, {}), seed);
    const tilted = await raster(card, only(variation, { perspective: { pitch: 0, yaw: 22, distance: 1.4 } }), seed);
    const m = placement(variation);
    const farCorner = inFrame(variation, m, 840, 100);
    assert.ok(rgb(flat, farCorner)[2] > 200, 'the flat card is there');
    assert.ok(rgb(tilted, farCorner)[2] < 160, `the tilted card's far edge has moved away: ${rgb(tilted, farCorner)}`);

    const box = variation.card_box;
    const margin = 12 * (variation.card_width / CARD_BASE.width) + 2; // the card's shadow, and antialiasing
    let inside = 0;
    let changedInside = 0;
    for (let y = 0; y < flat.height; y++)
      for (let x = 0; x < flat.width; x++) {
        const same = rgb(flat, [x, y]).every((v, i) => v === rgb(tilted, [x, y])[i]);
        const within =
          x >= box.x - margin &&
          x <= box.x + box.width + margin &&
          y >= box.y - margin &&
          y <= box.y + box.height + margin;
        if (!within) assert.ok(same, `(${x}, ${y}) outside the card's box changed`);
        else {
          inside++;
          if (!same) changedInside++;
        }
      }
    assert.ok(changedInside > inside * 0.1, `${changedInside} of ${inside} pixels changed`);
  });

  it('should draw fingers, skin-coloured, over the edge the label names', async () => {
    const plain = await raster(card, only(variation, {}), seed);
    const m = placement(variation);
    for (const finger of [
      { edge: 'bottom' as const, along: 300, depth: 80, width: 170, angle: 0, tone: '#c68642' },
      { edge: 'left' as const, along: 440, depth: 90, width: 170, angle: 0, tone: '#e0ac69' },
    ]) {
      const held = await raster(card, only(variation, { fingers: [finger] }), seed);
      const point =
        finger.edge === 'bottom'
          ? inFrame(variation, m, 300 - 0.35 * 170, 530)
          : inFrame(variation, m, 10, 440 + 0.35 * 170);
      const colour = rgb(held, point);
      for (const [i, channel] of hex(finger.tone).entries()) {
        assert.ok(Math.abs((colour[i] as number) - channel) < 45, `${finger.edge}: ${colour} for ${finger.tone}`);
      }
      assert.ok(
        rgb(plain, point).some((v, i) => Math.abs(v - (colour[i] as number)) > 40),
        'the card there was not skin-coloured',
      );
    }
  });

  it('should wash out the card under a glare hotspot', async () => {
    const region: [number, number, number, number] = [368, 240, 488, 300];
    const plain = lumas(await raster(card, only(variation, {}), seed), region);
    const glare = { cx: 428, cy: 270, rx: 220, ry: 140, angle: 10, strength: 0.9 };
    const glared = lumas(await raster(card, only(variation, { glare }), seed), region);
    assert.ok(mean(glared) > mean(plain) + 20 && mean(glared) > 225, `${mean(plain)} → ${mean(glared)}`);
    assert.ok(stdev(glared) < stdev(plain) * 0.4, `contrast ${stdev(plain)} → ${stdev(glared)}`);
  });

  it('should fade and yellow the card: lower contrast, less blue', async () => {
    const region: [number, number, number, number] = [60, 100, 620, 440];
    const plainImage = await raster(card, only(variation, {}), seed);
    const fadedImage = await raster(card, only(variation, { fading: { amount: 0.4, tint: '#f2e6c2' } }), seed);
    assert.ok(stdev(lumas(fadedImage, region)) < stdev(lumas(plainImage, region)) * 0.75);
    const m = placement(variation);
    const blueness = (image: Raster) => {
      const [r, , b] = rgb(image, inFrame(variation, m, 600, 500));
      return b - r;
    };
    assert.ok(blueness(fadedImage) < blueness(plainImage) - 15, `${blueness(plainImage)} → ${blueness(fadedImage)}`);
  });

  it('should make a low-resolution image as small as 500×300, decodable, the size the label records', async () => {
    const lowres = only(variation, { lowres: { max_side: 500 } });
    const { image } = await renderCard(card, lowres, seed);
    const meta = await sharp(image).metadata();
    assert.deepEqual([meta.width, meta.height], [lowres.width, lowres.height]);
    assert.ok(Math.min(lowres.width, lowres.height) >= MIN_SHORT_SIDE);
    assert.ok(Math.max(lowres.width, lowres.height) <= 500 || Math.min(lowres.width, lowres.height) === MIN_SHORT_SIDE);

    for (let s = 0; s < 400; s++) {
      const v = sampleVariation(createRng(s), { difficulty: 'real' });
      if (!v.real?.lowres) continue;
      const [long, short] = [Math.max(v.width, v.height), Math.min(v.width, v.height)];
      const { width: frameWidth, height: frameHeight } = v.frame;
      // At most max_side long, unless the frame is so wide that its short side would drop below the floor.
      const longest = Math.max(
        v.real.lowres.max_side,
        (MIN_SHORT_SIDE * Math.max(frameWidth, frameHeight)) / Math.min(frameWidth, frameHeight),
      );
      assert.ok(long <= Math.ceil(longest), `seed ${s}: ${v.width}×${v.height}`);
      // A chat app may shrink it further; otherwise the short side keeps the floor.
      if (!v.real.resent) assert.ok(short >= MIN_SHORT_SIDE, `seed ${s}: ${v.width}×${v.height}`);
    }
    assert.deepEqual(
      finalSize(1500, 1000, { ...NO_TREATMENT, lowres: { max_side: 600 }, resent: { max_side: 1000, square: true } }),
      [600, 600],
    );
  });

  it('should record every treatment in the label and give the same bytes for the same seed', async () => {
    let found: number | undefined;
    for (let s = 0; s < 300 && found === undefined; s++) {
      const real = planCard(s, { type: 'KTP', today: TODAY, difficulty: 'real' }, regions).label.expect.variation.real;
      if (real?.perspective && real.fingers && (real.glare || real.fading)) found = s;
    }
    assert.ok(found !== undefined);
    const a = await generateCard(found, { type: 'KTP', today: TODAY, difficulty: 'real' });
    const b = await generateCard(found, { type: 'KTP', today: TODAY, difficulty: 'real' });
    const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex');
    assert.equal(sha(a.image), sha(b.image));
    assert.deepEqual(Object.keys(a.label.expect.variation.real ?? {}).sort(), Object.keys(NO_TREATMENT).sort());
    // The label is what was applied: rendering it again gives the same image.
    const { card: planned } = planCard(found, { type: 'KTP', today: TODAY, difficulty: 'real' }, regions);
    assert.equal(sha((await renderCard(planned, a.label.expect.variation, found)).image), sha(a.image));
    const meta = await sharp(a.image).metadata();
    assert.deepEqual([meta.width, meta.height], [a.label.expect.variation.width, a.label.expect.variation.height]);
  });
});
