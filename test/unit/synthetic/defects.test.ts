import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ReasonCode } from '../../../domain/reasons.ts';
import { REASONS } from '../../../domain/reasons.ts';
import { DEFECT_KINDS, DEFECTS, type DefectKind, defectsFor } from '../../../synthetic/defects.ts';
import { type CardLabel, planCard } from '../../../synthetic/generate.ts';
import { loadRegionData, type RegionData } from '../../../synthetic/regions.ts';
import {
  ageOn,
  checkNik,
  loadReference,
  luhnValid,
  nikMatchesPrinted,
  nikParts,
  type Reference,
  TODAY,
  unknownRegionLevel,
} from './support.ts';

const SEEDS = Array.from({ length: 40 }, (_, i) => 1000 + i);
/** Enough seeds to meet the rarer layouts (8% of KTPs are a foreign resident's). */
const SEEDS_WIDE = Array.from({ length: 200 }, (_, i) => 2000 + i);
const KTP_KEYS = 19;
const NPWP_KEYS = ['npwp', 'nama', 'nik', 'alamat', 'tanggal_terdaftar'];

describe('synthetic defects', () => {
  let regions: RegionData;
  let ref: Reference;
  before(async () => {
    [regions, ref] = await Promise.all([loadRegionData(), loadReference()]);
  });

  const plan = (seed: number, type: 'KTP' | 'NPWP', defect: DefectKind) =>
    planCard(seed, { type, defect, today: TODAY }, regions).label;

  const f = (label: CardLabel, key: string) => label.fields[key] as string;

  /** The KTP is consistent apart from the defect under test. */
  function ktpConsistent(label: CardLabel, at: string, except: 'date' | 'sex' | 'region' | 'none' = 'none') {
    if (except !== 'region') checkNik(f(label, 'nik'), ref, at);
    const match = nikMatchesPrinted(f(label, 'nik'), f(label, 'tanggal_lahir'), f(label, 'jenis_kelamin'));
    if (except !== 'date') assert.ok(match.date, `${at}: NIK date`);
    if (except !== 'sex') assert.ok(match.sex, `${at}: NIK sex`);
  }

  it('should name only reason codes that domain/reasons.ts defines', () => {
    for (const kind of DEFECT_KINDS) {
      for (const code of DEFECTS[kind].reasons) assert.ok(code in REASONS, `${kind}: ${code}`);
    }
    assert.deepEqual(defectsFor('NPWP'), ['region_unknown', 'npwp_check_digit', 'wrong_type']);
    assert.equal(defectsFor('KTP').length, 6);
  });

  it('should label every defective card not_decision auto_approve with its reason codes', () => {
    for (const type of ['KTP', 'NPWP'] as const) {
      for (const defect of defectsFor(type)) {
        const label = plan(1, type, defect);
        assert.equal(label.type, type);
        assert.deepEqual(label.expect.not_decision, ['auto_approve']);
        assert.equal(label.expect.decision, undefined);
        const sixteen = label.expect.variation.layout === 'npwp_16' && defect === 'region_unknown';
        const reasons: ReasonCode[] = sixteen ? ['NPWP_CHECK_DIGIT_UNVERIFIABLE'] : [...DEFECTS[defect].reasons];
        assert.deepEqual(label.expect.reasons, reasons);
        assert.equal(label.expect.defect, defect);
        assert.ok((label.expect.must_flag ?? []).length > 0);
      }
    }
  });

  it('should print another birth date than the NIK encodes for nik_date_mismatch', () => {
    for (const seed of SEEDS) {
      const label = plan(seed, 'KTP', 'nik_date_mismatch');
      const at = `seed ${seed}`;
      ktpConsistent(label, at, 'date');
      assert.equal(nikMatchesPrinted(f(label, 'nik'), f(label, 'tanggal_lahir'), '').date, false, at);
      assert.ok(ageOn(f(label, 'tanggal_lahir'), TODAY) >= 17, at);
    }
  });

  it('should print the other sex than the NIK encodes for nik_sex_mismatch', () => {
    let women = 0;
    for (const seed of SEEDS) {
      const label = plan(seed, 'KTP', 'nik_sex_mismatch');
      const at = `seed ${seed}`;
      ktpConsistent(label, at, 'sex');
      const parts = nikParts(f(label, 'nik'));
      assert.equal(nikMatchesPrinted(f(label, 'nik'), f(label, 'tanggal_lahir'), f(label, 'jenis_kelamin')).sex, false);
      if (parts.sex === 'PEREMPUAN') women++;
    }
    assert.ok(women > 5 && women < 35, 'both directions (day + 40 printed LAKI-LAKI, and the reverse)');
  });

  it("should swap MALE and FEMALE on a foreign resident's card for nik_sex_mismatch", () => {
    const wna = SEEDS_WIDE.map((seed) => plan(seed, 'KTP', 'nik_sex_mismatch')).filter(
      (label) => label.expect.variation.layout === 'ktp_wna',
    );
    assert.ok(wna.length >= 3, `${wna.length} WNA cards`);
    for (const label of wna) {
      assert.ok(['MALE', 'FEMALE'].includes(f(label, 'jenis_kelamin')));
      assert.equal(nikMatchesPrinted(f(label, 'nik'), f(label, 'tanggal_lahir'), f(label, 'jenis_kelamin')).sex, false);
    }
  });

  it('should put a province, regency or district code that idn-area-data lacks in the NIK for region_unknown', () => {
    const levels = new Set<string>();
    for (const seed of SEEDS) {
      for (const type of ['KTP', 'NPWP'] as const) {
        const label = plan(seed, type, 'region_unknown');
        // The old NPWP card prints no NIK, so it never carries this defect; on a 16-digit NPWP the NIK is the NPWP.
        assert.notEqual(label.expect.variation.layout, 'npwp_old');
        const nik = label.expect.variation.layout === 'npwp_16' ? f(label, 'npwp') : f(label, 'nik');
        const level = unknownRegionLevel(nik, ref);
        assert.ok(level, `seed ${seed} ${type}: ${nik} should name an unknown region`);
        levels.add(level);
        if (type === 'KTP') ktpConsistent(label, `seed ${seed}`, 'region');
      }
    }
    assert.deepEqual([...levels].sort(), ['district', 'province', 'regency']);
  });

  it('should make the holder 10 to 16 years old, with a consistent NIK, for underage', () => {
    for (const seed of SEEDS) {
      const label = plan(seed, 'KTP', 'underage');
      const age = ageOn(f(label, 'tanggal_lahir'), TODAY);
      assert.ok(age >= 10 && age <= 16, `seed ${seed}: age ${age}`);
      ktpConsistent(label, `seed ${seed}`);
    }
  });

  it('should print a past Berlaku Hingga date for expired', () => {
    for (const seed of SEEDS) {
      const label = plan(seed, 'KTP', 'expired');
      assert.match(f(label, 'berlaku_hingga'), /^\d{4}-\d{2}-\d{2}$/);
      assert.ok(f(label, 'berlaku_hingga') < TODAY, `seed ${seed}`);
      // The card was issued five years before it expired, and the label says so.
      assert.equal(Number(f(label, 'tanggal_terbit').slice(0, 4)) + 5, Number(f(label, 'berlaku_hingga').slice(0, 4)));
      assert.ok(ageOn(f(label, 'tanggal_lahir'), TODAY) >= 17);
      ktpConsistent(label, `seed ${seed}`);
    }
  });

  it('should print an NPWP whose Luhn check fails for npwp_check_digit', () => {
    for (const seed of SEEDS) {
      const label = plan(seed, 'NPWP', 'npwp_check_digit');
      // A 16-digit NPWP has no 15-digit check digit: the defect is always on a 15-digit layout.
      assert.ok(['npwp_nik', 'npwp_old'].includes(label.expect.variation.layout), label.expect.variation.layout);
      assert.match(f(label, 'npwp'), /^\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}$/);
      assert.ok(!luhnValid(f(label, 'npwp').replace(/\D/g, '').slice(0, 9)), `seed ${seed}: ${f(label, 'npwp')}`);
      if (label.expect.variation.layout === 'npwp_nik') checkNik(f(label, 'nik'), ref, `seed ${seed}`);
      const clean = planCard(seed, { type: 'NPWP', today: TODAY }, regions).label;
      if (clean.expect.variation.layout !== label.expect.variation.layout) continue;
      assert.equal(f(label, 'npwp').slice(0, 11), f(clean, 'npwp').slice(0, 11), 'only the check digit changes');
      assert.equal(f(label, 'npwp').slice(12), f(clean, 'npwp').slice(12));
    }
  });

  it('should show the other card type for wrong_type, labelled with the uploaded type and the shown fields', () => {
    for (const seed of SEEDS.slice(0, 10)) {
      const ktpUpload = plan(seed, 'KTP', 'wrong_type');
      assert.equal(ktpUpload.type, 'KTP');
      assert.equal(ktpUpload.expect.detected_type, 'NPWP');
      const layout = ktpUpload.expect.variation.layout;
      assert.deepEqual(
        Object.keys(ktpUpload.fields),
        NPWP_KEYS.filter((key) => key !== 'nik' || layout === 'npwp_nik'),
      );
      if (layout === 'npwp_16') checkNik(f(ktpUpload, 'npwp'), ref, `seed ${seed}`);
      else assert.ok(luhnValid(f(ktpUpload, 'npwp').replace(/\D/g, '').slice(0, 9)));

      const npwpUpload = plan(seed, 'NPWP', 'wrong_type');
      assert.equal(npwpUpload.type, 'NPWP');
      assert.equal(npwpUpload.expect.detected_type, 'KTP');
      assert.equal(Object.keys(npwpUpload.fields).length, KTP_KEYS);
      ktpConsistent(npwpUpload, `seed ${seed}`);
      assert.ok(ageOn(f(npwpUpload, 'tanggal_lahir'), TODAY) >= 17);
    }
  });

  it('should keep the identity of the clean card of the same seed', () => {
    const clean = planCard(7, { type: 'KTP', today: TODAY }, regions).label;
    for (const defect of ['nik_date_mismatch', 'nik_sex_mismatch', 'region_unknown'] as const) {
      const label = plan(7, 'KTP', defect);
      assert.equal(f(label, 'nama'), f(clean, 'nama'));
      assert.equal(f(label, 'alamat'), f(clean, 'alamat'));
      assert.deepEqual(label.expect.variation, clean.expect.variation);
    }
  });

  it('should carry every defect on every layout that can show it', () => {
    const expected: Record<DefectKind, string[]> = {
      nik_date_mismatch: ['ktp_old_blue', 'ktp_standard', 'ktp_wna'],
      nik_sex_mismatch: ['ktp_old_blue', 'ktp_standard', 'ktp_wna'],
      underage: ['ktp_old_blue', 'ktp_standard', 'ktp_wna'],
      expired: ['ktp_old_blue', 'ktp_standard', 'ktp_wna'],
      // No NIK on the old card; a 16-digit NPWP has no 15-digit check digit.
      region_unknown: ['ktp_old_blue', 'ktp_standard', 'ktp_wna', 'npwp_16', 'npwp_nik'],
      npwp_check_digit: ['npwp_nik', 'npwp_old'],
      wrong_type: ['ktp_old_blue', 'ktp_standard', 'ktp_wna', 'npwp_16', 'npwp_nik', 'npwp_old'],
    };
    for (const defect of DEFECT_KINDS) {
      const layouts = new Set<string>();
      for (const type of DEFECTS[defect].types) {
        for (const seed of SEEDS_WIDE) layouts.add(plan(seed, type, defect).expect.variation.layout);
      }
      assert.deepEqual([...layouts].sort(), expected[defect], defect);
    }
  });

  it('should refuse a defect that does not apply to the uploaded type', () => {
    assert.throws(() => plan(1, 'NPWP', 'underage'), /does not apply to NPWP/);
    assert.throws(() => plan(1, 'KTP', 'npwp_check_digit'), /does not apply to KTP/);
  });
});
