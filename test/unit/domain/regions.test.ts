import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRegions } from '../../../adapters/regions/loadRegions.ts';
import { createRegionIndex, dottedCode, regencyCoreName } from '../../../domain/identifiers/regions.ts';
import { regions } from './support.ts';

const small = createRegionIndex({
  provinces: [
    { code: '31', name: 'Daerah Khusus Ibukota Jakarta' },
    { code: '32', name: 'Jawa Barat' },
  ],
  regencies: [
    { code: '31.71', name: 'Kota Administrasi Jakarta Pusat' },
    { code: '32.04', name: 'Kabupaten Bandung' },
    { code: '32.73', name: 'Kota Bandung' },
  ],
  districts: [{ code: '31.71.01', name: 'Gambir' }],
});

describe('the region index', () => {
  it('should look codes up dotted or as the NIK writes them', () => {
    assert.equal(small.province('31')?.name, 'Daerah Khusus Ibukota Jakarta');
    assert.equal(small.regency('3171')?.name, 'Kota Administrasi Jakarta Pusat');
    assert.equal(small.district('317101')?.name, 'Gambir');
    assert.equal(small.district('31.71.01')?.name, 'Gambir');
    assert.equal(small.district('31.71.02'), undefined);
    assert.equal(dottedCode('317101'), '31.71.01');
  });

  it('should resolve printed province names, abbreviations and OCR damage', () => {
    for (const printed of [
      'DKI JAKARTA',
      'DKIJAKARTA',
      'PROVINSI DKI JAKARTA',
      'DAERAH KHUSUS JAKARTA',
      'DKI JAKARTO',
    ]) {
      assert.equal(small.findProvince(printed)?.code, '31', printed);
    }
    assert.deepEqual(small.findProvince('JAWABARAT'), { code: '32', name: 'Jawa Barat', printed: 'JAWA BARAT' });
    assert.equal(small.findProvince('KONOHAGAKURE'), undefined);
    assert.equal(small.findProvince(''), undefined);
  });

  it('should resolve regency names without their KABUPATEN/KOTA words', () => {
    assert.equal(regencyCoreName('Kota Administrasi Jakarta Pusat'), 'JAKARTA PUSAT');
    assert.equal(small.findRegency('JAKARTAPUSAT')?.printed, 'JAKARTA PUSAT');
    assert.equal(small.findRegency('BANDUNG')?.printed, 'BANDUNG');
    assert.equal(small.findRegency('BANDUNG', '31'), undefined);
  });

  it('should load all of idn-area-data once', async () => {
    assert.equal(await loadRegions(), regions);
    assert.equal(regions.province('96')?.name, 'Papua Barat Daya');
    assert.equal(regions.regency('33.29')?.name, 'Kabupaten Brebes');
    assert.equal(regions.district('35.78.01')?.name, 'Karang Pilang');
  });

  it('should resolve every province by its official name and the names printed on cards', () => {
    for (const code of ['11', '12', '31', '32', '33', '34', '35', '51', '64', '71', '91', '96']) {
      const name = regions.province(code)?.name ?? '';
      assert.equal(regions.findProvince(name.toUpperCase())?.code, code, name);
    }
    assert.equal(regions.findProvince('DI YOGYAKARTA')?.code, '34');
    assert.equal(regions.findProvince('DAERAH ISTIMEWA YOGYAKARTA')?.code, '34');
    assert.equal(regions.findProvince('NANGGROE ACEH DARUSSALAM')?.code, '11');
    assert.equal(regions.findProvince('SUMATRA UTARA')?.code, '12');
  });

  it('should not guess between provinces a damaged name is equally close to', () => {
    // Two edits from both SULAWESI UTARA and SULAWESI BARAT: either could be meant.
    assert.equal(regions.findProvince('SULAWESI ARA'), undefined);
    assert.equal(regions.findProvince('SULAWESI ATARAT'), undefined);
    // One edit from UTARA, two from BARAT: resolved.
    assert.equal(regions.findProvince('SULAWESI TARA')?.code, '71');
    assert.equal(regions.findProvince('SULAWESI'), undefined);
    assert.equal(regions.findProvince('PAPUA BARAT')?.code, '92');
    assert.equal(regions.findProvince('PAPUA BARAT DAYA')?.code, '96');
  });

  it('should give back a district spelling only for an exact letter match', () => {
    assert.equal(regions.findDistrict('KARANGPILANG')?.printed, 'KARANG PILANG');
    assert.equal(regions.findDistrict('KARANGPILANX'), undefined);
  });
});
