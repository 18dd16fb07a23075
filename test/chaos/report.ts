import { DECISION_BUDGET_MS } from './budgets.ts';
import type { InvariantResult } from './invariants.ts';
import { ROUTES, type Sample } from './load/requests.ts';
import { type PhaseVerdict, percentile, timed } from './verdicts.ts';

/**
 * The run as text: a table per phase (requests, failures by class, latency against budget,
 * documents and their time to decision), what each fault did and what broke, the same per route,
 * the first failed request of each kind, then the invariants.
 */
export function formatReport(input: {
  verdicts: readonly PhaseVerdict[];
  samples: readonly Sample[];
  invariants: readonly InvariantResult[];
  extra: readonly string[];
}): string {
  const ms = (value: number) => String(Math.round(value));
  const seconds = (value: number) => (value / 1000).toFixed(1);
  const verdictOf = (v: PhaseVerdict) => (v.budgetP99 === undefined ? '-' : v.failures.length === 0 ? 'ok' : 'FAIL');
  const requestRows = input.verdicts.map((v) => [
    v.phase,
    v.seconds.toFixed(1),
    String(v.requests),
    String(v.outcomes.server_error),
    String(v.outcomes.unavailable),
    String(v.outcomes.limited),
    String(v.outcomes.timeout),
    String(v.outcomes.reset),
    String(v.outcomes.lost),
    String(v.outcomes.client_error),
    ms(v.p50),
    ms(v.p95),
    ms(v.p99),
    ms(v.max),
    v.budgetP99 === undefined ? '-' : ms(v.budgetP99),
    String(v.uploaded),
    String(v.decided),
    v.uploaded === 0 ? '-' : seconds(v.decisionP50Ms),
    v.uploaded === 0 ? '-' : seconds(v.decisionMaxMs),
    String(v.late),
    verdictOf(v),
  ]);
  const lines = [
    table(
      [
        'phase',
        's',
        'requests',
        '5xx',
        '503',
        '429',
        'timeout',
        'reset',
        'lost',
        '4xx',
        'p50',
        'p95',
        'p99',
        'max',
        '≤p99',
        'docs',
        'decided',
        'dec p50',
        'dec max',
        'late',
        'budget',
      ],
      requestRows,
    ),
    '',
    'p50..max: latency (ms) of the requests started in the phase, ≤p99 its budget; 5xx: besides 503; lost: in flight at the instance SIGKILLed',
    `docs: uploaded in the phase; decided: automatic decisions made in it; dec p50/max: upload to automatic decision (s), outages excluded; late: over ${DECISION_BUDGET_MS / 1000} s or never`,
  ];
  for (const v of input.verdicts) {
    if (v.note) lines.push(`  ${v.phase}: ${v.note}`);
    if (v.failures.length > 0) lines.push(`  ${v.phase} over budget: ${v.failures.join(', ')}`);
  }

  lines.push('', 'by route (requests / p99 ms / max ms / failures):');
  const routeRows = input.verdicts
    .filter((v) => v.requests > 0)
    .map((v) => [
      v.phase,
      ...ROUTES.map((route) => {
        const inRoute = input.samples.filter((sample) => sample.phase === v.phase && sample.route === route);
        if (inRoute.length === 0) return '-';
        const latencies = timed(inRoute);
        const failed = inRoute.filter((sample) => !['ok', 'conflict'].includes(sample.outcome)).length;
        return `${inRoute.length} / ${ms(percentile(latencies, 0.99))} / ${ms(latencies.at(-1) ?? 0)} / ${failed}`;
      }),
    ]);
  lines.push(table(['phase', ...ROUTES], routeRows));

  const failures = firstFailures(input.samples);
  if (failures.length > 0)
    lines.push('', 'failed requests (first of each kind):', ...failures.map((line) => `  ${line}`));

  lines.push(
    '',
    table(
      ['invariant', 'result', 'detail'],
      input.invariants.map((i) => [i.name, i.ok ? 'ok' : 'FAIL', i.detail]),
    ),
  );
  if (input.extra.length > 0) lines.push('', ...input.extra);
  return lines.join('\n');
}

/** One example per (phase, route, outcome, detail), so a report names what failed without a flood. */
function firstFailures(samples: readonly Sample[]): string[] {
  const seen = new Map<string, { sample: Sample; count: number }>();
  for (const sample of samples) {
    if (sample.outcome === 'ok' || sample.outcome === 'conflict') continue;
    const key = `${sample.phase} | ${sample.route} | ${sample.outcome} | ${sample.detail ?? ''}`;
    const entry = seen.get(key);
    if (entry) entry.count++;
    else seen.set(key, { sample, count: 1 });
  }
  return [...seen].map(
    ([key, { sample, count }]) => `${key} | ${count}× | e.g. ${Math.round(sample.ms)} ms on ${sample.instance}`,
  );
}

function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const numeric = (value: string) => /^-?[\d.]+$/.test(value) || value === '-';
  const format = (row: readonly string[]) =>
    row
      .map((cell, column) => {
        const width = widths[column] ?? 0;
        return column > 0 && numeric(cell) ? cell.padStart(width) : cell.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [format(headers), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.map(format)].join('\n');
}
