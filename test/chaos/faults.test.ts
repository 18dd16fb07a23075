import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { BUDGETS } from './budgets.ts';
import type { InvariantKey } from './invariants.ts';
import { SHORT } from './profiles.ts';
import { type ChaosResult, runChaos } from './run.ts';
import type { PhaseName } from './timeline.ts';

/**
 * The short fault run (`npm run chaos` at a fraction of the length): two real instances on a
 * private Postgres and Redis, while Redis is flushed, down for 3 s, Postgres restarts and one
 * instance is SIGKILLed, all mid-flight. Its own processes, ports and temp dir: it shares nothing
 * with the other test files.
 */
describe('the service under faults (short fault run)', () => {
  let result: ChaosResult;
  before(
    async () => {
      result = await runChaos(SHORT);
      // The table is the first thing to read when a check below fails.
      console.log(result.report);
    },
    { timeout: 170_000 },
  );

  const holds = (...keys: InvariantKey[]) => {
    for (const key of keys) {
      const invariant = result.invariants.find((candidate) => candidate.key === key);
      assert.ok(invariant, `invariant ${key} was checked`);
      assert.ok(invariant.ok, `${invariant.name}: ${invariant.detail}`);
    }
  };

  it('should keep every upload it answered 202 for', () => holds('stored'));

  it('should decide each document automatically exactly once, and by a reviewer at most once', () =>
    holds('decidedOnce', 'reviewedAtMostOnce'));

  it('should keep each event log gap-free and in step with the document version', () => holds('gapFree'));

  it('should leave no document undecided and no outbox row undelivered once settled', () =>
    holds('nothingStuck', 'outboxDrained'));

  it('should let one of several concurrent review decisions win and refuse the others with 409', () =>
    holds('oneReviewWins', 'reviewStored'));

  it('should keep both instances running through the faults', () => holds('noCrash'));

  for (const phase of Object.keys(BUDGETS) as PhaseName[]) {
    it(`should answer within the latency budget, without 5xx, hangs or resets, during ${phase}`, () => {
      const verdict = result.verdicts.find((candidate) => candidate.phase === phase);
      assert.ok(verdict, `phase ${phase} ran`);
      assert.ok(verdict.requests > 0, `requests were made during ${phase}`);
      assert.deepEqual(verdict.failures, [], `${phase} broke its budget`);
    });
  }
});
