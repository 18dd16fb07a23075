import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { checkKtp, checkNpwp } from '../../../domain/checks/checks.ts';
import { ENUMS } from '../../../domain/extraction/enums.ts';
import { planCard } from '../../../synthetic/generate.ts';
import {
  AGAMA,
  buildNik,
  FOREIGN_AGAMA,
  FOREIGN_PEKERJAAN,
  FOREIGN_STATUS,
  formatNpwp,
  GOLONGAN_DARAH,
  isNpwpLuhnValid,
  npwpCheckDigit,
  PEKERJAAN,
  STATUS_PERKAWINAN,
} from '../../../synthetic/identity.ts';
import { loadRegionData, type RegionData } from '../../../synthetic/regions.ts';
import { regions as regionIndex } from '../domain/support.ts';
import {
  ageOn,
  checkNik,
  isNormalised,
  loadReference,
  luhnValid,
  nikMatchesPrinted,
  type Reference,
  TODAY,
} from './support.ts';

describe('synthetic identities', () => {
  let regions: RegionData;
  let ref: Reference;
  before(async () => {
    [regions, ref] = await Promise.all([loadRegionData(), loadReference()]);
  });

  it('should compute NPWP check digits that match published example numbers', () => {
    // Example NPWPs from the OECD TIN sheet / tin-check.com (see notes/kyc-domain.md §3.2).
    assert.equal(npwpCheckDigit('09254294'), '3');
    assert.equal(npwpCheckDigit('31266683'), '7');
    assert.equal(npwpCheckDigit('72731815'), '6');
    assert.equal(npwpCheckDigit('44071023'), '4');
    assert.equal(formatNpwp('012345678901000'), '01.234.567.8-901.000');
    assert.ok(isNpwpLuhnValid('09.254.294.3-000.000'));
    assert.ok(!isNpwpLuhnValid('09.254.294.4-000.000'));
  });

  it('should encode the birth date, +40 on the day for women, in the NIK', () => {
    assert.equal(buildNik('327301', '1987-09-30', 'LAKI-LAKI', '0001'), '3273013009870001');
    assert.equal(buildNik('327301', '2004-02-01', 'PEREMPUAN', '0420'), '3273014102040420');
  });

  it('should make every clean KTP a valid, self-consistent identity', () => {
    for (let seed = 0; seed < 400; seed++) {
      const { label } = planCard(seed, { type: 'KTP', today: TODAY }, regions);
      const f = label.fields;
      const at = `seed ${seed}`;
      checkNik(f.nik as string, ref, at);
      assert.deepEqual(nikMatchesPrinted(f.nik as string, f.tanggal_lahir as string, f.jenis_kelamin as string), {
        date: true,
        sex: true,
      });
      const age = ageOn(f.tanggal_lahir as string, TODAY);
      assert.ok(age >= 17 && age <= 80, `${at}: age ${age}`);

      const pp = (f.nik as string).slice(0, 2);
      const regency = ref.regencies.get(`${pp}.${(f.nik as string).slice(2, 4)}`) as string;
      const district = `${pp}.${(f.nik as string).slice(2, 4)}.${(f.nik as string).slice(4, 6)}`;
      assert.equal(f.provinsi, pp === '31' ? 'DKI JAKARTA' : ref.provinces.get(pp), at);
      assert.equal(regency.replace(/^(KABUPATEN|KOTA)( ADMINISTRASI)? /, ''), f.kabupaten_kota, at);
      assert.equal(f.kecamatan, ref.districts.get(district), at);
      assert.ok(ref.villages.get(district)?.has(f.kel_desa as string), `${at}: village ${f.kel_desa}`);

      assert.match(f.nama as string, /^[A-Z]+( [A-Z]+)*$/, at);
      assert.match(f.alamat as string, /^JL\. [A-Z]+( [A-Z]+)? NO\. \d+$/, at);
      assert.match(f.rt_rw as string, /^(?!000)\d{3}\/(?!000)\d{3}$/, at);
      assert.ok((GOLONGAN_DARAH as readonly string[]).includes(f.golongan_darah as string), at);
      const layout = label.expect.variation.layout;
      assert.ok(['ktp_standard', 'ktp_old_blue', 'ktp_wna'].includes(layout), at);
      assert.ok(['text', 'ocr_a'].includes(label.expect.variation.nik_font as string), at);
      if (layout === 'ktp_wna') {
        // A foreign resident's card: English values, a nationality the engine lists, a fixed future expiry.
        assert.ok((FOREIGN_AGAMA as readonly string[]).includes(f.agama as string), at);
        assert.ok(
          Object.values(FOREIGN_STATUS)
            .flat()
            .includes(f.status_perkawinan as string),
          at,
        );
        assert.ok(([...PEKERJAAN, ...FOREIGN_PEKERJAAN] as string[]).includes(f.pekerjaan as string), at);
        assert.ok(['MALE', 'FEMALE'].includes(f.jenis_kelamin as string), at);
        assert.ok(ENUMS.kewarganegaraan.includes(f.kewarganegaraan as string), `${at}: ${f.kewarganegaraan}`);
        assert.ok(!['WNI', 'WNA'].includes(f.kewarganegaraan as string), at);
        assert.match(f.berlaku_hingga as string, /^\d{4}-\d{2}-\d{2}$/, at);
        assert.ok((f.berlaku_hingga as string) > TODAY, at);
      } else {
        assert.ok((AGAMA as readonly string[]).includes(f.agama as string), at);
        assert.ok((STATUS_PERKAWINAN as readonly string[]).includes(f.status_perkawinan as string), at);
        assert.ok((PEKERJAAN as readonly string[]).includes(f.pekerjaan as string), at);
        assert.equal(f.kewarganegaraan, 'WNI');
        assert.ok(f.berlaku_hingga === 'SEUMUR HIDUP' || (f.berlaku_hingga as string) > TODAY, at);
      }
      // The engine's own checks find nothing on a clean card, whatever its layout.
      const found = checkKtp(f, { regions: regionIndex, today: TODAY }).filter((r) => r.severity !== 'info');
      assert.deepEqual(found, [], at);
      for (const [key, value] of Object.entries(f)) assert.ok(isNormalised(value), `${at}: ${key} "${value}"`);

      if (label.expect.variation.difficulty === 'mild') assert.equal(label.expect.decision, 'auto_approve');
      else assert.deepEqual(label.expect.not_decision, ['auto_reject']);
      assert.equal(label.expect.reasons, undefined);
    }
  });

  it('should list the KTP fields of the eval README in its order, and the NPWP fields likewise', () => {
    const ktp = planCard(1, { type: 'KTP', today: TODAY }, regions).label;
    assert.deepEqual(
      Object.keys(ktp.fields),
      'provinsi kabupaten_kota nik nama tempat_lahir tanggal_lahir jenis_kelamin golongan_darah alamat rt_rw kel_desa kecamatan agama status_perkawinan pekerjaan kewarganegaraan berlaku_hingga tempat_terbit tanggal_terbit'.split(
        ' ',
      ),
    );
    const layouts = new Set<string>();
    for (let seed = 0; seed < 30; seed++) {
      const npwp = planCard(seed, { type: 'NPWP', today: TODAY }, regions).label;
      const layout = npwp.expect.variation.layout;
      layouts.add(layout);
      // The old card and the 16-digit NPWP print no NIK line: the label leaves the field out.
      const keys =
        layout === 'npwp_nik'
          ? ['npwp', 'nama', 'nik', 'alamat', 'tanggal_terdaftar']
          : ['npwp', 'nama', 'alamat', 'tanggal_terdaftar'];
      assert.deepEqual(Object.keys(npwp.fields), keys, `seed ${seed}`);
      assert.equal(npwp.expect.variation.nik_font, undefined);
    }
    assert.deepEqual([...layouts].sort(), ['npwp_16', 'npwp_nik', 'npwp_old']);
  });

  it('should make every clean NPWP valid: Luhn over the first 9 digits, a real NIK, a past registration', () => {
    for (let seed = 0; seed < 300; seed++) {
      const label = planCard(seed, { type: 'NPWP', today: TODAY }, regions).label;
      const f = label.fields;
      const layout = label.expect.variation.layout;
      const at = `seed ${seed} ${layout}`;
      if (layout === 'npwp_16') {
        // Since 2024 a resident's NPWP is the NIK: 16 digits, no dots.
        checkNik(f.npwp as string, ref, at);
      } else {
        assert.match(f.npwp as string, /^\d{2}\.\d{3}\.\d{3}\.\d-\d{3}\.\d{3}$/, at);
        const digits = (f.npwp as string).replace(/\D/g, '');
        assert.ok(luhnValid(digits.slice(0, 9)), `${at}: ${f.npwp}`);
        assert.notEqual(digits.slice(2, 8), '000000');
      }
      if (layout === 'npwp_nik') checkNik(f.nik as string, ref, at);
      else assert.equal(f.nik, undefined, at);
      assert.match(f.tanggal_terdaftar as string, /^\d{4}-\d{2}-\d{2}$/);
      assert.ok((f.tanggal_terdaftar as string) < TODAY, at);
      // The Departemen Keuangan card was issued until 2009, to an adult.
      if (layout === 'npwp_old') assert.ok((f.tanggal_terdaftar as string) <= '2009-12-31', at);
      assert.deepEqual(checkNpwp(f, { regions: regionIndex, today: TODAY }), [], at);
      assert.match(
        f.alamat as string,
        /^JL\. .+ NO\. \d+ RT \d{3} RW \d{3} [A-Z .-]+, [A-Z .-]+, (KABUPATEN|KOTA) [A-Z .-]+$/,
        at,
      );
      for (const [key, value] of Object.entries(f)) assert.ok(isNormalised(value), `${at}: ${key} "${value}"`);
    }
  });

  it('should show the same person on the KTP and the NPWP of one seed', () => {
    let compared = 0;
    for (let seed = 0; seed < 20; seed++) {
      const ktp = planCard(seed, { type: 'KTP', today: TODAY }, regions).label;
      const npwp = planCard(seed, { type: 'NPWP', today: TODAY }, regions).label;
      assert.equal(npwp.fields.nik ?? ktp.fields.nik, ktp.fields.nik);
      if (npwp.expect.variation.layout === 'npwp_16') assert.equal(npwp.fields.npwp, ktp.fields.nik);
      assert.ok((npwp.fields.alamat as string).startsWith(`${ktp.fields.alamat} RT `));
      // A foreign resident's name is drawn apart; the region, NIK and address are shared.
      if (ktp.expect.variation.layout !== 'ktp_wna') {
        assert.equal(npwp.fields.nama, ktp.fields.nama);
        compared++;
      }
    }
    assert.ok(compared > 10);
  });

  it('should spread identities over provinces and both sexes, with names rarely repeated and most cards valid for life', () => {
    const provinces = new Set<string>();
    const sexes = new Set<string>();
    const names = new Set<string>();
    let lifetime = 0;
    for (let seed = 0; seed < 300; seed++) {
      const f = planCard(seed, { type: 'KTP', today: TODAY }, regions).label.fields;
      provinces.add(f.provinsi as string);
      sexes.add({ MALE: 'LAKI-LAKI', FEMALE: 'PEREMPUAN' }[f.jenis_kelamin as string] ?? (f.jenis_kelamin as string));
      names.add(f.nama as string);
      if (f.berlaku_hingga === 'SEUMUR HIDUP') lifetime++;
    }
    assert.ok(provinces.size >= 30, `${provinces.size} provinces`);
    assert.equal(sexes.size, 2);
    assert.ok(names.size >= 295, 'names repeat too often');
    // 10% of citizens' cards and every foreign resident's card (8%) are valid until a date.
    assert.ok(lifetime > 220 && lifetime < 285, `${lifetime} of 300 valid for life`);
  });
});
