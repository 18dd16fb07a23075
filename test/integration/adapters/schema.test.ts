import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../../support/database.ts';

/** Constraints of DESIGN §3, checked with raw SQL against a freshly migrated database. */

type Row = Record<string, unknown>;

const validDocument = (overrides: Row = {}): Row => ({
  id: randomUUID(),
  owner_id: 'user-1',
  type: 'KTP',
  status: 'uploaded',
  machine_version: 1,
  snapshot: '{}',
  version: 1,
  storage_key: 'documents/user-1/ktp.jpg',
  sha256: Buffer.alloc(32, 0xab),
  mime: 'image/jpeg',
  size_bytes: 1,
  correlation_id: 'corr-1',
  ...overrides,
});

const validEvent = (documentId: string, overrides: Row = {}): Row => ({
  document_id: documentId,
  seq: 1,
  event_type: 'DOCUMENT_UPLOADED',
  from_status: null,
  to_status: 'uploaded',
  actor_type: 'user',
  actor_id: 'user-1',
  correlation_id: 'corr-1',
  machine_version: 1,
  payload: '{}',
  ...overrides,
});

const insertSql = (table: string, row: Row) => {
  const columns = Object.keys(row);
  return {
    text: `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, index) => `$${index + 1}`).join(', ')}) RETURNING *`,
    values: Object.values(row),
  };
};

/** Asserts a rejection carrying the given SQLSTATE and, when named, the constraint that refused it. */
const pgError = (code: string, constraint?: string) => (error: unknown) => {
  assert.ok(error instanceof pg.DatabaseError, `expected a database error, got ${String(error)}`);
  assert.equal(error.code, code, `SQLSTATE of "${error.message}"`);
  if (constraint !== undefined) assert.equal(error.constraint, constraint);
  return true;
};

describe('the schema of 000001_init.sql', () => {
  let database: TestDatabase;
  let client: pg.Client;

  const insert = async (table: string, row: Row) => {
    const { text, values } = insertSql(table, row);
    return (await client.query(text, values)).rows[0] as Row;
  };
  const insertDocument = (overrides: Row = {}) => insert('documents', validDocument(overrides));
  const insertEvent = (documentId: string, overrides: Row = {}) =>
    insert('document_events', validEvent(documentId, overrides));
  const rejectsDocument = (overrides: Row, code: string, constraint?: string) =>
    assert.rejects(insertDocument(overrides), pgError(code, constraint));

  before(async () => {
    database = await createTestDatabase({ migrate: true });
    client = new pg.Client({ connectionString: database.url });
    await client.connect();
  });
  after(async () => {
    await client?.end();
    await database?.drop();
  });

  it('should accept a valid document, with and without a complete lease while processing', async () => {
    const uploaded = await insertDocument();
    assert.equal(uploaded.status, 'uploaded');
    assert.equal(uploaded.attempts, 0);
    const leased = await insertDocument({
      status: 'processing',
      lease_token: randomUUID(),
      lease_owner: 'worker-1',
      lease_expires_at: new Date(Date.now() + 60_000),
    });
    assert.equal(leased.lease_owner, 'worker-1');
  });

  describe('document_events is append-only', () => {
    let documentId: string;
    let original: Row;
    const current = async () =>
      (await client.query('SELECT * FROM document_events WHERE document_id = $1', [documentId])).rows;

    beforeEach(async () => {
      documentId = (await insertDocument()).id as string;
      original = await insertEvent(documentId);
    });

    it('should refuse UPDATE with SQLSTATE FL001 and leave the row unchanged', async () => {
      await assert.rejects(
        client.query("UPDATE document_events SET to_status = 'approved' WHERE document_id = $1", [documentId]),
        pgError('FL001'),
      );
      assert.deepEqual(await current(), [original]);
    });

    it('should refuse DELETE with SQLSTATE FL001 and leave the row in place', async () => {
      await assert.rejects(
        client.query('DELETE FROM document_events WHERE document_id = $1', [documentId]),
        pgError('FL001'),
      );
      assert.deepEqual(await current(), [original]);
    });

    it('should refuse TRUNCATE and leave the rows in place', async () => {
      const before = (await client.query('SELECT count(*)::int AS n FROM document_events')).rows[0]?.n;
      await assert.rejects(client.query('TRUNCATE document_events'), pgError('FL001'));
      await assert.rejects(client.query('TRUNCATE document_events CASCADE'), pgError('FL001'));
      assert.deepEqual(await current(), [original]);
      assert.equal((await client.query('SELECT count(*)::int AS n FROM document_events')).rows[0]?.n, before);
    });

    it('should refuse deleting a document that has events', async () => {
      await assert.rejects(client.query('DELETE FROM documents WHERE id = $1', [documentId]), pgError('23503'));
      assert.deepEqual(await current(), [original]);
    });
  });

  describe('CHECK constraints on documents', () => {
    it('should refuse an unknown status', async () => {
      await rejectsDocument({ status: 'pending' }, '23514');
      await rejectsDocument({ status: 'UPLOADED' }, '23514');
    });

    it('should refuse an unknown type', async () => {
      await rejectsDocument({ type: 'PASSPORT' }, '23514');
      await rejectsDocument({ type: 'ktp' }, '23514');
    });

    it('should refuse a lease_token without lease_owner and lease_expires_at', async () => {
      await rejectsDocument({ status: 'processing', lease_token: randomUUID() }, '23514', 'documents_lease_complete');
      await rejectsDocument(
        { status: 'processing', lease_token: randomUUID(), lease_owner: 'worker-1' },
        '23514',
        'documents_lease_complete',
      );
      await rejectsDocument(
        { status: 'processing', lease_owner: 'worker-1', lease_expires_at: new Date() },
        '23514',
        'documents_lease_complete',
      );
    });

    it('should refuse a lease on a document that is not processing', async () => {
      await rejectsDocument(
        { status: 'uploaded', lease_token: randomUUID(), lease_owner: 'worker-1', lease_expires_at: new Date() },
        '23514',
        'documents_lease_only_while_processing',
      );
      const id = (
        await insertDocument({
          status: 'processing',
          lease_token: randomUUID(),
          lease_owner: 'worker-1',
          lease_expires_at: new Date(Date.now() + 60_000),
        })
      ).id;
      await assert.rejects(
        client.query("UPDATE documents SET status = 'ocr_completed' WHERE id = $1", [id]),
        pgError('23514', 'documents_lease_only_while_processing'),
      );
    });

    it('should refuse a sha256 that is not 32 bytes', async () => {
      await rejectsDocument({ sha256: Buffer.alloc(31, 0xab) }, '23514');
      await rejectsDocument({ sha256: Buffer.alloc(33, 0xab) }, '23514');
      await rejectsDocument({ sha256: Buffer.alloc(0) }, '23514');
    });

    it('should refuse a mime type outside jpeg, png and pdf', async () => {
      await rejectsDocument({ mime: 'image/gif' }, '23514');
      await rejectsDocument({ mime: 'text/html' }, '23514');
      for (const mime of ['image/png', 'application/pdf']) assert.equal((await insertDocument({ mime })).mime, mime);
    });

    it('should refuse a missing owner_id or correlation_id', async () => {
      await rejectsDocument({ owner_id: null }, '23502');
      await rejectsDocument({ correlation_id: null }, '23502');
      await rejectsDocument({ owner_id: '' }, '23514');
    });

    it('should refuse encrypted PII without the key id that encrypted it', async () => {
      await rejectsDocument({ fields_enc: Buffer.from('ciphertext') }, '23514', 'documents_pii_key_named');
      const accepted = await insertDocument({ fields_enc: Buffer.from('ciphertext'), pii_key_id: 'k1' });
      assert.equal(accepted.pii_key_id, 'k1');
    });
  });

  describe('foreign keys', () => {
    it('should refuse an event for a nonexistent document', async () => {
      await assert.rejects(insertEvent(randomUUID()), pgError('23503'));
    });

    it('should refuse an outbox row for a nonexistent document', async () => {
      await assert.rejects(insert('outbox', { document_id: randomUUID(), kind: 'enqueue_ocr' }), pgError('23503'));
    });

    it('should accept an outbox row for an existing document', async () => {
      const documentId = (await insertDocument()).id as string;
      const row = await insert('outbox', { document_id: documentId, kind: 'enqueue_ocr' });
      assert.equal(row.delivered_at, null);
      assert.deepEqual(row.payload, {});
    });
  });

  describe('event sequence', () => {
    it('should refuse a duplicate seq for the same document', async () => {
      const documentId = (await insertDocument()).id as string;
      await insertEvent(documentId);
      await assert.rejects(insertEvent(documentId), pgError('23505', 'document_events_gapless'));
      await insertEvent(documentId, {
        seq: 2,
        event_type: 'PROCESSING_STARTED',
        from_status: 'uploaded',
        to_status: 'processing',
      });
      await assert.rejects(
        insertEvent(documentId, {
          seq: 2,
          event_type: 'PROCESSING_STARTED',
          from_status: 'uploaded',
          to_status: 'processing',
        }),
        pgError('23505', 'document_events_gapless'),
      );
    });

    it('should allow the same seq on different documents', async () => {
      const first = (await insertDocument()).id as string;
      const second = (await insertDocument()).id as string;
      await insertEvent(first);
      await insertEvent(second);
    });

    it('should require a null from_status on seq 1 and a non-null one after it', async () => {
      const documentId = (await insertDocument()).id as string;
      await assert.rejects(
        insertEvent(documentId, { from_status: 'uploaded' }),
        pgError('23514', 'document_events_first_has_no_origin'),
      );
      await insertEvent(documentId);
      await assert.rejects(
        insertEvent(documentId, { seq: 2, event_type: 'PROCESSING_STARTED', to_status: 'processing' }),
        pgError('23514', 'document_events_first_has_no_origin'),
      );
    });

    it('should refuse an unknown actor type', async () => {
      const documentId = (await insertDocument()).id as string;
      await assert.rejects(insertEvent(documentId, { actor_type: 'admin' }), pgError('23514'));
    });
  });

  describe('idempotency_keys', () => {
    const key = (ownerId: string, name: string) => ({
      owner_id: ownerId,
      key: name,
      request_sha256: Buffer.alloc(32, 0xcd),
      expires_at: new Date(Date.now() + 86_400_000),
    });

    it('should refuse a second row with the same (owner_id, key)', async () => {
      await insert('idempotency_keys', key('user-1', 'upload-1'));
      await assert.rejects(insert('idempotency_keys', key('user-1', 'upload-1')), pgError('23505'));
    });

    it('should accept the same key for a different owner', async () => {
      await insert('idempotency_keys', key('user-2', 'upload-1'));
      await insert('idempotency_keys', key('user-3', 'upload-1'));
    });
  });

  describe('indexes', () => {
    it('should have the partial documents_nik_hash index for duplicate-identity look-ups', async () => {
      const { rows } = await client.query<{ tablename: string; indexdef: string }>(
        "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexname = 'documents_nik_hash'",
      );
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.tablename, 'documents');
      assert.match(rows[0]?.indexdef ?? '', /\(nik_hash\)/);
      assert.match(rows[0]?.indexdef ?? '', /WHERE \(nik_hash IS NOT NULL\)/);
    });
  });
});
