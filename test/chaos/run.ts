import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { AUTOMATIC_DECISION, checkInvariants, INVARIANTS, type InvariantResult, UNDECIDED } from './invariants.ts';
import { syntheticCards } from './load/cards.ts';
import { type Load, startLoad } from './load/index.ts';
import { createRecorder } from './load/requests.ts';
import { mintTokens } from './load/tokens.ts';
import { type ChaosProfile, loadSeconds } from './profiles.ts';
import { formatReport } from './report.ts';
import { type Stack, startStack } from './stack/index.ts';
import { createTimeline, type Timeline } from './timeline.ts';
import { type DocumentTiming, judgePhases, type PhaseVerdict } from './verdicts.ts';

/**
 * One fault run: start the stack, run the load, inject the faults one after another while uploads
 * and OCR are in flight, stop the load, let the backlog settle, check the invariants and judge each
 * phase against its budget. Always stops the stack, whatever happens.
 */
export type ChaosResult = {
  ok: boolean;
  report: string;
  verdicts: PhaseVerdict[];
  invariants: InvariantResult[];
};

/** The log events worth a line in the report: each is a recovery path taken, or a failure. */
const NOTABLE_EVENTS = [
  'http.unhandled_error',
  'queue.job_failed',
  'queue.read_failed',
  'outbox.delivery_failed',
  'outbox.relayed',
  'outbox.failed',
  'sweeper.recovered',
  'sweeper.failed',
  'reaper.failed',
  'lease.expired',
  'processing.released',
  'processing.fenced',
  'processing.lease_extend_failed',
];

/** How long a fault waits for OCR to be running before it strikes anyway. */
const MID_FLIGHT_WAIT_MS = 5000;
const SETTLE_POLL_MS = 500;

export async function runChaos(profile: ChaosProfile, options: { logsTo?: string } = {}): Promise<ChaosResult> {
  const cardCount = Math.ceil(loadSeconds(profile) * profile.uploadsPerSecond) + 4 * profile.burst + 10;
  // Drawn while the stack starts; awaited inside the try, so a failure still stops the stack.
  const cardsDrawn = syntheticCards(cardCount, profile.seed);
  cardsDrawn.catch(() => {});
  const stack = await startStack();
  const db = new pg.Pool({ connectionString: stack.databaseUrl, max: 2 });
  // The pool's idle connections die with each Postgres restart; it reconnects on the next query.
  db.on('error', () => {});
  try {
    const cards = await cardsDrawn;
    const timeline = createTimeline();
    const recorder = createRecorder(timeline);
    const tokens = mintTokens(stack.jwtSecret, profile);
    timeline.enter('baseline', `${stack.instances.length} instances, ${profile.uploadsPerSecond} uploads/s`);
    const load = startLoad({
      instances: stack.instances,
      recorder,
      tokens,
      cards,
      settings: {
        uploadsPerSecond: profile.uploadsPerSecond,
        pollMs: profile.pollMs,
        reviewEveryMs: profile.reviewEveryMs,
      },
    });
    try {
      await injectFaults(stack, db, timeline, profile, load);
    } finally {
      timeline.enter('settle', 'load stopped');
      await load.stop();
    }
    await settle(db, timeline, profile.settleTimeoutMs);
    timeline.finish();

    const invariants = await checkInvariants(db, load);
    const crashes = stack.instances.flatMap((instance) => instance.crashes);
    invariants.push({
      key: 'noCrash',
      name: INVARIANTS.noCrash,
      ok: crashes.length === 0,
      detail: crashes.length === 0 ? `${stack.instances.length} instances` : crashes.join('; '),
    });
    const verdicts = judgePhases(timeline.windows(), recorder.samples, await documentTimings(db), Date.now());
    const ok = invariants.every((result) => result.ok) && verdicts.every((verdict) => verdict.failures.length === 0);
    const report = formatReport({
      verdicts,
      samples: recorder.samples,
      invariants,
      extra: [
        `uploads answered 202: ${load.accepted.size}; documents reviewers decided on: ${load.reviews.length}`,
        ...stack.instances.map((instance) => `${instance.name} log events: ${notableEvents(instance.events)}`),
        ok ? 'RESULT: every invariant holds and every phase kept its budget' : 'RESULT: FAILED',
      ],
    });
    return { ok, report, verdicts, invariants };
  } finally {
    await db.end().catch(() => {});
    await stack.close(options.logsTo ? { logsTo: options.logsTo } : {});
  }
}

async function injectFaults(stack: Stack, db: pg.Pool, timeline: Timeline, profile: ChaosProfile, load: Load) {
  const [, victim] = stack.instances;
  if (!victim) throw new Error('the fault run needs two instances');
  /** Each fault strikes a backlog: a burst of uploads, and OCR running on it. */
  const midFlight = async (workerId?: string) => {
    load.burst(profile.burst);
    timeline.note(await ocrRunning(db, workerId));
  };
  await sleep(profile.baselineMs);

  timeline.enter('redis flush');
  await midFlight();
  const flushedAt = Date.now();
  await stack.redis.flushAll();
  timeline.outage(flushedAt);
  timeline.note('FLUSHALL');
  await sleep(profile.flushHoldMs);

  timeline.enter('redis down');
  await midFlight();
  const downAt = Date.now();
  await stack.redis.down();
  await sleep(profile.redisDownMs);
  await stack.redis.up();
  timeline.outage(downAt);
  timeline.note(`redis-server killed, back empty after ${(profile.redisDownMs / 1000).toFixed(0)} s`);
  await sleep(profile.redisHoldMs);

  timeline.enter('postgres restart');
  await midFlight();
  const restartAt = Date.now();
  const { downMs } = await stack.postgres.restart();
  timeline.outage(restartAt);
  timeline.note(`fast shutdown and start, down ${downMs} ms`);
  await sleep(profile.postgresHoldMs);

  timeline.enter('instance kill');
  await midFlight(victim.workerId);
  // The survivor is expected to carry on at once: the outage is the instant of the kill.
  const killedAt = Date.now();
  await victim.kill();
  timeline.outage(killedAt);
  await sleep(profile.killDownMs);
  const { startMs } = await victim.restart(`${victim.workerId}-restarted`);
  timeline.note(
    `${victim.name} SIGKILLed, dead ${(profile.killDownMs / 1000).toFixed(0)} s, started again in ${startMs} ms`,
  );
  await sleep(profile.killHoldMs);

  timeline.enter('recovery');
  await sleep(profile.recoveryMs);
}

/** Waits (a little) until OCR is running, on `workerId` when given, so the fault lands mid-flight. */
async function ocrRunning(db: pg.Pool, workerId?: string): Promise<string> {
  const deadline = Date.now() + MID_FLIGHT_WAIT_MS;
  const on = workerId ? ` on ${workerId}` : '';
  for (;;) {
    const { rows } = await db
      .query<{ processing: number; undecided: number }>(
        `SELECT (count(*) FILTER (WHERE status = 'processing' AND ($1::text IS NULL OR lease_owner = $1)))::int AS processing,
           (count(*) FILTER (WHERE status = ANY($2)))::int AS undecided
         FROM documents`,
        [workerId ?? null, UNDECIDED],
      )
      .catch(() => ({ rows: [] as { processing: number; undecided: number }[] }));
    const state = rows[0];
    if (state && state.processing > 0)
      return `struck with ${state.processing} in OCR${on}, ${state.undecided} undecided`;
    if (Date.now() > deadline) return `struck with no OCR running${on}`;
    await sleep(50);
  }
}

/** Waits until every document is decided and the outbox is empty, or the settle time is over. */
async function settle(db: pg.Pool, timeline: Timeline, timeoutMs: number) {
  const started = Date.now();
  for (;;) {
    const { rows } = await db
      .query<{ undecided: number; undelivered: number }>(
        `SELECT (SELECT count(*)::int FROM documents WHERE status = ANY($1)) AS undecided,
                (SELECT count(*)::int FROM outbox WHERE delivered_at IS NULL) AS undelivered`,
        [UNDECIDED],
      )
      .catch(() => ({ rows: [] as { undecided: number; undelivered: number }[] }));
    const state = rows[0];
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    if (state && state.undecided === 0 && state.undelivered === 0) {
      timeline.note(`settled in ${seconds} s`);
      return;
    }
    if (Date.now() - started > timeoutMs) {
      timeline.note(
        `not settled after ${seconds} s: ${state?.undecided ?? '?'} undecided, ${state?.undelivered ?? '?'} outbox rows undelivered`,
      );
      return;
    }
    await sleep(SETTLE_POLL_MS);
  }
}

async function documentTimings(db: pg.Pool): Promise<DocumentTiming[]> {
  const { rows } = await db.query<{ uploaded_ms: number; decided_ms: number | null }>(
    `SELECT (extract(epoch FROM min(at) FILTER (WHERE seq = 1)) * 1000)::float AS uploaded_ms,
       (extract(epoch FROM min(at) FILTER (WHERE ${AUTOMATIC_DECISION})) * 1000)::float AS decided_ms
     FROM document_events GROUP BY document_id`,
  );
  return rows.map((row) => ({ uploadedAt: row.uploaded_ms, decidedAt: row.decided_ms }));
}

function notableEvents(events: ReadonlyMap<string, number>): string {
  const seen = NOTABLE_EVENTS.filter((name) => events.has(name)).map((name) => `${name} ${events.get(name)}`);
  return seen.length > 0 ? seen.join(', ') : 'none of note';
}
