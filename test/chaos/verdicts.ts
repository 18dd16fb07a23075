import { BUDGETS, DECISION_BUDGET_MS, LOADED_MACHINE_FACTOR, type Outcome } from './budgets.ts';
import type { Sample } from './load/requests.ts';
import type { Outage, PhaseName, PhaseWindow } from './timeline.ts';

/**
 * Each phase judged against its budget (budgets.ts): its requests' outcomes and latencies, and how
 * long the documents uploaded in it took to be decided.
 */
export type PhaseVerdict = {
  phase: PhaseName;
  seconds: number;
  requests: number;
  outcomes: Record<Outcome, number>;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  /** Undefined for the settle phase, which has no load. */
  budgetP99: number | undefined;
  /** Automatic decisions made during the phase. */
  decided: number;
  /** Documents uploaded during the phase, and how long each took to be decided, outages excluded. */
  uploaded: number;
  decisionP50Ms: number;
  decisionMaxMs: number;
  /** Of those, decided later than DECISION_BUDGET_MS, or not at all. */
  late: number;
  note: string;
  /** Why the phase broke its budget; empty when it kept it. */
  failures: string[];
};

export const OUTCOMES: readonly Outcome[] = [
  'ok',
  'conflict',
  'unavailable',
  'limited',
  'lost',
  'server_error',
  'client_error',
  'timeout',
  'reset',
];

/** When a document was uploaded and automatically decided (null: not yet). */
export type DocumentTiming = { uploadedAt: number; decidedAt: number | null };

export function judgePhases(
  windows: readonly PhaseWindow[],
  samples: readonly Sample[],
  documents: readonly DocumentTiming[],
  endedAt: number,
): PhaseVerdict[] {
  const outages = windows.flatMap((window) => window.outages);
  const within = (window: PhaseWindow, at: number) => at >= window.start && at < window.end;
  // The healthy baseline of this sitting: how fast the machine answers at all (budgets.ts).
  const baselineP99 = percentile(timed(samples.filter((sample) => sample.phase === 'baseline')), 0.99);
  return windows.map((window) => {
    const uploaded = documents.filter((document) => within(window, document.uploadedAt));
    const delays = uploaded.map((document) => decisionDelay(document, outages, endedAt)).sort((a, b) => a - b);
    const inPhase = samples.filter((sample) => sample.phase === window.name);
    const outcomes = Object.fromEntries(OUTCOMES.map((outcome) => [outcome, 0])) as Record<Outcome, number>;
    for (const sample of inPhase) outcomes[sample.outcome]++;
    const latencies = timed(inPhase);
    const phaseBudget = window.name === 'settle' ? undefined : BUDGETS[window.name];
    const budget =
      phaseBudget && window.name !== 'baseline'
        ? { ...phaseBudget, p99Ms: Math.max(phaseBudget.p99Ms, Math.round(LOADED_MACHINE_FACTOR * baselineP99)) }
        : phaseBudget;
    const verdict: PhaseVerdict = {
      phase: window.name,
      seconds: (window.end - window.start) / 1000,
      requests: inPhase.length,
      outcomes,
      p50: percentile(latencies, 0.5),
      p95: percentile(latencies, 0.95),
      p99: percentile(latencies, 0.99),
      max: latencies.at(-1) ?? 0,
      budgetP99: budget?.p99Ms,
      decided: documents.filter((document) => document.decidedAt !== null && within(window, document.decidedAt)).length,
      uploaded: uploaded.length,
      decisionP50Ms: percentile(delays, 0.5),
      decisionMaxMs: delays.at(-1) ?? 0,
      late: uploaded.filter(
        (document) => document.decidedAt === null || decisionDelay(document, outages, endedAt) > DECISION_BUDGET_MS,
      ).length,
      note: window.note,
      failures: [],
    };
    if (!budget) return verdict;
    if (verdict.p99 > budget.p99Ms) verdict.failures.push(`p99 ${Math.round(verdict.p99)} ms > ${budget.p99Ms} ms`);
    for (const outcome of OUTCOMES) {
      if (outcome === 'ok' || outcome === 'conflict' || budget.tolerated.includes(outcome)) continue;
      if (outcomes[outcome] > 0) verdict.failures.push(`${outcomes[outcome]} ${outcome}`);
    }
    if (verdict.late > 0)
      verdict.failures.push(
        `${verdict.late} of ${verdict.uploaded} documents decided after ${DECISION_BUDGET_MS / 1000} s or never (worst ${(verdict.decisionMaxMs / 1000).toFixed(1)} s)`,
      );
    return verdict;
  });
}

/** Upload to decision (or to `endedAt` if undecided), minus the time spent inside outages. */
function decisionDelay(document: DocumentTiming, outages: readonly Outage[], endedAt: number): number {
  const end = document.decidedAt ?? endedAt;
  const blocked = outages.reduce(
    (sum, outage) => sum + Math.max(0, Math.min(end, outage.to) - Math.max(document.uploadedAt, outage.from)),
    0,
  );
  return end - document.uploadedAt - blocked;
}

/** Latencies of the requests a live server could have answered, sorted. */
export const timed = (samples: readonly Sample[]) =>
  samples
    .filter((sample) => sample.outcome !== 'lost')
    .map((sample) => sample.ms)
    .sort((a, b) => a - b);

/** Nearest-rank percentile: the smallest value with at least `q` of the values at or below it. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}
