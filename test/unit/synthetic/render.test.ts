import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { MAX_UPLOAD_BYTES } from '../../../domain/uploadLimits.ts';
import type { KtpCard } from '../../../synthetic/card.ts';
import { generateCard, OVERSIZED_PNG_JPEG_QUALITY, planCard } from '../../../synthetic/generate.ts';
import { createRng } from '../../../synthetic/random.ts';
import { loadRegionData, type RegionData } from '../../../synthetic/regions.ts';
import { escapeXml, frameSvg, renderCard } from '../../../synthetic/render.ts';
import { FONTS, sampleVariation, type Variation } from '../../../synthetic/variation.ts';
import { TODAY } from './support.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

describe('synthetic card images', () => {
  let regions: RegionData;
  before(async () => {
    regions = await loadRegionData();
  });

  it('should give a byte-identical image and label for the same seed, and different ones for another seed', async () => {
    const a = await generateCard(42, { type: 'KTP', today: TODAY });
    const b = await generateCard(42, { type: 'KTP', today: TODAY });
    assert.equal(sha256(a.image), sha256(b.image));
    assert.equal(JSON.stringify(a.label), JSON.stringify(b.label));
    assert.equal(a.mime, b.mime);

    const c = await generateCard(43, { type: 'KTP', today: TODAY });
    assert.notEqual(sha256(c.image), sha256(a.image));
    assert.notEqual(c.label.fields.nik, a.label.fields.nik);
    assert.notDeepEqual(c.label.expect.variation, a.label.expect.variation);
  });

  it('should encode images that sharp decodes, in the recorded format and size', async () => {
    for (let seed = 0; seed < 10; seed++) {
      const type = seed % 2 ? 'NPWP' : 'KTP';
      const { image, mime, label } = await generateCard(seed, {
        type,
        today: TODAY,
        ...(seed % 3 ? {} : { difficulty: 'hard' }),
      });
      const v = label.expect.variation;
      const meta = await sharp(image).metadata();
      assert.equal(meta.format, v.format, `seed ${seed}`);
      assert.equal(mime, v.format === 'png' ? 'image/png' : 'image/jpeg');
      assert.equal(meta.width, v.width, `seed ${seed}`);
      assert.equal(meta.height, v.height, `seed ${seed}`);
      assert.ok((v.width >= 700 && v.width <= 1400) || (v.height >= 700 && v.height <= 1400));
      const stats = await sharp(image).stats();
      assert.ok(
        stats.channels.some((ch) => ch.stdev > 20),
        `seed ${seed}: the image is not blank`,
      );
    }
  });

  it('should apply the recorded quarter turn: turning the image back gives the unturned render', async () => {
    const found: { seed: number; variation: Variation }[] = [];
    for (let seed = 0; found.length < 3 && seed < 400; seed++) {
      const v = planCard(seed, { type: 'KTP', today: TODAY }, regions).label.expect.variation;
      if (v.quarter_turn !== 0 && !found.some((f) => f.variation.quarter_turn === v.quarter_turn))
        found.push({ seed, variation: v });
    }
    assert.deepEqual(found.map((f) => f.variation.quarter_turn).sort(), [180, 270, 90]);
    for (const { seed, variation } of found) {
      const { card } = planCard(seed, { type: 'KTP', today: TODAY }, regions);
      const png = { ...variation, format: 'png' as const, quality: null };
      const turned = await renderCard(card, png, seed);
      const flat = await renderCard(card, { ...png, quarter_turn: 0, ...variation.frame }, seed);
      const meta = await sharp(turned.image).metadata();
      if (variation.quarter_turn === 180)
        assert.deepEqual([meta.width, meta.height], [variation.frame.width, variation.frame.height]);
      else assert.deepEqual([meta.width, meta.height], [variation.frame.height, variation.frame.width]);
      const back = await sharp(turned.image)
        .rotate(360 - variation.quarter_turn)
        .raw()
        .toBuffer();
      const expected = await sharp(flat.image).raw().toBuffer();
      assert.ok(back.equals(expected), `quarter turn ${variation.quarter_turn} (seed ${seed})`);
    }
  });

  it('should add noise with about the recorded standard deviation, and brightness as a factor', async () => {
    const planned = planCard(11, { type: 'NPWP', today: TODAY }, regions);
    const base: Variation = {
      ...planned.label.expect.variation,
      format: 'png',
      quality: null,
      quarter_turn: 0,
      blur: 0,
      brightness: 1,
      noise: 0,
      ...planned.label.expect.variation.frame,
    };
    const raw = async (v: Variation) =>
      sharp((await renderCard(planned.card, v, 11)).image)
        .raw()
        .toBuffer();
    const clean = await raw(base);
    const noisy = await raw({ ...base, noise: 6 });
    let sum = 0;
    let squares = 0;
    let n = 0;
    for (let i = 0; i < clean.length; i++) {
      const c = clean[i] as number;
      if (c < 20 || c > 235) continue; // away from clamping
      const d = (noisy[i] as number) - c;
      sum += d;
      squares += d * d;
      n++;
    }
    assert.ok(Math.abs(sum / n) < 0.2, `mean ${sum / n}`);
    assert.ok(Math.abs(Math.sqrt(squares / n) - 6) < 0.5, `sd ${Math.sqrt(squares / n)}`);

    const dark = await raw({ ...base, brightness: 0.8 });
    const mean = (b: Buffer) => b.reduce((acc, v) => acc + v, 0) / b.length;
    assert.ok(Math.abs(mean(dark) / mean(clean) - 0.8) < 0.01);
  });

  it('should sample variations within the specified ranges, mostly mild, with ~10% quarter turns', () => {
    const rng = createRng('variations');
    const vs = Array.from({ length: 1000 }, () => sampleVariation(rng));
    const share = (p: (v: Variation) => boolean) => vs.filter(p).length / vs.length;
    for (const v of vs) {
      assert.ok(v.frame.width >= 700 && v.frame.width <= 1400);
      assert.ok(v.card_fill >= 0.59 && v.card_fill <= 1.001, `fill ${v.card_fill}`);
      assert.ok(Math.abs(v.rotation) <= 4);
      assert.ok(v.font_scale >= 0.9 && v.font_scale <= 1.1);
      assert.ok(v.blur === 0 || (v.blur >= 0.3 && v.blur <= 1.2));
      assert.ok(v.brightness >= 0.75 && v.brightness <= 1.25);
      assert.ok(v.format === 'png' ? v.quality === null : (v.quality as number) >= 55 && (v.quality as number) <= 95);
      const box = v.card_box;
      assert.ok(box.x >= 0 && box.y >= 0, 'card inside the frame');
      assert.ok(
        box.x + box.width <= v.frame.width + 0.2 && box.y + box.height <= v.frame.height + 0.2,
        'card inside the frame',
      );
      if (v.difficulty === 'mild') {
        assert.ok(v.frame.width >= 900 && v.card_fill >= 0.79 && Math.abs(v.rotation) <= 1.5 && v.blur <= 0.5);
      }
    }
    assert.ok(Math.abs(share((v) => v.difficulty === 'hard') - 0.2) < 0.04);
    assert.ok(Math.abs(share((v) => v.quarter_turn !== 0) - 0.1) < 0.03);
    assert.deepEqual(new Set(vs.map((v) => v.font)), new Set(FONTS));
    assert.ok(share((v) => v.format === 'png') > 0.1);
  });

  it('should escape XML in printed text', async () => {
    assert.equal(escapeXml(`A & B <C> "D" 'E'`), 'A &amp; B &lt;C&gt; &quot;D&quot; &apos;E&apos;');
    const planned = planCard(5, { type: 'KTP', today: TODAY }, regions);
    const card = planned.card as KtpCard;
    const odd: KtpCard = { ...card, fields: { ...card.fields, nama: `O'NEIL & <SONS>`, alamat: 'JL. "X" NO. 1' } };
    const svg = frameSvg(odd, planned.label.expect.variation, 5);
    assert.ok(svg.includes('O&apos;NEIL &amp; &lt;SONS&gt;'));
    const { image } = await renderCard(odd, planned.label.expect.variation, 5);
    assert.ok((await sharp(image).metadata()).width);
  });

  it('should never write a file larger than the service takes: a noisy PNG too large is saved as a JPEG, and the label says so', async () => {
    // The largest frames among the plans drawn as PNGs: the kind whose noise defeats PNG's compression.
    const pngs = Array.from({ length: 200 }, (_, seed) => ({
      seed,
      variation: planCard(seed, { type: 'KTP', today: TODAY }, regions).label.expect.variation,
    })).filter(({ variation }) => variation.format === 'png');
    const area = ({ frame }: Variation) => frame.width * frame.height;
    const largest = pngs.sort((a, b) => area(b.variation) - area(a.variation)).slice(0, 3);
    let replaced = 0;
    for (const { seed } of largest) {
      const { image, mime, label } = await generateCard(seed, { type: 'KTP', today: TODAY });
      assert.ok(image.length <= MAX_UPLOAD_BYTES, `seed ${seed}: ${image.length} bytes`);
      const format = (await sharp(image).metadata()).format;
      assert.equal(format, label.expect.variation.format, `seed ${seed}: the label names the file's format`);
      assert.equal(mime, `image/${format}`);
      if (format === 'jpeg') {
        assert.equal(label.expect.variation.quality, OVERSIZED_PNG_JPEG_QUALITY);
        replaced++;
      }
    }
    assert.ok(replaced > 0, 'at least one of the largest PNG frames needed the JPEG');
  });
});
