import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { KtpCard, NpwpCard } from '../../../synthetic/card.ts';
import { planCard } from '../../../synthetic/generate.ts';
import { createIdentity } from '../../../synthetic/identity.ts';
import { LAYOUT_SHARES, OCR_A_NIK_SHARE } from '../../../synthetic/layouts.ts';
import { ocrDigitsSvg, ocrDigitsWidth } from '../../../synthetic/ocrDigits.ts';
import { createRng } from '../../../synthetic/random.ts';
import { loadRegionData, type RegionData } from '../../../synthetic/regions.ts';
import { frameSvg } from '../../../synthetic/render.ts';
import { TODAY } from './support.ts';

const share = (counts: Map<string, number>, key: string, total: number) => (counts.get(key) ?? 0) / total;
const tally = (values: readonly string[]) => {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
};

describe('synthetic card layouts', () => {
  let regions: RegionData;
  before(async () => {
    regions = await loadRegionData();
  });

  it('should draw each KTP and NPWP layout at about its share, in every preset', () => {
    for (const difficulty of [undefined, 'real'] as const) {
      const ktp = Array.from(
        { length: 600 },
        (_, seed) =>
          planCard(seed, { type: 'KTP', today: TODAY, ...(difficulty ? { difficulty } : {}) }, regions).label.expect
            .variation,
      );
      const layouts = tally(ktp.map((v) => v.layout));
      const total = LAYOUT_SHARES.KTP.reduce((sum, [, weight]) => sum + weight, 0);
      for (const [layout, weight] of LAYOUT_SHARES.KTP) {
        const seen = share(layouts, layout, ktp.length);
        assert.ok(Math.abs(seen - weight / total) < 0.05, `${difficulty ?? 'default'} ${layout}: ${seen}`);
      }
      const ocrA = share(tally(ktp.map((v) => v.nik_font as string)), 'ocr_a', ktp.length);
      assert.ok(Math.abs(ocrA - OCR_A_NIK_SHARE) < 0.06, `ocr_a NIK share ${ocrA}`);

      const npwp = Array.from(
        { length: 300 },
        (_, seed) =>
          planCard(seed, { type: 'NPWP', today: TODAY, ...(difficulty ? { difficulty } : {}) }, regions).label.expect
            .variation.layout,
      );
      const npwpLayouts = tally(npwp);
      // The old card needs a holder who was an adult before 2010: fewer than its share.
      assert.ok(share(npwpLayouts, 'npwp_old', 300) > 0.1, `npwp_old ${share(npwpLayouts, 'npwp_old', 300)}`);
      assert.ok(share(npwpLayouts, 'npwp_16', 300) > 0.2, `npwp_16 ${share(npwpLayouts, 'npwp_16', 300)}`);
      assert.ok(share(npwpLayouts, 'npwp_nik', 300) > 0.35, `npwp_nik ${share(npwpLayouts, 'npwp_nik', 300)}`);
    }
  });

  it('should give the same layout and NIK font for the same seed, and keep the draws a seed had before', () => {
    for (let seed = 0; seed < 30; seed++) {
      const a = planCard(seed, { type: 'KTP', today: TODAY }, regions);
      const b = planCard(seed, { type: 'KTP', today: TODAY }, regions);
      assert.deepEqual(a.label, b.label);
      assert.equal((a.card as KtpCard).layout, a.label.expect.variation.layout);
      assert.equal((a.card as KtpCard).nikFont, a.label.expect.variation.nik_font);
    }
    // A foreign resident shares NIK, region, address and birth date with the citizen the seed would give.
    for (let seed = 0; seed < 20; seed++) {
      const citizen = createIdentity(createRng(seed).fork('identity'), regions, { today: TODAY });
      const foreign = createIdentity(createRng(seed).fork('identity'), regions, { today: TODAY, foreign: true });
      assert.equal(foreign.nik, citizen.nik);
      assert.equal(foreign.birthDate, citizen.birthDate);
      assert.equal(foreign.alamat, citizen.alamat);
      assert.equal(foreign.npwp.digits, citizen.npwp.digits);
      assert.notEqual(foreign.kewarganegaraan, 'WNI');
      assert.notEqual(foreign.nama, citizen.nama);
    }
  });

  it('should print a foreign resident card with English values and a permit expiry', () => {
    let found = 0;
    for (let seed = 0; seed < 300; seed++) {
      const { label } = planCard(seed, { type: 'KTP', today: TODAY }, regions);
      if (label.expect.variation.layout !== 'ktp_wna') continue;
      found++;
      const f = label.fields;
      assert.notEqual(f.kewarganegaraan, 'WNI');
      assert.notEqual(f.berlaku_hingga, 'SEUMUR HIDUP');
      assert.ok((f.berlaku_hingga as string) > TODAY);
      // A residence permit (and the card with it) runs five years at most.
      assert.ok((f.berlaku_hingga as string) < `${Number(TODAY.slice(0, 4)) + 5}${TODAY.slice(4)}`);
      assert.ok(['MALE', 'FEMALE'].includes(f.jenis_kelamin as string));
      assert.match(f.nama as string, /^[A-Z]+( [A-Z]+)+$/);
      assert.ok((f.nama as string).length <= 30);
    }
    assert.ok(found >= 10 && found <= 45, `${found} KTP WNA of 300`);
  });

  it('should draw a NIK in OCR-A-like glyphs as a path, with no NIK text for the recogniser to copy', () => {
    let seed = 0;
    let planned = planCard(seed, { type: 'KTP', today: TODAY }, regions);
    while (planned.label.expect.variation.nik_font !== 'ocr_a') {
      planned = planCard(++seed, { type: 'KTP', today: TODAY }, regions);
    }
    const svg = frameSvg(planned.card, planned.label.expect.variation, seed);
    const nik = planned.label.fields.nik as string;
    assert.ok(!svg.includes(nik), 'the NIK digits are not text');
    assert.match(svg, /<path d="M[\d. ML]+" fill="none" stroke="#161616"/);
    const asText = frameSvg({ ...(planned.card as KtpCard), nikFont: 'text' }, planned.label.expect.variation, seed);
    assert.ok(asText.includes(`>${nik}</text>`));
  });

  it('should define a distinct glyph for every digit, and refuse anything else', () => {
    const paths = new Set<string>();
    for (const digit of '0123456789') {
      const path = /d="([^"]+)"/.exec(ocrDigitsSvg(0, 100, digit, 30, '#000'))?.[1];
      assert.ok(path && path.length > 10, digit);
      paths.add(path);
    }
    assert.equal(paths.size, 10);
    // Each glyph stays within its advance, so neighbours never touch.
    const xs = [
      ...(/d="([^"]+)"/.exec(ocrDigitsSvg(0, 100, '8', 30, '#000'))?.[1] ?? '').matchAll(/[ML]([\d.]+) /g),
    ].map((m) => Number(m[1]));
    assert.ok(Math.min(...xs) > 0 && Math.max(...xs) < ocrDigitsWidth(1, 30));
    assert.throws(() => ocrDigitsSvg(0, 0, '12A4', 30, '#000'), /digits 0–9/);
  });

  it('should print the old blue KTP lower and smaller than the standard one', () => {
    const planned = planCard(2, { type: 'KTP', today: TODAY }, regions);
    const card = planned.card as KtpCard;
    const variation = planned.label.expect.variation;
    const standard = frameSvg({ ...card, layout: 'ktp_standard' }, variation, 2);
    const old = frameSvg({ ...card, layout: 'ktp_old_blue' }, variation, 2);
    const rowOf = (svg: string, label: string) => {
      const match = new RegExp(`y="([\\d.]+)" font-family="[^"]+" font-size="([\\d.]+)"[^>]*>${label}<`).exec(svg);
      return { y: Number(match?.[1]), size: Number(match?.[2]) };
    };
    for (const label of ['Nama', 'Agama', 'Berlaku Hingga']) {
      assert.ok(rowOf(old, label).y > rowOf(standard, label).y, label);
      assert.ok(rowOf(old, label).size < rowOf(standard, label).size, label);
    }
    assert.ok(old.includes(card.issuedIn) && standard.includes(card.issuedIn));
  });

  it('should print the old NPWP with the Departemen Keuangan header and no NIK, the 16-digit one with the NIK as number', () => {
    let seen = 0;
    for (let seed = 0; seed < 40; seed++) {
      const planned = planCard(seed, { type: 'NPWP', today: TODAY }, regions);
      const card = planned.card as NpwpCard;
      const svg = frameSvg(card, planned.label.expect.variation, seed);
      if (card.layout === 'npwp_old') {
        assert.ok(svg.includes('DEPARTEMEN KEUANGAN REPUBLIK INDONESIA'));
        assert.ok(svg.includes('Tanggal Terdaftar :'));
        seen |= 1;
      } else {
        assert.ok(svg.includes('KEMENTERIAN KEUANGAN REPUBLIK INDONESIA'));
      }
      if (card.layout === 'npwp_16') {
        assert.match(card.fields.npwp, /^\d{16}$/);
        assert.ok(svg.includes(`NPWP : ${card.fields.npwp}`));
        seen |= 2;
      }
      assert.equal(svg.includes('NIK :'), card.layout === 'npwp_nik');
    }
    assert.equal(seen, 3);
  });
});
