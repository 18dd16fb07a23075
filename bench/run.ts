import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { resolvePrecision } from '../adapters/ocr/index.ts';
import { buli2Throughput } from './buli2Throughput.ts';
import { ocrThroughput } from './ocrThroughput.ts';
import { reviewThroughput } from './reviewThroughput.ts';
import { runtimePath } from './runtimePath.ts';
import { sendThroughput } from './sendThroughput.ts';
import { notifyCost, sseStreams } from './sseStreams.ts';
import { type CpuUse, cpuMeter, diskWriteProbeMicros, envInt, sleep } from './support.ts';
import { uploadThroughput } from './uploadThroughput.ts';

/**
 * `npm run bench`: runs each benchmark and prints one `name: value` line per figure; the name ends in
 * the unit (`_per_s`, `_ms`, `_s`, `_cpu` in cores), ratios have none. Lines starting with `#` say
 * what was measured and how. Knobs (environment): BENCH_LANES (32), BENCH_POOL_SIZE (20),
 * BENCH_WARMUP_MS (1000), BENCH_SLICE_MS (1500), BENCH_ROUNDS (3), BENCH_RUNTIME_DOCS (1000),
 * BENCH_WORKER_CONCURRENCY (16), BENCH_OCR_CARDS (40), BENCH_UPLOAD_SECONDS (8 per upload side, in
 * BENCH_UPLOAD_ROUNDS (4) slices), BENCH_REVIEW_DOCS (300), BENCH_REVIEW_CONCURRENCY (16),
 * BENCH_BULI2_DOCS (300), BENCH_BULI2_CONCURRENCY (16), BENCH_SSE_STREAMS (1000), BENCH_SSE_WINDOW_MS
 * (10000), BENCH_SSE_UPDATES_PER_S (100), BENCH_ONLY (send | runtime | ocr | upload | review | buli2 |
 * sse; without it each runs in turn, in a process of its own).
 */

const lanes = envInt('BENCH_LANES', 32);
const poolSize = envInt('BENCH_POOL_SIZE', 20);
const warmupMs = envInt('BENCH_WARMUP_MS', 1000);
const sliceMs = envInt('BENCH_SLICE_MS', 1500);
const rounds = envInt('BENCH_ROUNDS', 3);
const only = process.env.BENCH_ONLY;
const SECTIONS = ['send', 'runtime', 'ocr', 'upload', 'review', 'buli2', 'sse'];
if (only !== undefined && !SECTIONS.includes(only)) {
  console.error(`BENCH_ONLY must be one of ${SECTIONS.join(', ')}`);
  process.exit(2);
}

const fixed = (value: number, digits = 0) => value.toFixed(digits);
const line = (name: string, value: string, note?: string) => console.log(`${name}: ${value}${note ? ` ${note}` : ''}`);
const cores = (value: number | null) => (value === null ? 'n/a' : fixed(value, 2));
const cpuLine = (name: string, cpu: CpuUse) =>
  line(
    name,
    `node ${cores(cpu.processCores)}, postgres+redis ${cores(cpu.serverCores)}, other ${cores(cpu.otherCores)}, machine ${cores(cpu.machineCores)}`,
    `cores of ${cpus().length}${(cpu.otherCores ?? 0) > 0.1 ? ' (other work ran: figures are skewed)' : ''}`,
  );

if (!process.env.BENCH_SECTION_OF_RUN) {
  console.log(`# node ${process.version}, ${cpus().length} cpu(s), ${cpus()[0]?.model ?? 'unknown cpu'}`);
}
if (!only) {
  // Each section runs in a process of its own: what one leaves behind skews the next. Measured: the
  // OCR section's p50 was 263 ms after the runtime section in the same process, 231 ms alone.
  for (const section of SECTIONS) {
    const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url)], {
      stdio: 'inherit',
      env: { ...process.env, BENCH_ONLY: section, BENCH_SECTION_OF_RUN: '1' },
    });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
  process.exit(0);
}
{
  // Everything here shares the machine with Postgres and Redis: other work running now skews every figure.
  const meter = cpuMeter();
  await sleep(500);
  const before = meter();
  console.log(
    `# before the run: machine busy ${cores(before.machineCores)} cores, other work ${cores(before.otherCores)} cores${(before.otherCores ?? 0) > 0.1 ? ' (expect low, noisy figures)' : ''}`,
  );
}

if (only === 'send') {
  const figures = await sendThroughput({
    lanes,
    poolSize,
    warmupMs,
    sliceMs,
    rounds,
  });
  console.log(
    `# send(): ${lanes} documents in parallel, pool ${poolSize} (slonik); path PROCESSING_STARTED → OCR_COMPLETED → AI_EVALUATED → DECIDE; ${rounds} slices of ${sliceMs} ms, alternating with the two floors and the retry loop`,
  );
  line('transitions_per_s', fixed(figures.send.perSecond));
  line('send_p50_ms', fixed(figures.send.p50Ms, 2));
  line('send_p99_ms', fixed(figures.send.p99Ms, 2));
  cpuLine('send_cpu', figures.send.cpu);
  console.log(
    `# floor: one optimistic autocommit UPDATE per transition, ${lanes} in parallel, pg.Pool of ${poolSize}; ratio = floor rate / send rate`,
  );
  line('raw_update_per_s', fixed(figures.floor.perSecond));
  line('raw_update_p50_ms', fixed(figures.floor.p50Ms, 2));
  line('raw_update_p99_ms', fixed(figures.floor.p99Ms, 2));
  cpuLine('raw_update_cpu', figures.floor.cpu);
  line('ratio_vs_raw_update', fixed(figures.ratio, 2));
  console.log(
    `# same writes: what send() writes on this path (versioned update with every projected column + event row, one statement with a CTE), no machine or runtime, ${lanes} in parallel, pg.Pool of ${poolSize}; ratio = same-writes rate / send rate`,
  );
  line('same_writes_per_s', fixed(figures.sameWrites.perSecond));
  line('same_writes_p50_ms', fixed(figures.sameWrites.p50Ms, 2));
  line('same_writes_p99_ms', fixed(figures.sameWrites.p99Ms, 2));
  cpuLine('same_writes_cpu', figures.sameWrites.cpu);
  line('ratio_vs_same_writes', fixed(figures.ratioVsSameWrites, 2));
  console.log(
    '# send() retry loop: PROCESSING_STARTED → OCR_FAILED → uploaded (outbox row + XADD every 2nd transition)',
  );
  line('send_retry_loop_transitions_per_s', fixed(figures.retryLoop.perSecond));
  line('send_retry_loop_p50_ms', fixed(figures.retryLoop.p50Ms, 2));
  line('send_retry_loop_p99_ms', fixed(figures.retryLoop.p99Ms, 2));
  cpuLine('send_retry_loop_cpu', figures.retryLoop.cpu);
}

if (only === 'runtime') {
  const workerConcurrency = envInt('BENCH_WORKER_CONCURRENCY', 16);
  const figures = await runtimePath({
    documents: envInt('BENCH_RUNTIME_DOCS', 1000),
    warmupDocuments: envInt('BENCH_RUNTIME_WARMUP_DOCS', 200),
    workerConcurrency,
    poolSize,
    uploaders: lanes,
    pollMs: 25,
    timeoutMs: 60_000,
  });
  console.log(
    `# runtime path: ${figures.documents} uploads (${lanes} uploaders) → decision, zero-cost OCR engine, WORKER_CONCURRENCY=${workerConcurrency}, pool ${poolSize}`,
  );
  line('runtime_docs_per_s', fixed(figures.docsPerS));
  line('runtime_s', fixed(figures.seconds, 2));
  cpuLine('runtime_cpu', figures.cpu);
  line(
    'runtime_outcomes',
    Object.entries(figures.outcomes)
      .map(([status, count]) => `${status}=${count}`)
      .join(' '),
  );
}

if (only === 'ocr') {
  const count = envInt('BENCH_OCR_CARDS', 40);
  console.log(
    `# OCR + extraction + policy on ${count} synthetic KTP images, CPU, through the threaded engine: 1 worker = 1 engine thread with 2 onnxruntime threads and 2 recognition lanes, 2 workers = 2 with 1 of each`,
  );
  // The unsuffixed figures are the default precision (OCR_PRECISION=auto: int8 where the CPU has VNNI);
  // on such a CPU fp32 is measured on the same cards for comparison, suffixed _fp32.
  const defaultPrecision = await resolvePrecision('auto');
  if (defaultPrecision === 'fp32') console.log('# int8 not measured: this CPU has no VNNI (see docs/configuration.md)');
  const precisions = defaultPrecision === 'int8' ? (['int8', 'fp32'] as const) : (['fp32'] as const);
  for (const precision of precisions) {
    const figures = await ocrThroughput({ cards: count, seed: 1000, today: '2026-11-25', precision });
    const suffix = precision === defaultPrecision ? '' : `_${precision}`;
    line(`ocr_ms_p50${suffix}`, fixed(figures.p50Ms), 'ms');
    line(`ocr_ms_p95${suffix}`, fixed(figures.p95Ms), 'ms');
    line(`ocr_docs_per_s_1_worker${suffix}`, fixed(figures.docsPerSecondOneWorker, 2), 'docs/s');
    line(`ocr_docs_per_s_2_workers${suffix}`, fixed(figures.docsPerSecondTwoWorkers, 2), 'docs/s');
  }
}

if (only === 'upload') {
  console.log(
    `# disk: writing and renaming a 30 kB file took ${fixed(await diskWriteProbeMicros())} µs (median; about 200 here at rest, several times that when the disk is throttled, and the upload figures drop with it)`,
  );
  const figures = await uploadThroughput({
    connections: 50,
    seconds: envInt('BENCH_UPLOAD_SECONDS', 8),
    rounds: envInt('BENCH_UPLOAD_ROUNDS', 4),
  });
  console.log(
    '# POST /documents/upload, 50 connections, 640x400 JPEG, auth + validation + rate limit + disk + row + outbox; floor: bare express streaming the body to a file; stack: the route with no-op storage, documents and rate limit; the sides alternate in slices',
  );
  line('upload_rps', fixed(figures.uploadRps), 'requests/s');
  line('upload_p99_ms', fixed(figures.uploadP99Ms), 'ms');
  line('bare_upload_rps', fixed(figures.bareRps), 'requests/s');
  line('bare_upload_p99_ms', fixed(figures.bareP99Ms), 'ms');
  line('upload_overhead_ratio', fixed(figures.overheadRatio, 2), '(bare rps / full rps)');
  line(
    'upload_stack_only_rps',
    fixed(figures.stackOnlyRps),
    'requests/s (the route with no-op storage, documents and rate limit)',
  );
  line(
    'stack_overhead_ratio',
    fixed(figures.stackOverheadRatio, 2),
    '(bare rps / stack-only rps: the lowest ratio the full route could reach)',
  );
  line('upload_cpu_ms_per_request', fixed(figures.uploadCpuMsPerRequest, 3), 'ms (this process, incl. load generator)');
  line('bare_upload_cpu_ms_per_request', fixed(figures.bareCpuMsPerRequest, 3), 'ms');
  const optional = (value: number | null) => (value === null ? 'n/a' : fixed(value, 3));
  line('upload_server_cpu_ms_per_request', optional(figures.uploadServerCpuMsPerRequest), 'ms (Postgres and Redis)');
  line('upload_machine_cpu_ms_per_request', optional(figures.uploadMachineCpuMsPerRequest), 'ms (whole machine)');
  line('stack_machine_cpu_ms_per_request', optional(figures.stackMachineCpuMsPerRequest), 'ms (whole machine)');
  line('bare_upload_machine_cpu_ms_per_request', optional(figures.bareMachineCpuMsPerRequest), 'ms (whole machine)');
}

if (only === 'review') {
  const figures = await reviewThroughput({
    documents: envInt('BENCH_REVIEW_DOCS', 300),
    concurrency: envInt('BENCH_REVIEW_CONCURRENCY', 16),
    poolSize,
  });
  console.log(
    `# review decisions: ${figures.documents} documents in needs_review with their workflows started, decided through POST /internal/reviews/:id/decision over HTTP (route → Update → activity → send() → 200), ${figures.concurrency} at a time, local Temporal dev server, review worker in this process`,
  );
  line('review_decisions_per_s', fixed(figures.decisionsPerS, 1));
  line('review_decision_p50_ms', fixed(figures.p50Ms, 1));
  line('review_decision_p99_ms', fixed(figures.p99Ms, 1));
  cpuLine('review_cpu', figures.cpu);
}

if (only === 'buli2') {
  const figures = await buli2Throughput({
    documents: envInt('BENCH_BULI2_DOCS', 300),
    concurrency: envInt('BENCH_BULI2_CONCURRENCY', 16),
    poolSize,
  });
  console.log(
    `# BULI2 forwards: ${figures.documents} documents put in needs_review (DECIDE, ${figures.concurrency} at a time) → start effect → review workflow → forwardToBuli2 → POST /reviews on the BULI2 simulator; rate = documents / time from the first in needs_review to the last review the simulator took (${fixed(figures.forwardSeconds, 2)} s, ${figures.forwardRequests} forward requests); production BULI2 settings, local Temporal dev server, review worker and simulator in this process`,
  );
  line('buli2_forwards_per_s', fixed(figures.forwardsPerS, 1));
  console.log(
    `# BULI2 callbacks: one signed callback per review (the simulator's body and X-Buli2-Signature, signed before the clock starts) POSTed to /internal/buli2/callback over HTTP, ${figures.concurrency} in flight; latency = the POST until the 200 is read (route → Update applied → document decided)`,
  );
  line('buli2_callback_p50_ms', fixed(figures.callbackP50Ms, 1));
  line('buli2_callback_p99_ms', fixed(figures.callbackP99Ms, 1));
  cpuLine('buli2_cpu', figures.cpu);
}

if (only === 'sse') {
  const streams = envInt('BENCH_SSE_STREAMS', 1000);
  const windowMs = envInt('BENCH_SSE_WINDOW_MS', 10_000);
  const updatesPerS = envInt('BENCH_SSE_UPDATES_PER_S', 100);
  console.log(
    `# event streams: ${streams} open GET /verification/:id/events on this process (one document each, 5 per user; the clients and the writer in a child process), CPU over ${windowMs / 1000} s idle (heartbeats only) and ${windowMs / 1000} s with ${updatesPerS} documents updated per second; latency = UPDATE start → event at the client, after_commit = UPDATE acknowledged → event; push = LISTEN/NOTIFY, poll = the former 500 ms polling`,
  );
  for (const figures of await sseStreams({ streams, windowMs, updatesPerS, poolSize })) {
    const name = `sse_${figures.mode}`;
    line(`${name}_streams_open`, `${figures.opened}`, `of ${figures.streams}`);
    line(
      `${name}_idle_cpu`,
      cores(figures.idle.cores),
      `cores (this process; postgres ${cores(figures.idle.postgresCores)})`,
    );
    line(
      `${name}_flowing_cpu`,
      cores(figures.flowing.cores),
      `cores (this process; postgres ${cores(figures.flowing.postgresCores)}; clients ${cores(figures.flowing.clientCores)})`,
    );
    line(`${name}_delivered`, `${figures.flowing.delivered}`, `events of ${figures.flowing.updates} updates`);
    line(`${name}_latency_p50_ms`, fixed(figures.latencyP50Ms, 1));
    line(`${name}_latency_p99_ms`, fixed(figures.latencyP99Ms, 1));
    line(`${name}_after_commit_p50_ms`, fixed(figures.afterCommitP50Ms, 1));
    line(`${name}_after_commit_p99_ms`, fixed(figures.afterCommitP99Ms, 1));
    line(
      `${name}_rss_mb`,
      fixed(figures.rssMb),
      `(heap used ${fixed(figures.heapUsedMb)}, +${fixed(figures.heapGrowthMb, 1)} with the streams open)`,
    );
  }
  console.log(
    '# what telling the streams costs the writers: each writer updates its own document in a loop, 3 s slices alternated 3 times; updates/s per slice, with no notification, with the notifier (a NOTIFY of its own after the commit) and with a NOTIFY trigger (inside the writing transaction)',
  );
  for (const writers of [8, 32]) {
    const cost = await notifyCost({ writers, sliceMs: 3000, rounds: 3 });
    line(`notify_cost_${writers}_writers_none_per_s`, cost.none.join(' '));
    line(`notify_cost_${writers}_writers_notifier_per_s`, cost.notifier.join(' '));
    line(`notify_cost_${writers}_writers_trigger_per_s`, cost.trigger.join(' '));
  }
}
