import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type CalibrationFile, convolutionValues, sha256 } from '../../../../adapters/ocr/calibration/calibration.ts';
import { locateModels } from '../../../../adapters/ocr/models/models.ts';
import { modelBytes } from '../../../../adapters/ocr/models/prepare.ts';

const root = fileURLToPath(new URL('../../../..', import.meta.url));

describe('npm run calibrate', () => {
  it("should measure a range for every convolution of the detector and the recogniser, tied to each model's hash", async () => {
    const directory = await mkdtemp(join(tmpdir(), 'calibrate-'));
    try {
      const out = join(directory, 'ranges.json');
      const args = ['scripts/calibrateOcr.ts', '--cards', '2', '--seed', '77', '--today', '2026-11-25', '--out', out];
      const { stdout } = await promisify(execFile)(process.execPath, args, { cwd: root });
      assert.match(stdout, /ch_PP-OCRv4_det_infer\.onnx \d+ values, ch_PP-OCRv4_rec_infer\.onnx \d+ values/);

      const file = JSON.parse(await readFile(out, 'utf8')) as CalibrationFile;
      assert.equal(file.measuredWith, 'npm run calibrate -- --cards 2 --seed 77 --percentile 99.99 --today 2026-11-25');
      const { detection, recognition } = locateModels();
      assert.deepEqual(Object.keys(file.models).sort(), [basename(detection), basename(recognition)]);
      for (const path of [detection, recognition]) {
        const entry = file.models[basename(path)];
        assert.equal(entry?.sha256, sha256(await readFile(path)));
        const names = convolutionValues(await modelBytes(path, 'fp32'));
        assert.deepEqual(Object.keys(entry?.ranges ?? {}).sort(), [...names].sort());
        for (const name of names) {
          const range = entry?.ranges[name];
          assert.ok(range && Number.isFinite(range[0]) && range[0] < range[1], name);
        }
      }
      // The networks' inputs keep their whole ranges, which their normalisations bound: the
      // recogniser's is [-1, 1]; the detector's ImageNet one gives about [-2.12, 2.64].
      assert.deepEqual(file.models[basename(recognition)]?.ranges.x, [-1, 1]);
      const [low, high] = file.models[basename(detection)]?.ranges.x ?? [0, 0];
      assert.ok(low >= -0.485 / 0.229 - 1e-3 && low < -1.5, `low ${low}`);
      assert.ok(high <= (1 - 0.406) / 0.225 + 1e-3 && high > 2, `high ${high}`);
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
