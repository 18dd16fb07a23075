import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../adapters/logging/logger.ts';
import type { Actor } from '../runtime/ports.ts';

/**
 * Shared pieces of the benchmarks: a silent logger (the real winston adapter, so the cost of the
 * log calls stays in the measurement, but nothing is written), percentiles, and a timed window in
 * which concurrent lanes run until a deadline.
 */

/** Production log level, nothing written: the calls cost what they cost in production minus the I/O. */
export const benchLogger = createLogger({ level: 'info', silent: true, service: 'filot-bench' });

export const BENCH_ACTOR: Actor = { type: 'system', id: 'bench-worker' };

/** Production defaults for the background loops (testConfig's values are tuned for fast tests). */
export const PRODUCTION_INTERVALS: Record<string, string> = {
  OCR_LEASE_MS: '30000',
  STREAM_CLAIM_IDLE_MS: '60000',
  OUTBOX_POLL_MS: '1000',
  REAPER_INTERVAL_MS: '5000',
  SWEEPER_INTERVAL_MS: '15000',
  SWEEPER_STALE_MS: '60000',
};

export function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer, got "${raw}"`);
  return value;
}

/** Nearest-rank percentile of an unsorted sample, `p` in 0..100. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = Float64Array.from(samples).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export type WindowResult = {
  /** Operations that completed inside the timed window. */
  operations: number;
  seconds: number;
  perSecond: number;
  /** Latency of each operation completed inside the timed window, in ms. */
  latenciesMs: number[];
  /** CPU used during the window, in cores: by this Node process, and by the whole machine (Postgres, Redis, anyone). */
  cpu: CpuUse;
};

export type CpuUse = {
  /** This Node process. */
  processCores: number;
  /** Postgres (this benchmark's backends and the server's own processes) and Redis. */
  serverCores: number | null;
  /**
   * Everything else (other people's test runs, other databases' backends), or the machine's busy time
   * not accounted to this process, Postgres or Redis if that is more. High means a skewed measurement.
   */
  otherCores: number | null;
  /** The whole machine, busy time (user, system, irq, steal), iowait excluded. */
  machineCores: number | null;
};

/** Databases whose Postgres backends count as this benchmark's own (see CpuUse.serverCores). */
export const benchDatabases = new Set<string>();

/** Starts measuring CPU use; the returned function gives the use since the call. */
export function cpuMeter(): () => CpuUse {
  const process0 = process.cpuUsage();
  const machine0 = machineBusyTicks();
  const split0 = processTicks();
  const t0 = performance.now();
  return () => {
    const seconds = (performance.now() - t0) / 1000;
    const used = process.cpuUsage(process0);
    const machine1 = machineBusyTicks();
    const split = ticksBetween(split0, processTicks());
    // USER_HZ is 100 on every Linux we run on.
    const cores = (ticks: number) => ticks / 100 / seconds;
    const processCores = (used.user + used.system) / 1e6 / seconds;
    const machineCores = machine0 !== null && machine1 !== null ? cores(machine1 - machine0) : null;
    const serverCores = split ? cores(split.server) : null;
    // Short-lived processes (a test runner's children) exit before the second snapshot and are missed
    // per process, but not by the machine's total: the rest of the machine is a better measure.
    const rest = machineCores !== null && serverCores !== null ? machineCores - processCores - serverCores : null;
    const otherCores = split ? Math.max(cores(split.other), rest ?? 0) : null;
    return { processCores, serverCores, otherCores, machineCores };
  };
}

function machineBusyTicks(): number | null {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
    // user nice system idle iowait irq softirq steal: busy = all but idle and iowait.
    return fields.slice(0, 8).reduce((sum, value, index) => (index === 3 || index === 4 ? sum : sum + value), 0);
  } catch {
    return null;
  }
}

type Owner = 'self' | 'server' | 'other';
const owners = new Map<string, Owner>();

function ownerOf(pid: string): Owner {
  if (pid === String(process.pid)) return 'self';
  const known = owners.get(pid);
  if (known) return known;
  let title = '';
  try {
    title = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {}
  if (title.startsWith('postgres:')) {
    // Backends and autovacuum workers name their database in the process title, set after the fork
    // (so this is not cached); the server's own processes (checkpointer, WAL writer, …) name none.
    const perDatabase = /\(\d+\)|\[local\]|autovacuum worker/.test(title);
    return !perDatabase || [...benchDatabases].some((name) => title.includes(` ${name} `)) ? 'server' : 'other';
  }
  // Kernel threads (no command line) do the I/O and networking everyone causes.
  const owner: Owner =
    title === '' || title.startsWith('redis-server') || /\bpostgres\b/.test(title) ? 'server' : 'other';
  if (title !== '' && !/\bpostgres\b/.test(title)) owners.set(pid, owner);
  return owner;
}

/** CPU ticks so far of every process but this one, with its owner. */
function processTicks(): Map<string, { owner: Exclude<Owner, 'self'>; ticks: number }> | null {
  try {
    const ticks = new Map<string, { owner: Exclude<Owner, 'self'>; ticks: number }>();
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      const owner = ownerOf(pid);
      if (owner === 'self') continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue;
      }
      // utime and stime are fields 14 and 15; the command name before them may contain spaces.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks.set(pid, { owner, ticks: Number(fields[11]) + Number(fields[12]) });
    }
    return ticks;
  } catch {
    return null;
  }
}

/** Ticks used between two snapshots by owner; processes that exited in between are missed. */
function ticksBetween(
  before: ReturnType<typeof processTicks>,
  after: ReturnType<typeof processTicks>,
): { server: number; other: number } | null {
  if (!before || !after) return null;
  const totals = { server: 0, other: 0 };
  for (const [pid, now] of after) totals[now.owner] += Math.max(0, now.ticks - (before.get(pid)?.ticks ?? 0));
  return totals;
}

/**
 * Runs `lanes` concurrent loops. Each loop calls `step(lane)` repeatedly (one operation per call,
 * awaited before the next) until the window ends or the step returns false (lane out of work).
 * The first `warmupMs` are not counted; then operations completing during `durationMs` are counted
 * and their latencies recorded.
 */
export async function runTimedLanes(
  lanes: number,
  warmupMs: number,
  durationMs: number,
  step: (lane: number) => Promise<boolean>,
): Promise<WindowResult> {
  let measuring = false;
  let stopping = false;
  let operations = 0;
  const latenciesMs: number[] = [];
  let exhausted = false;

  const loop = async (lane: number) => {
    while (!stopping) {
      const started = performance.now();
      const more = await step(lane);
      if (measuring && !stopping) {
        operations++;
        latenciesMs.push(performance.now() - started);
      }
      if (!more) {
        exhausted = true;
        return;
      }
    }
  };

  const loops = Array.from({ length: lanes }, (_, lane) => loop(lane));
  const failure = Promise.all(loops).then(
    () => undefined,
    (error: unknown) => {
      stopping = true;
      throw error;
    },
  );
  await Promise.race([sleep(warmupMs), failure]);
  measuring = true;
  const t0 = performance.now();
  const cpu = cpuMeter();
  await Promise.race([sleep(durationMs), failure]);
  const seconds = (performance.now() - t0) / 1000;
  const cpuUse = cpu();
  stopping = true;
  await failure;
  if (exhausted) throw new Error('A lane ran out of work before the timed window ended; give it more documents');
  return { operations, seconds, perSecond: operations / seconds, latenciesMs, cpu: cpuUse };
}

export type Workload = {
  name: string;
  step: (lane: number) => Promise<boolean>;
  /**
   * Called before each slice, untimed, with the number of operations the slice (warm-up included)
   * may run: a workload that consumes documents creates enough of them here.
   */
  prepare?: (operations: number) => Promise<void>;
};

// Before a workload's first slice its rate is unknown; this is comfortably above any we have seen
// (the send bench's same-writes floor ran at 4500/s on the 2-vCPU machine, with 32 lanes).
const FIRST_SLICE_RATE_GUESS = 10_000;

/**
 * Runs several workloads in alternating slices (A B C A B C …) and adds up each one's slices, so a
 * slow drift in what else the machine is doing (other processes, Postgres checkpoints) affects
 * all of them alike and their ratio stays meaningful. Each workload warms up for `warmupMs` before
 * its first slice and for `settleMs` before each later one; neither is counted.
 */
export async function runInterleaved(
  lanes: number,
  options: { warmupMs: number; settleMs: number; sliceMs: number; rounds: number },
  workloads: readonly Workload[],
): Promise<Map<string, WindowResult>> {
  const slices = new Map<string, WindowResult[]>(workloads.map((workload) => [workload.name, []]));
  for (let round = 0; round < options.rounds; round++) {
    for (const workload of workloads) {
      phase(`${workload.name}.round${round + 1}`);
      const warmup = round === 0 ? options.warmupMs : options.settleMs;
      const done = slices.get(workload.name) as WindowResult[];
      const rate = done.length === 0 ? FIRST_SLICE_RATE_GUESS : 1.5 * Math.max(...done.map((slice) => slice.perSecond));
      await workload.prepare?.(Math.ceil((rate * (warmup + options.sliceMs)) / 1000));
      done.push(await runTimedLanes(lanes, warmup, options.sliceMs, workload.step));
    }
  }
  return new Map([...slices].map(([name, results]) => [name, combine(results)]));
}

function combine(results: readonly WindowResult[]): WindowResult {
  const seconds = results.reduce((sum, result) => sum + result.seconds, 0);
  const operations = results.reduce((sum, result) => sum + result.operations, 0);
  return {
    operations,
    seconds,
    perSecond: operations / seconds,
    latenciesMs: results.flatMap((result) => result.latenciesMs),
    cpu: weightedCpu(results),
  };
}

/** The CPU use of several windows as one, each weighted by its duration. */
export function weightedCpu(windows: readonly { cpu: CpuUse; seconds: number }[]): CpuUse {
  const seconds = windows.reduce((sum, window) => sum + window.seconds, 0);
  const mean = (pick: (cpu: CpuUse) => number | null) => {
    let total = 0;
    for (const window of windows) {
      const value = pick(window.cpu);
      if (value === null) return null;
      total += value * window.seconds;
    }
    return total / seconds;
  };
  return {
    processCores: mean((cpu) => cpu.processCores) ?? 0,
    serverCores: mean((cpu) => cpu.serverCores),
    otherCores: mean((cpu) => cpu.otherCores),
    machineCores: mean((cpu) => cpu.machineCores),
  };
}

/** With BENCH_VERBOSE=1, notes on stderr when each phase starts (seconds since process start), e.g. to cut a CPU profile. */
export function phase(name: string) {
  if (process.env.BENCH_VERBOSE === '1') console.error(`# phase ${name} at ${(performance.now() / 1000).toFixed(2)} s`);
}

export function sleep(ms: number) {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}

/** Runs `task(i)` for i in 0..count-1 with at most `concurrency` running at once. */
export async function forEachConcurrent(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/**
 * Median time to write a 30 kB file and rename it into place, as an upload is stored, one at a time.
 * This machine's disk is throttled after a burst of writes: the median was about 200 µs at rest and
 * 700–1200 µs after some ten thousand files (it recovers in a minute or two idle), and the upload
 * figures drop with it.
 */
export async function diskWriteProbeMicros(files = 200): Promise<number> {
  const directory = await mkdtemp(join(tmpdir(), 'filot-bench-disk-'));
  const body = Buffer.alloc(30_000, 7);
  const times: number[] = [];
  try {
    for (let index = 0; index < files; index++) {
      const started = performance.now();
      await writeFile(join(directory, `${index}.partial`), body, { flag: 'wx' });
      await rename(join(directory, `${index}.partial`), join(directory, String(index)));
      times.push((performance.now() - started) * 1000);
    }
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
  return percentile(times, 50);
}
