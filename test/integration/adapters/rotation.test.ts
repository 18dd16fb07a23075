import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { createOnnxOcrEngine, type OnnxOcrEngine } from '../../../adapters/ocr/index.ts';
import { loadRegions } from '../../../adapters/regions/loadRegions.ts';
import type { DocumentType } from '../../../domain/documentType.ts';
import type { RegionIndex } from '../../../domain/identifiers/regions.ts';
import { evaluateDocument } from '../../../domain/policy.ts';
import { decisionFor } from '../../../machines/decide.ts';
import { createDocumentMachine } from '../../../machines/document.machine.ts';
import { generateCard } from '../../../synthetic/generate.ts';
import { testLogger } from '../../support/harness.ts';

/**
 * Issue 13, item 4: a card photographed at any quarter turn is read and judged the same. On real
 * photos the same card gave needs_review at 0° and 180° and auto_approve at 90°.
 */
describe('a card at every quarter turn', () => {
  let engine: OnnxOcrEngine;
  let regions: RegionIndex;
  const machine = createDocumentMachine();
  const today = '2026-12-05';

  before(async () => {
    regions = await loadRegions();
    engine = await createOnnxOcrEngine({
      device: 'cpu',
      threads: 2,
      recognitionLanes: 1,
      maxPixels: 50_000_000,
      readImage: () => Promise.reject(new Error('the test hands the engine its bytes')),
      logger: testLogger,
    });
  });
  after(async () => {
    await engine?.close();
  });

  for (const [seed, type] of [
    [11, 'KTP'],
    [12, 'NPWP'],
  ] as [number, DocumentType][]) {
    it(`should give a clean ${type} the same decision and identity fields at 0, 90, 180 and 270 degrees`, async () => {
      const card = await generateCard(seed, { type, today, difficulty: 'mild' });
      const readings = [];
      for (const angle of [0, 90, 180, 270]) {
        const turned = await sharp(card.image).rotate(angle).png().toBuffer();
        const { result } = await engine.recognizeImage(turned, 'image/png');
        const evaluation = evaluateDocument({
          uploadedType: type,
          ocr: result,
          regions,
          today,
          duplicateIdentity: false,
        });
        readings.push({
          angle,
          decision: decisionFor(machine, type, evaluation),
          number: type === 'KTP' ? evaluation.fields.nik : evaluation.fields.npwp,
          name: evaluation.fields.nama,
          // Every field, the ones read by the card's layout included (domain/extraction/layout.ts).
          fields: evaluation.fields,
        });
      }
      const [upright] = readings;
      assert.equal(upright?.decision, 'auto_approve');
      for (const reading of readings)
        assert.deepEqual({ ...reading, angle: 0 }, { ...upright, angle: 0 }, `${reading.angle}°`);
    });
  }
});
