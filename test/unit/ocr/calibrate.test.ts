import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type CalibrationFile, convolutionValues, sha256 } from '../../../adapters/ocr/calibration.ts';
import { locateModels, modelBytes } from '../../../adapters/ocr/models.ts';

const root = fileURLToPath(new URL('../../..', import.meta.url));

describe('npm run calibrate', () => {
  it("should measure a range for every convolution of the recogniser, tied to the model's hash", async () => {
    const directory = await mkdtemp(join(tmpdir(), 'calibrate-'));
    try {
      const out = join(directory, 'ranges.json');
      const args = ['scripts/calibrateOcr.ts', '--cards', '2', '--seed', '77', '--today', '2026-11-25', '--out', out];
      const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: root });
      assert.match(stdout, /ch_PP-OCRv4_rec_infer\.onnx \d+ values/);

      const file = JSON.parse(await readFile(out, 'utf8')) as CalibrationFile;
      assert.equal(file.measuredWith, 'npm run calibrate -- --cards 2 --seed 77 --percentile 99.99 --today 2026-11-25');
      const path = locateModels().recognition;
      assert.deepEqual(Object.keys(file.models), [basename(path)]);
      const entry = file.models[basename(path)];
      assert.equal(entry?.sha256, sha256(await readFile(path)));
      for (const name of convolutionValues(await modelBytes(path, 'fp32'))) {
        const range = entry?.ranges[name];
        assert.ok(range && Number.isFinite(range[0]) && range[0] < range[1], name);
      }
      // The network's input keeps its whole range: the normalisation puts it in [-1, 1].
      assert.deepEqual(entry?.ranges.x, [-1, 1]);
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('should refuse a count that is not a positive whole number', async () => {
    await assert.rejects(
      promisify(execFile)(process.execPath, ['scripts/calibrateOcr.ts', '--cards', 'many'], { cwd: root }),
      (error: { code?: number; stderr?: string }) =>
        error.code === 2 && /usage: npm run calibrate/.test(error.stderr ?? ''),
    );
  });
});
