import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { DEFECTS } from '../../../synthetic/defects.ts';
import { type CardLabel, generateSet } from '../../../synthetic/generate.ts';
import { TODAY } from './support.ts';

const script = fileURLToPath(new URL('../../../scripts/generateCards.ts', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('generateSet', () => {
  it('should respect the count and the defect rate, and mix KTP and NPWP about 70/30', () => {
    for (const [count, defectRate] of [
      [300, 0.3],
      [101, 0.15],
      [40, 0],
      [25, 1],
    ] as const) {
      const set = generateSet({ count, seed: 1, defectRate, today: TODAY });
      assert.equal(set.length, count);
      const defective = set.filter((d) => d.options.defect).length;
      assert.ok(Math.abs(defective - count * defectRate) <= 2, `${defective} defective of ${count} at ${defectRate}`);
      const ktp = set.filter((d) => d.options.type === 'KTP').length;
      assert.ok(Math.abs(ktp - count * 0.7) <= 1, `${ktp} KTP of ${count}`);
      assert.equal(new Set(set.map((d) => d.stem)).size, count);
      assert.equal(new Set(set.map((d) => d.seed)).size, count);
    }
  });

  it('should spread defects over every kind valid for the uploaded type', () => {
    const set = generateSet({ count: 300, seed: 2, defectRate: 0.3, today: TODAY });
    const kinds = new Map<string, number>();
    for (const d of set) {
      const { type, defect } = d.options;
      if (!defect) continue;
      assert.ok(DEFECTS[defect].types.includes(type), `${defect} on ${type}`);
      kinds.set(`${type}/${defect}`, (kinds.get(`${type}/${defect}`) ?? 0) + 1);
    }
    assert.equal(kinds.size, 6 + 3);
    for (const [kind, n] of kinds) assert.ok(n >= 5, `${kind}: ${n}`);
  });

  it('should be deterministic for a seed and differ between seeds', () => {
    const a = generateSet({ count: 50, seed: 7, defectRate: 0.3, today: TODAY });
    const b = generateSet({ count: 50, seed: 7, defectRate: 0.3, today: TODAY });
    const c = generateSet({ count: 50, seed: 8, defectRate: 0.3, today: TODAY });
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('should keep to the asked-for types', () => {
    const set = generateSet({ count: 20, seed: 3, defectRate: 0.5, today: TODAY, types: ['NPWP'] });
    assert.ok(set.every((d) => d.options.type === 'NPWP' && d.stem.endsWith('-npwp')));
    assert.throws(() => generateSet({ count: 5, seed: 1, defectRate: 1.5, today: TODAY }), /defectRate/);
    assert.throws(() => generateSet({ count: 5, seed: 1, defectRate: 0.1, today: '25-11-2026' }), /YYYY-MM-DD/);
  });
});

describe('node scripts/generateCards.ts', () => {
  it('should write image and label pairs into a new directory and print a summary', async () => {
    const parent = await mkdtemp(join(tmpdir(), 'synthetic-cards-'));
    const dir = join(parent, 'nested', 'set');
    try {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [script, dir, '--count', '8', '--seed', '4', '--defect-rate', '0.5', '--today', TODAY],
        { cwd: root },
      );
      assert.match(stdout, /wrote 8 cards to .* as of 2026-11-25/);
      assert.match(stdout, /uploaded type: KTP 6, NPWP 2/);

      const files = (await readdir(dir)).sort();
      const stems = files.filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5));
      assert.equal(stems.length, 8);
      assert.equal(files.length, 16);
      let defective = 0;
      for (const stem of stems) {
        const label = JSON.parse(await readFile(join(dir, `${stem}.json`), 'utf8')) as CardLabel;
        const image = files.find((f) => f === `${stem}.jpg` || f === `${stem}.png`);
        assert.ok(image, `${stem} has an image`);
        const meta = await sharp(join(dir, image)).metadata();
        assert.equal(meta.width, label.expect.variation.width);
        assert.equal(label.expect.as_of, TODAY);
        assert.ok(label.type === 'KTP' || label.type === 'NPWP');
        if (label.expect.defect) defective++;
      }
      assert.equal(defective, 4);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  });

  it('should refuse a missing directory with the usage line', async () => {
    await assert.rejects(
      promisify(execFile)(process.execPath, [script], { cwd: root }),
      (error: { stderr: string }) => {
        assert.match(error.stderr, /usage: node scripts\/generateCards\.ts DIR/);
        return true;
      },
    );
  });
});
