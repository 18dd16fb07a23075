import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'slonik';
import { z } from 'zod';
import { createDocumentStore } from '../../../adapters/postgres/documentStore.ts';
import { createPiiCipher } from '../../../adapters/postgres/piiCipher.ts';
import { createOcrStream } from '../../../adapters/redis/ocrStream.ts';
import type { Runtime } from '../../../runtime/index.ts';
import { createWorld, newDocument, USER, type World } from '../../support/harness.ts';

/**
 * Uploads that arrive together share one insert statement and one XADD pipeline
 * (runtime/groupCommit.ts); each caller must still get exactly its own outcome.
 */

const count = z.object({ count: z.number() });

describe('grouped writes', () => {
  let world: World;
  let runtime: Runtime;
  before(async () => {
    world = await createWorld();
    runtime = await world.runtime(undefined, { start: false });
  });
  after(async () => {
    await world.close();
  });

  it('should commit each of many concurrent uploads with its own event and OCR job, in shared statements', async () => {
    let statements = 0;
    // The store's pool, counting the statements the inserts send.
    const pool = new Proxy(world.pool, {
      get(target, property, receiver) {
        if (property !== 'any') return Reflect.get(target, property, receiver);
        return (...args: Parameters<typeof target.any>) => {
          statements++;
          return target.any(...args);
        };
      },
    });
    const uploads = Array.from({ length: 60 }, () => newDocument({ ownerId: 'owner-grouped' }));
    const store = createDocumentStore(pool, createPiiCipher(world.config.pii), { outboxGraceMs: 60_000 });
    const results = await Promise.all(
      uploads.map((document) =>
        store.insert(document, {
          status: 'uploaded',
          machineVersion: 1,
          snapshot: { value: 'uploaded' },
          event: {
            type: 'DOCUMENT_UPLOADED',
            fromStatus: null,
            toStatus: 'uploaded',
            actor: USER,
            correlationId: document.correlationId,
            machineVersion: 1,
            payload: { type: document.type },
          },
          effects: [{ kind: 'enqueue_ocr', payload: {} }],
        }),
      ),
    );
    results.forEach((entries, index) => {
      assert.equal(entries.length, 1);
      assert.equal(entries[0]?.documentId, uploads[index]?.id);
      assert.equal(entries[0]?.kind, 'enqueue_ocr');
    });
    assert.equal(new Set(results.map((entries) => entries[0]?.id)).size, 60, 'every upload has its own outbox row');
    const rows = await world.pool.oneFirst(sql.type(count)`
      SELECT count(*)::int AS count FROM documents d
      JOIN document_events e ON e.document_id = d.id AND e.seq = 1 AND e.event_type = 'DOCUMENT_UPLOADED'
      JOIN outbox o ON o.document_id = d.id
      WHERE d.owner_id = 'owner-grouped'`);
    assert.equal(rows, 60);
    assert.ok(statements <= 2, `60 uploads made at once took ${statements} insert statements`);
  });

  it('should fail only the upload whose row is refused when it shares a batch with good ones', async () => {
    const good = Array.from({ length: 5 }, () => newDocument({ ownerId: 'owner-mixed' }));
    // owner_id is at most 128 characters (a CHECK constraint): this row fails the statement it is in.
    const bad = newDocument({ ownerId: 'x'.repeat(200) });
    const outcomes = await Promise.allSettled(
      [...good.slice(0, 3), bad, ...good.slice(3)].map((document) => runtime.documents.create(document, USER)),
    );
    assert.deepEqual(
      outcomes.map((outcome) => outcome.status),
      ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    const committed = await world.pool.oneFirst(sql.type(count)`
      SELECT count(*)::int AS count FROM documents WHERE owner_id = 'owner-mixed'`);
    assert.equal(committed, 5);
    const orphans = await world.pool.oneFirst(sql.type(count)`
      SELECT count(*)::int AS count FROM document_events WHERE document_id = ${bad.id}`);
    assert.equal(orphans, 0);
  });

  it('should enqueue each of many concurrent jobs once, and fail each job that Redis refuses', async () => {
    const stream = createOcrStream(world.redis, `${world.prefix}grouped:`);
    await Promise.all(Array.from({ length: 40 }, (_, index) => stream.enqueue(`doc-${index}`, 'test')));
    const entries = await world.redis.xrange(stream.key, '-', '+');
    const documentIds = entries.map(([, fields]) => fields[fields.indexOf('documentId') + 1]).sort();
    assert.deepEqual(documentIds, Array.from({ length: 40 }, (_, index) => `doc-${index}`).sort());

    // A key of the wrong type makes Redis refuse every XADD: each caller sees the error.
    const broken = createOcrStream(world.redis, `${world.prefix}broken:`);
    await world.redis.set(broken.key, 'not a stream');
    const outcomes = await Promise.allSettled([broken.enqueue('a', 'test'), broken.enqueue('b', 'test')]);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 'rejected');
      assert.match(String((outcome as PromiseRejectedResult).reason), /WRONGTYPE/);
    }
  });
});
