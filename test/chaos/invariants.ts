import type pg from 'pg';
import type { ReviewRecord } from './load/index.ts';

/**
 * What must hold once the faults are over and the system has settled, read straight from the
 * private Postgres (the source of truth). Each check says what it found when it fails.
 */
export const INVARIANTS = {
  stored: 'every 202 upload is in Postgres',
  decidedOnce: 'each document has exactly one automatic decision',
  reviewedAtMostOnce: 'at most one reviewer decision per document',
  gapFree: 'event seq runs 1..n without gaps and equals documents.version',
  nothingStuck: 'nothing stuck before a decision',
  outboxDrained: 'no outbox row left undelivered',
  oneReviewWins: 'review decisions: at most one 200, the rest 409',
  reviewStored: 'a decision answered 200 is the one stored',
  noCrash: 'no instance exited on its own',
} as const;
export type InvariantKey = keyof typeof INVARIANTS;
export type InvariantResult = { key: InvariantKey; name: string; ok: boolean; detail: string };

/** Not yet decided: a document still here after the settle period is stuck. */
export const UNDECIDED = ['uploaded', 'processing', 'ocr_completed', 'ai_evaluated'] as const;

/**
 * The automatic decision: DECIDE out of `ai_evaluated`, or the move to review after the last
 * failed or expired OCR attempt (out of `processing`). A reviewer's decision leaves `needs_review`.
 */
export const AUTOMATIC_DECISION = `to_status IN ('auto_approve', 'auto_reject', 'needs_review')
  AND from_status IN ('ai_evaluated', 'processing')`;

type DocumentRow = {
  id: string;
  status: string;
  version: number;
  events: number;
  first_seq: number | null;
  last_seq: number | null;
  automatic: number;
  reviewed: number;
  review_decision: string | null;
};

const EXAMPLES = 3;
const examples = (ids: readonly string[]) =>
  ids.length === 0 ? '' : ` (e.g. ${ids.slice(0, EXAMPLES).join(', ')}${ids.length > EXAMPLES ? ', …' : ''})`;

export async function checkInvariants(
  db: pg.ClientBase | pg.Pool,
  run: { accepted: ReadonlyMap<string, string>; reviews: readonly ReviewRecord[] },
): Promise<InvariantResult[]> {
  const { rows } = await db.query<DocumentRow>(`
    SELECT d.id, d.status, d.version,
      count(e.id)::int AS events, min(e.seq) AS first_seq, max(e.seq) AS last_seq,
      (count(e.id) FILTER (WHERE ${AUTOMATIC_DECISION}))::int AS automatic,
      (count(e.id) FILTER (WHERE e.event_type = 'REVIEW_DECIDED'))::int AS reviewed,
      max(e.payload->>'decision') FILTER (WHERE e.event_type = 'REVIEW_DECIDED') AS review_decision
    FROM documents d LEFT JOIN document_events e ON e.document_id = d.id
    GROUP BY d.id`);
  const byId = new Map(rows.map((row) => [row.id, row]));
  const results: InvariantResult[] = [];
  /** Passes when nothing fails; else names how many failed, a few of them, and `breakdown`. */
  const check = (key: InvariantKey, failing: readonly string[], summary: string, breakdown = '') =>
    results.push({
      key,
      name: INVARIANTS[key],
      ok: failing.length === 0,
      detail:
        failing.length === 0
          ? summary
          : `${failing.length} failing${examples(failing)}${breakdown ? `; ${breakdown}` : ''}`,
    });

  const missing = [...run.accepted.keys()].filter((id) => !byId.has(id));
  check('stored', missing, `${run.accepted.size} accepted, all stored`);

  const notOnce = rows.filter((row) => row.automatic !== 1);
  check(
    'decidedOnce',
    notOnce.map((row) => `${row.id} ${row.automatic}×`),
    `${rows.length} documents`,
    `by count: ${countBy(notOnce.map((row) => `${row.automatic}×`))}`,
  );

  const reviewed = rows.filter((row) => row.reviewed > 0);
  check(
    'reviewedAtMostOnce',
    reviewed.filter((row) => row.reviewed > 1).map((row) => `${row.id} ${row.reviewed}×`),
    `${reviewed.length} reviewed`,
  );

  const gaps = rows
    .filter((row) => row.first_seq !== 1 || row.last_seq !== row.events || row.last_seq !== row.version)
    .map((row) => `${row.id} seq ${row.first_seq}..${row.last_seq} of ${row.events}, version ${row.version}`);
  check('gapFree', gaps, 'all gap-free');

  const stuck = rows.filter((row) => (UNDECIDED as readonly string[]).includes(row.status));
  check(
    'nothingStuck',
    stuck.map((row) => `${row.id} ${row.status}`),
    'none undecided',
    `by status: ${countBy(stuck.map((row) => row.status))}`,
  );

  const { rows: undelivered } = await db.query<{ document_id: string; attempts: number; age_s: number }>(
    `SELECT document_id, attempts, extract(epoch FROM now() - created_at)::float AS age_s
     FROM outbox WHERE delivered_at IS NULL ORDER BY created_at`,
  );
  check(
    'outboxDrained',
    undelivered.map((row) => `${row.document_id} after ${row.attempts} attempts, ${Math.round(row.age_s)} s old`),
    'all delivered',
  );

  const badRaces: string[] = [];
  const mismatched: string[] = [];
  for (const record of run.reviews) {
    const winners = record.attempts.filter((attempt) => attempt.ok);
    // Besides the winner: 409 (another won), or 503/429 while a fault lasts; never a second 200.
    const unexpected = record.attempts.filter(
      (attempt) => !attempt.ok && attempt.status !== null && ![409, 503, 429].includes(attempt.status),
    );
    if (winners.length > 1 || unexpected.length > 0)
      badRaces.push(`${record.documentId} answered ${record.attempts.map((a) => a.status ?? 'none').join('/')}`);
    const winner = winners[0];
    const stored = byId.get(record.documentId)?.review_decision;
    if (winner && stored !== winner.decision)
      mismatched.push(`${record.documentId} won ${winner.decision}, stored ${stored}`);
  }
  const races = run.reviews.filter((record) => record.race).length;
  check('oneReviewWins', badRaces, `${races} raced, of ${run.reviews.length} documents decided by reviewers`);
  check('reviewStored', mismatched, `${run.reviews.length} checked`);
  return results;
}

function countBy(values: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, count]) => `${value} ${count}`).join(', ');
}
