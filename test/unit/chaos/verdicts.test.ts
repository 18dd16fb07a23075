import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOADED_MACHINE_FACTOR } from '../../chaos/budgets.ts';
import type { Sample } from '../../chaos/load/requests.ts';
import type { PhaseName, PhaseWindow } from '../../chaos/timeline.ts';
import { judgePhases } from '../../chaos/verdicts.ts';

/** The fault suite's judgement of latency (test/chaos/verdicts.ts): a fixed budget, loosened only on a slow machine. */
describe('the fault suite’s latency budget', () => {
  const windows: PhaseWindow[] = [
    { name: 'baseline', start: 0, end: 1000, note: '', outages: [] },
    { name: 'redis down', start: 1000, end: 2000, note: '', outages: [] },
  ];
  const samples = (phase: PhaseName, latencies: number[]): Sample[] =>
    latencies.map((ms, index) => ({
      route: 'verification',
      phase,
      instance: 'a',
      startedAt: index,
      ms,
      status: 200,
      outcome: 'ok',
    }));
  const judge = (baseline: number[], fault: number[]) =>
    judgePhases(windows, [...samples('baseline', baseline), ...samples('redis down', fault)], [], 2000);

  it('should hold a fault phase to 1 s on a machine that answers its baseline quickly', () => {
    const [baseline, fault] = judge([100, 120, 137], [200, 400, 1070]);
    assert.deepEqual(baseline?.failures, []);
    assert.equal(fault?.budgetP99, 1000);
    assert.deepEqual(fault?.failures, ['p99 1070 ms > 1000 ms']);
  });

  it(`should allow ${LOADED_MACHINE_FACTOR} times the baseline when the machine is slow, and no more`, () => {
    const [, slow] = judge([300, 400, 505], [200, 400, 1070]);
    assert.equal(slow?.budgetP99, Math.round(LOADED_MACHINE_FACTOR * 505));
    assert.deepEqual(slow?.failures, []);
    // A request that waits for the dependency takes seconds: still a failure.
    const [, waiting] = judge([300, 400, 505], [200, 400, 3000]);
    assert.deepEqual(waiting?.failures, [`p99 3000 ms > ${Math.round(LOADED_MACHINE_FACTOR * 505)} ms`]);
  });

  it('should hold the baseline itself to its own budget', () => {
    const [baseline] = judge([300, 400, 1500], []);
    assert.deepEqual(baseline?.failures, ['p99 1500 ms > 1000 ms']);
  });
});
