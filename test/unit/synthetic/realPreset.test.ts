import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { generateCard, generateSet } from '../../../synthetic/generate.ts';
import { createRng } from '../../../synthetic/random.ts';
import { sampleVariation } from '../../../synthetic/variation.ts';
import { TODAY } from './support.ts';

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
