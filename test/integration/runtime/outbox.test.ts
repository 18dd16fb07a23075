import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { sql } from 'slonik';
import { z } from 'zod';
import { createOutbox } from '../../../adapters/postgres/outbox.ts';
import type { Outbox } from '../../../runtime/ports.ts';
import { createWorld, newDocument, USER, type World } from '../../support/harness.ts';
import { TEST_REDIS_URL } from '../../support/redis.ts';

const SCRIPT = fileURLToPath(new URL('../../../scripts/outbox.ts', import.meta.url));

/** Runs `npm run outbox -- …` against this file's database. */
async function outboxCommand(world: World, args: string[]) {
  const child = spawn(process.execPath, [SCRIPT, ...args], {
    env: {
      PATH: process.env.PATH,
      NODE_ENV: 'test',
      DATABASE_URL: world.database.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: world.prefix,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const [code] = await once(child, 'exit');
  return { code: code as number, stdout, stderr };
}

const row = (world: World, id: string) =>
  world.pool.one(sql.type(
    z.object({ attempts: z.number(), dead: z.boolean(), delivered: z.boolean(), lastError: z.string().nullable() }),
  )`
    SELECT attempts, dead_at IS NOT NULL AS dead, delivered_at IS NOT NULL AS delivered, last_error AS "lastError"
    FROM outbox WHERE id = ${id}`);

describe('the outbox in Postgres: dead letters, redelivery and pruning', () => {
  let world: World;
  let outbox: Outbox;
  /** Outbox ids of new documents whose rows are due at once (the grace period is moved back). */
  const newEntries = async (count: number) => {
    const runtime = await world.runtime(undefined, { start: false });
    const documentIds: string[] = [];
    for (let index = 0; index < count; index++) {
      const document = newDocument();
      documentIds.push(document.id);
      await runtime.documents.create(document, USER);
    }
    // The fast path marks its deliveries in the background; a mark landing after the reset below
    // would take a row out from under the test.
    await runtime.stop();
    const ids = await world.pool.anyFirst(sql.type(z.object({ id: z.string() }))`
      UPDATE outbox SET available_at = now() - interval '1 second', delivered_at = NULL
      WHERE document_id = ANY(${sql.array(documentIds, 'uuid')}) RETURNING id::text AS id`);
    return [...ids].sort((a, b) => Number(a) - Number(b));
  };

  before(async () => {
    world = await createWorld();
    outbox = createOutbox(world.pool);
  });
  after(async () => {
    await world.close();
  });

  it('should leave a dead entry out of every claim until it is redelivered, with its attempts reset', async () => {
    const [deadId, liveId] = await newEntries(2);
    assert.ok(deadId && liveId);
    const claimed = await outbox.claimDue(100, 30_000, ['enqueue_ocr']);
    assert.deepEqual(claimed.map((entry) => entry.id).sort(), [deadId, liveId].sort());
    await outbox.markDead(deadId, 'Error: Redis is down');
    await outbox.markFailed(liveId, 'Error: Redis is slow', 0);
    assert.deepEqual(await row(world, deadId), {
      attempts: 1,
      dead: true,
      delivered: false,
      lastError: 'Error: Redis is down',
    });

    const again = await outbox.claimDue(100, 30_000, ['enqueue_ocr']);
    assert.deepEqual(
      again.map((entry) => entry.id),
      [liveId],
      'the dead entry is not claimed',
    );
    const dead = await outbox.listDead(10);
    assert.deepEqual(
      dead.map((entry) => ({ id: entry.id, kind: entry.kind, attempts: entry.attempts, lastError: entry.lastError })),
      [{ id: deadId, kind: 'enqueue_ocr', attempts: 1, lastError: 'Error: Redis is down' }],
    );

    assert.equal(await outbox.redeliverDead([deadId]), 1);
    assert.equal(await outbox.redeliverDead([deadId]), 0, 'only dead entries are put back');
    const revived = await outbox.claimDue(100, 30_000, ['enqueue_ocr']);
    assert.deepEqual(
      revived.map((entry) => ({ id: entry.id, attempts: entry.attempts })),
      [{ id: deadId, attempts: 1 }],
    );
    await outbox.markDelivered([deadId, liveId]);
  });

  it('should list and redeliver dead entries from the command line, and refuse bad arguments', async () => {
    const [first, second] = await newEntries(2);
    assert.ok(first && second);
    await outbox.markDead(first, 'Error: one');
    await outbox.markDead(second, 'Error: two');

    const listed = await outboxCommand(world, ['list']);
    assert.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { id: string; lastError: string });
    assert.deepEqual(
      lines.map((line) => [line.id, line.lastError]),
      [
        [first, 'Error: one'],
        [second, 'Error: two'],
      ],
    );

    assert.equal((await outboxCommand(world, ['redeliver'])).code, 2, 'redeliver needs ids or --all');
    assert.equal((await outboxCommand(world, ['redeliver', 'x; DROP TABLE outbox'])).code, 2);
    assert.equal((await outboxCommand(world, ['redeliver', first, '--all'])).code, 2);

    const one = await outboxCommand(world, ['redeliver', first]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /^1 outbox entry put back/);
    assert.equal((await row(world, first)).dead, false);
    assert.equal((await row(world, second)).dead, true);
    const all = await outboxCommand(world, ['redeliver', '--all']);
    assert.match(all.stdout, /^1 outbox entry put back/);
    assert.deepEqual(await outbox.listDead(10), []);
    await outbox.markDelivered([first, second]);
  });

  it('should deliver the rest, and leave an effect this build does not deliver to a build that does', async () => {
    const runtime = await world.runtime(undefined, { start: false, overrides: { OUTBOX_MAX_ATTEMPTS: '1' } });
    const [known] = await newEntries(1);
    assert.ok(known);
    const documentId = await world.pool.oneFirst(sql.type(z.object({ documentId: z.string() }))`
      SELECT document_id::text AS "documentId" FROM outbox WHERE id = ${known}`);
    // As a newer build would write it during a rolling deploy: the old build must not give it up.
    const unknown = await world.pool.oneFirst(sql.type(z.object({ id: z.string() }))`
      INSERT INTO outbox (document_id, kind, payload) VALUES (${documentId}, 'send_postcard', '{}')
      RETURNING id::text AS id`);

    assert.equal(await runtime.relay(), 1);
    assert.equal((await row(world, known)).delivered, true);
    assert.deepEqual(await row(world, unknown), { attempts: 0, dead: false, delivered: false, lastError: null });
    assert.deepEqual(
      (await outbox.claimDue(100, 30_000, ['send_postcard' as 'enqueue_ocr'])).map((entry) => entry.id),
      [unknown],
      'a build that knows the kind takes it',
    );
    await outbox.markDelivered([unknown]);
  });

  it('should prune only delivered entries past their retention, in batches', async () => {
    const ids = await newEntries(5);
    const [pending, ...delivered] = ids;
    assert.ok(pending);
    await outbox.markDelivered(delivered);
    assert.equal(await outbox.pruneDelivered(3_600_000, 100), 0, 'nothing is old enough yet');
    await world.pool.query(sql.unsafe`
      UPDATE outbox SET delivered_at = now() - interval '2 hours' WHERE id = ANY(${sql.array(delivered, 'int8')})`);
    assert.equal(await outbox.pruneDelivered(3_600_000, 3), 3);
    assert.equal(await outbox.pruneDelivered(3_600_000, 3), 1);
    assert.equal(await outbox.pruneDelivered(3_600_000, 3), 0);
    const left = await world.pool.anyFirst(sql.type(z.object({ id: z.string() }))`
      SELECT id::text AS id FROM outbox WHERE id = ANY(${sql.array(ids, 'int8')})`);
    assert.deepEqual([...left], [pending], 'the undelivered entry stays');
  });
});
