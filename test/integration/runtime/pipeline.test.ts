import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createWorld, newDocument, USER, type World, waitFor } from '../../support/harness.ts';
import { CLEAN_EVALUATION, createScriptedEngine, createScriptedEvaluator } from '../../support/scriptedEngine.ts';

const statusOf = (world: World, id: string) =>
  world.pool.oneFirst(sql.type(z.object({ status: z.string() }))`SELECT status FROM documents WHERE id = ${id}`);

describe('the runtime pipeline', () => {
  let world: World;
  before(async () => {
    world = await createWorld();
  });
  after(async () => {
    await world.close();
  });

  it('should take an uploaded document to auto_approve through OCR, evaluation and DECIDE', async () => {
    const runtime = await world.runtime({ engine: createScriptedEngine(), evaluator: createScriptedEvaluator() });
    const document = newDocument();
    await runtime.documents.create(document, USER);
    await waitFor(async () => (await statusOf(world, document.id)) === 'auto_approve', 10_000, 'auto_approve');
    const history = await runtime.store.history(document.id);
    assert.deepEqual(
      history.map((entry) => [entry.seq, entry.eventType, entry.toStatus]),
      [
        [1, 'DOCUMENT_UPLOADED', 'uploaded'],
        [2, 'PROCESSING_STARTED', 'processing'],
        [3, 'OCR_COMPLETED', 'ocr_completed'],
        [4, 'AI_EVALUATED', 'ai_evaluated'],
        [5, 'DECIDE', 'auto_approve'],
      ],
    );
    const row = await world.pool.one(
      sql.type(
        z.object({
          nikHash: z.instanceof(Buffer),
          fields: z.instanceof(Buffer),
          gpu: z.boolean(),
          lease: z.string().nullable(),
        }),
      )`SELECT nik_hash AS "nikHash", fields_enc AS fields, gpu_processed AS gpu, lease_token AS lease FROM documents WHERE id = ${document.id}`,
    );
    assert.equal(row.gpu, false);
    assert.equal(row.lease, null);
    assert.equal(row.nikHash.length, 32);
    assert.equal(
      row.fields.includes(Buffer.from(CLEAN_EVALUATION.fields.nik as string)),
      false,
      'fields are encrypted',
    );
    const logged = JSON.stringify(history);
    assert.equal(logged.includes(CLEAN_EVALUATION.fields.nik as string), false, 'the event log holds no NIK');
  });
});
