import { getDistricts, getProvinces, getRegencies } from 'idn-area-data';
import { createRegionIndex, type RegionIndex } from '../../domain/identifiers/regions.ts';

/**
 * The region index from the `idn-area-data` package (Kemendagri codes: 38 provinces, 514 regencies,
 * 7,285 districts; data ODbL). Read once per process and shared: the CSVs take tens of milliseconds
 * to parse and never change while the process runs. A failed read is not cached, so a later call
 * retries.
 */
let cached: Promise<RegionIndex> | null = null;

async function load(): Promise<RegionIndex> {
  const [provinces, regencies, districts] = await Promise.all([getProvinces(), getRegencies(), getDistricts()]);
  const pick = ({ code, name }: { code: string; name: string }) => ({ code, name });
  return createRegionIndex({
    provinces: provinces.map(pick),
    regencies: regencies.map(pick),
    districts: districts.map(pick),
  });
}

export function loadRegions(): Promise<RegionIndex> {
  cached ??= load().catch((error: unknown) => {
    cached = null;
    throw error;
  });
  return cached;
}
