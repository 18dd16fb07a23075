/**
 * `npm run chaos`: the fault suite. Starts a private Postgres cluster, a private Redis and two
 * instances of the service, runs uploads, polls and review decisions against them, and meanwhile
 * flushes Redis, stops it, restarts Postgres and SIGKILLs an instance. Prints per phase the
 * requests, errors and latencies against their budgets, then the invariants; exits 1 when any
 * fails. See docs/testing.md, "Fault suite".
 *
 *   node scripts/chaos.ts [--short] [--redis-down-s 30] [--rate 1] [--settle-s 90] [--seed 1]
 *                         [--logs DIR] [--json FILE]
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { type ChaosProfile, FULL, SHORT } from '../test/chaos/profiles.ts';
import { runChaos } from '../test/chaos/run.ts';

const USAGE =
  'usage: node scripts/chaos.ts [--short] [--redis-down-s N] [--rate UPLOADS_PER_S] [--settle-s N] [--seed N] [--logs DIR] [--json FILE]';

function positive(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got ${value}\n${USAGE}`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      short: { type: 'boolean', default: false },
      'redis-down-s': { type: 'string' },
      rate: { type: 'string' },
      'settle-s': { type: 'string' },
      seed: { type: 'string' },
      logs: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const base = values.short ? SHORT : FULL;
  const redisDown = positive('redis-down-s', values['redis-down-s']);
  const rate = positive('rate', values.rate);
  const settle = positive('settle-s', values['settle-s']);
  const seed = positive('seed', values.seed);
  const profile: ChaosProfile = {
    ...base,
    ...(redisDown ? { redisDownMs: redisDown * 1000 } : {}),
    ...(rate ? { uploadsPerSecond: rate } : {}),
    ...(settle ? { settleTimeoutMs: settle * 1000 } : {}),
    ...(seed ? { seed } : {}),
  };
  console.log(`fault run (${values.short ? 'short' : 'full'}): ${JSON.stringify(profile)}`);
  const result = await runChaos(profile, values.logs ? { logsTo: values.logs } : {});
  console.log(result.report);
  if (values.json)
    await writeFile(
      values.json,
      `${JSON.stringify({ ok: result.ok, profile, phases: result.verdicts, invariants: result.invariants }, null, 2)}\n`,
    );
  process.exitCode = result.ok ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 2;
});
