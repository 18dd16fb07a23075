import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import sharp from 'sharp';
import { type DatabasePool, sql } from 'slonik';
import { z } from 'zod';
import { installCollectors } from '../../../adapters/metrics/collectors.ts';
import { createMetrics, httpMetrics, type Metrics, runtimeMetrics } from '../../../adapters/metrics/registry.ts';
import { transitionMetrics } from '../../../adapters/metrics/transitionMetrics.ts';
import { isDatabaseUnavailable } from '../../../adapters/postgres/unavailable.ts';
import { createRedis } from '../../../adapters/redis/client.ts';
import { createOcrStream } from '../../../adapters/redis/ocrStream.ts';
import { loadRegions } from '../../../adapters/regions/loadRegions.ts';
import { createFsStorage } from '../../../adapters/storage/fsStorage.ts';
import { createApiAdapters } from '../../../composition/api.ts';
import type { ComposedRuntime } from '../../../composition/runtime.ts';
import type { DocumentStatus } from '../../../machines/document.machine.ts';
import { METRICS } from '../../../names/index.ts';
import type { Evaluation, Evaluator } from '../../../runtime/ports.ts';
import { createApp } from '../../../server/app.ts';
import { createAuth } from '../../../server/http/auth.ts';
import { testTokens } from '../../support/api.ts';
import { createTestPool } from '../../support/database.ts';
import {
  createWorld,
  ignoreRedisError,
  REVIEW_EVALUATION,
  testLogger,
  type World,
  waitFor,
} from '../../support/harness.ts';
import { CLEAN_EVALUATION, createScriptedEngine } from '../../support/scriptedEngine.ts';

/**
 * Issue 16's metrics through a whole flow: documents uploaded over HTTP, read by the OCR workers
 * (a scripted engine), decided automatically, and one by a reviewer through the internal decision
 * route (no Temporal here: the route applies it to the document directly); then /metrics, served
 * by the same app, read as Prometheus would.
 */

const REJECT_EVALUATION: Evaluation = {
  ...CLEAN_EVALUATION,
  score: 0.2,
  reasons: [{ code: 'DOCUMENT_TYPE_UNKNOWN', severity: 'reject', message: 'The image does not show a card.' }],
};
/** Who uploads decides what the policy concludes: the evaluator reads the owner. */
const OWNERS = { approve: 'owner-approve', reject: 'owner-reject', review: 'owner-review' } as const;
const evaluator: Evaluator = {
  evaluate: async ({ ownerId }) =>
    ownerId === OWNERS.reject ? REJECT_EVALUATION : ownerId === OWNERS.review ? REVIEW_EVALUATION : CLEAN_EVALUATION,
};
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

type Sample = { name: string; labels: Record<string, string>; value: number };

/** Prometheus' text format, as samples (label values here never hold `"` or `,`). */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)) labels[pair[1] as string] = pair[2] as string;
    samples.push({ name: match[1] as string, labels, value: Number(match[3]) });
  }
  return samples;
}

const sampleValue = (samples: Sample[], name: string, labels: Record<string, string> = {}) => {
  const found = samples.filter(
    (sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value),
  );
  assert.equal(found.length, 1, `one ${name} ${JSON.stringify(labels)}: ${JSON.stringify(found)}`);
  return (found[0] as Sample).value;
};

const undelivered = z.object({ count: z.number().int() });
const outboxBacklogIn = (pool: DatabasePool) =>
  pool.oneFirst(
    sql.type(undelivered)`SELECT count(*)::int AS count FROM outbox WHERE delivered_at IS NULL AND dead_at IS NULL`,
  );

/** A distinct small JPEG, as a phone would send (the upload reads its size from the header). */
const card = (shade: number) =>
  sharp({ create: { width: 64, height: 40, channels: 3, background: { r: shade, g: 120, b: 200 } } })
    .jpeg()
    .toBuffer();

describe('the metrics after an upload → decision flow', () => {
  let world: World;
  let runtime: ComposedRuntime;
  let server: Server;
  let url: string;
  let storageDirectory: string;
  let metrics: Metrics;
  const { jwtSettings, tokenFor } = testTokens();
  const uploaded = new Map<string, keyof typeof OWNERS>();

  const scrape = async () => {
    const response = await fetch(`${url}/metrics`);
    assert.equal(response.status, 200);
    return parse(await response.text());
  };
  const statusOf = async (id: string) => (await runtime.store.load(id))?.status;

  before(async () => {
    world = await createWorld({ reviews: false });
    metrics = createMetrics();
    runtime = await world.runtime(
      { engine: createScriptedEngine(), evaluator },
      { observers: [transitionMetrics(metrics)], metrics: runtimeMetrics(metrics) },
    );
    installCollectors(metrics, {
      pool: world.pool,
      redis: world.redis,
      stream: runtime.adapters.queue,
      logger: testLogger,
    });
    storageDirectory = await mkdtemp(join(tmpdir(), 'filot-metrics-'));
    const app = createApp({
      readiness: [],
      metrics: metrics.registry,
      httpMetrics: httpMetrics(metrics),
      logger: testLogger,
      development: false,
      isUnavailable: isDatabaseUnavailable,
      api: {
        auth: createAuth(jwtSettings),
        ...createApiAdapters(world.pool, runtime.adapters.cipher, await loadRegions()),
        store: runtime.store,
        documents: runtime.documents,
        storage: createFsStorage(storageDirectory),
        pollMs: 50,
        maxUploadBytes: 2 * 1024 * 1024,
        maxPixels: 50_000_000,
      },
    });
    server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server?.close();
    await world?.close();
    if (storageDirectory) await rm(storageDirectory, { recursive: true, force: true });
  });

  it('should decide uploaded documents automatically, and leave one in review', async () => {
    const plan: (keyof typeof OWNERS)[] = ['approve', 'approve', 'approve', 'reject', 'review'];
    for (const [index, outcome] of plan.entries()) {
      const form = new FormData();
      form.append('type', 'KTP');
      form.append('file', new Blob([await card(index * 40)], { type: 'image/jpeg' }), 'card.jpg');
      const response = await fetch(`${url}/documents/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${tokenFor(OWNERS[outcome])}` },
        body: form,
      });
      assert.equal(response.status, 202, await response.clone().text());
      uploaded.set(((await response.json()) as { id: string }).id, outcome);
    }
    const expected: Record<keyof typeof OWNERS, DocumentStatus> = {
      approve: 'auto_approve',
      reject: 'auto_reject',
      review: 'needs_review',
    };
    for (const [id, outcome] of uploaded) {
      await waitFor(async () => (await statusOf(id)) === expected[outcome], 20_000, `${outcome} of ${id}`);
      const response = await fetch(`${url}/documents/${id}`, {
        headers: { authorization: `Bearer ${tokenFor(OWNERS[outcome])}` },
      });
      assert.equal(response.status, 200);
    }

    const samples = await scrape();
    assert.equal(sampleValue(samples, METRICS.reviewQueueSize.name), 1);
    const waited = sampleValue(samples, METRICS.reviewQueueOldestAgeSeconds.name);
    assert.ok(waited >= 0 && waited < 60, `oldest review waited ${waited} s`);
    assert.equal(sampleValue(samples, `${METRICS.verificationLatencyMs.name}_count`, { decided_by: 'automatic' }), 4);
    assert.equal(sampleValue(samples, `${METRICS.verificationLatencyMs.name}_count`, { decided_by: 'human' }), 0);
  });

  it('should read the same shared gauges in two instances over the same Postgres and Redis', async () => {
    // A stream of its own in the same Redis, left with jobs waiting, claimed and acknowledged.
    const stream = createOcrStream(world.redis, `${world.prefix}twin:`);
    await stream.prepare();
    for (let job = 0; job < 5; job++) await stream.enqueue(`document-${job}`, 'test');
    const delivered = (await world.redis.xreadgroup(
      'GROUP',
      stream.group,
      'twin-1',
      'COUNT',
      2,
      'STREAMS',
      stream.key,
      '>',
    )) as [string, [string, string[]][]][];
    const firstDelivered = delivered[0]?.[1][0]?.[0];
    assert.ok(firstDelivered);
    // Acknowledged (and deleted, as the workers do): 3 waiting + 1 pending remain.
    await stream.ack(firstDelivered);

    // Two instances: each its own registry, pool and Redis connection.
    const instances: { metrics: Metrics; pool: DatabasePool; redis: Redis }[] = [];
    for (let instance = 0; instance < 2; instance++) {
      const pool = await createTestPool(world.database, 2);
      const redis = createRedis(world.config.redisUrl, {
        name: `filot-test-twin-${instance}`,
        onError: ignoreRedisError,
      });
      const own = createMetrics();
      installCollectors(own, { pool, redis, stream, logger: testLogger });
      instances.push({ metrics: own, pool, redis });
    }
    try {
      const shared = [
        METRICS.queueLength.name,
        METRICS.outboxBacklog.name,
        METRICS.reviewQueueSize.name,
        METRICS.reviewQueueOldestAgeSeconds.name,
        METRICS.outboxOldestAgeSeconds.name,
      ];
      const reads = await Promise.all(
        instances.map(async ({ metrics: own }) => {
          const samples = parse(await own.registry.metrics());
          return Object.fromEntries(shared.map((name) => [name, sampleValue(samples, name)]));
        }),
      );
      const [first, second] = reads as [Record<string, number>, Record<string, number>];
      assert.equal(first[METRICS.queueLength.name], 4, 'waiting plus pending');
      assert.equal(first[METRICS.reviewQueueSize.name], 1);
      assert.equal(first[METRICS.outboxBacklog.name], await outboxBacklogIn(world.pool));
      // The ages are read a moment apart: equal to the second.
      for (const name of shared)
        assert.ok(
          Math.abs((first[name] ?? Number.NaN) - (second[name] ?? Number.NaN)) < 1,
          `${name}: ${first[name]} ≠ ${second[name]}`,
        );
    } finally {
      for (const { pool, redis } of instances) {
        redis.disconnect();
        await pool.end();
      }
    }
  });

  it('should expose the five seed metrics and the rest with sane values once a reviewer decided', async () => {
    const [inReview] = [...uploaded].find(([, outcome]) => outcome === 'review') ?? [];
    assert.ok(inReview);
    const reviewer = tokenFor('reviewer-7', 'reviewer');
    const queue = await fetch(`${url}/internal/reviews`, { headers: { authorization: `Bearer ${reviewer}` } });
    assert.equal(queue.status, 200);
    const decided = await fetch(`${url}/internal/reviews/${inReview}/decision`, {
      method: 'POST',
      headers: { authorization: `Bearer ${reviewer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve', reason: 'The card is readable on a second look.' }),
    });
    assert.equal(decided.status, 200, await decided.clone().text());
    assert.equal(((await decided.json()) as { status: string }).status, 'approved');
    assert.equal((await fetch(`${url}/nothing/here/${inReview}`)).status, 404);

    // Every OCR job handled and acknowledged.
    const samples = await waitFor(
      async () => {
        const read = await scrape();
        return sampleValue(read, METRICS.queueLength.name) === 0 ? read : null;
      },
      10_000,
      'the OCR queue to drain',
    );
    const documents = uploaded.size;

    // The five of the seed.
    assert.equal(sampleValue(samples, METRICS.queueLength.name), 0);
    assert.equal(sampleValue(samples, METRICS.gpuActiveJobs.name), 0);
    const ocrRuns = sampleValue(samples, `${METRICS.ocrProcessingMs.name}_count`, { device: 'cpu' });
    assert.ok(ocrRuns >= documents, `${ocrRuns} OCR runs for ${documents} documents`);
    assert.equal(sampleValue(samples, `${METRICS.ocrProcessingMs.name}_count`, { device: 'cuda' }), 0);
    const latency = METRICS.verificationLatencyMs.name;
    assert.equal(sampleValue(samples, `${latency}_count`, { decided_by: 'automatic' }), 4);
    assert.equal(sampleValue(samples, `${latency}_count`, { decided_by: 'human' }), 1);
    const automaticMs = sampleValue(samples, `${latency}_sum`, { decided_by: 'automatic' });
    assert.ok(automaticMs > 0 && automaticMs / 4 < 20_000, `automatic decisions took ${automaticMs} ms in all`);
    assert.ok(sampleValue(samples, `${latency}_sum`, { decided_by: 'human' }) > 0);
    assert.equal(sampleValue(samples, `${latency}_bucket`, { decided_by: 'automatic', le: '+Inf' }), 4);
    assert.equal(sampleValue(samples, METRICS.buli2RetryCount.name, { operation: 'forward' }), 0);

    // Transitions per event type: each document's whole path, and one reviewer's decision.
    const transitions = METRICS.transitions.name;
    for (const event of ['DOCUMENT_UPLOADED', 'PROCESSING_STARTED', 'OCR_COMPLETED', 'AI_EVALUATED', 'DECIDE'])
      assert.equal(sampleValue(samples, transitions, { event }), documents, event);
    assert.equal(sampleValue(samples, transitions, { event: 'REVIEW_DECIDED' }), 1);
    assert.equal(sampleValue(samples, METRICS.evaluationOutcomes.name, { status: 'auto_approve' }), 3);
    assert.equal(sampleValue(samples, METRICS.evaluationOutcomes.name, { status: 'auto_reject' }), 1);
    assert.equal(sampleValue(samples, METRICS.evaluationOutcomes.name, { status: 'needs_review' }), 1);

    // Shared gauges: nobody left in review; the outbox as the database has it (this world runs no
    // review workflows, so the one document's start_review waits there undelivered).
    assert.equal(sampleValue(samples, METRICS.reviewQueueSize.name), 0);
    assert.equal(sampleValue(samples, METRICS.reviewQueueOldestAgeSeconds.name), 0);
    const backlog = sampleValue(samples, METRICS.outboxBacklog.name);
    assert.equal(backlog, await outboxBacklogIn(world.pool));
    assert.equal(backlog, 1);
    const outboxAge = sampleValue(samples, METRICS.outboxOldestAgeSeconds.name);
    assert.ok(outboxAge > 0 && outboxAge < 120, `oldest outbox entry ${outboxAge} s`);

    // HTTP latency by route template.
    const http = `${METRICS.httpLatencyMs.name}_count`;
    assert.equal(
      sampleValue(samples, http, { method: 'POST', route: '/documents/upload', status_class: '2xx' }),
      documents,
    );
    assert.equal(
      sampleValue(samples, http, { method: 'GET', route: '/documents/:id', status_class: '2xx' }),
      documents,
    );
    assert.equal(sampleValue(samples, http, { method: 'GET', route: '/internal/reviews', status_class: '2xx' }), 1);
    assert.equal(
      sampleValue(samples, http, { method: 'POST', route: '/internal/reviews/:id/decision', status_class: '2xx' }),
      1,
    );
    assert.equal(sampleValue(samples, http, { method: 'GET', route: 'unmatched', status_class: '4xx' }), 1);
    assert.ok(sampleValue(samples, http, { method: 'GET', route: '/metrics', status_class: '2xx' }) >= 1);

    // Bounded labels: no id, no owner, no reviewer anywhere.
    const forbidden = [...uploaded.keys(), ...Object.values(OWNERS), 'reviewer-7'];
    for (const sample of samples)
      for (const value of Object.values(sample.labels)) {
        assert.doesNotMatch(value, UUID, `${sample.name} ${value}`);
        for (const word of forbidden) assert.ok(!value.includes(word), `${sample.name} carries ${word}`);
      }
    // And every declared metric is served, those without a series yet (no fallback, no dead letter) by their type line.
    const text = await (await fetch(`${url}/metrics`)).text();
    for (const metric of Object.values(METRICS)) assert.match(text, new RegExp(`^# TYPE ${metric.name} `, 'm'));
  });
});
