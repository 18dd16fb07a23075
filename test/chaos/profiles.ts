/**
 * How long each phase lasts and how hard the load pushes. `full` is `npm run chaos`; `short` is the
 * version in `npm test` (test/chaos/faults.test.ts), the same faults at a fraction of the length.
 */
export type ChaosProfile = {
  baselineMs: number;
  /** After FLUSHALL. */
  flushHoldMs: number;
  /** How long Redis stays down, then how long the phase goes on after it is back. */
  redisDownMs: number;
  redisHoldMs: number;
  /** After Postgres is back (its restart itself takes about a second). */
  postgresHoldMs: number;
  /** How long the killed instance stays dead, then how long the phase goes on after it listens again. */
  killDownMs: number;
  killHoldMs: number;
  recoveryMs: number;
  uploadsPerSecond: number;
  /** Uploads sent at once just before each fault, so it strikes a backlog in OCR. */
  burst: number;
  users: number;
  reviewers: number;
  pollMs: number;
  reviewEveryMs: number;
  /** After the load stops: the longest the backlog may take to be decided and the outbox to drain. */
  settleTimeoutMs: number;
  seed: number;
};

/** About 2 minutes of load at 1 upload/s and bursts of 6: about 120 documents, Redis down for 30 s. */
export const FULL: ChaosProfile = {
  baselineMs: 15_000,
  flushHoldMs: 15_000,
  redisDownMs: 30_000,
  redisHoldMs: 10_000,
  postgresHoldMs: 15_000,
  killDownMs: 3_000,
  killHoldMs: 12_000,
  recoveryMs: 15_000,
  uploadsPerSecond: 1,
  burst: 6,
  users: 5,
  reviewers: 3,
  pollMs: 1000,
  reviewEveryMs: 2000,
  settleTimeoutMs: 90_000,
  seed: 1,
};

/** About 30 s of load at 1 upload/s and bursts of 4: about 35 documents, Redis down for 3 s. */
export const SHORT: ChaosProfile = {
  ...FULL,
  baselineMs: 4_000,
  flushHoldMs: 4_000,
  redisDownMs: 3_000,
  redisHoldMs: 3_000,
  postgresHoldMs: 4_000,
  killDownMs: 1_000,
  killHoldMs: 4_000,
  recoveryMs: 3_000,
  uploadsPerSecond: 1,
  burst: 4,
  pollMs: 500,
  settleTimeoutMs: 45_000,
};

/** Seconds of load the profile plans (without the killed instance's start-up time). */
export function loadSeconds(profile: ChaosProfile): number {
  return (
    (profile.baselineMs +
      profile.flushHoldMs +
      profile.redisDownMs +
      profile.redisHoldMs +
      profile.postgresHoldMs +
      profile.killDownMs +
      profile.killHoldMs +
      profile.recoveryMs) /
    1000
  );
}
