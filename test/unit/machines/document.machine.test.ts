import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { initialTransition, transition } from 'xstate';
import { getShortestPaths } from 'xstate/graph';
import type { Reason } from '../../../domain/reasons.ts';
import {
  DOCUMENT_EVENT_TYPES,
  type DocumentEvent,
  type DocumentEventType,
  documentEventSchema,
} from '../../../machines/document.events.ts';
import {
  createDocumentMachine,
  DEFAULT_MACHINE_SETTINGS,
  DOCUMENT_STATUSES,
  type DocumentContext,
  type DocumentMachine,
  type DocumentMachineSettings,
  type DocumentStatus,
  FINAL_STATUSES,
  MACHINE_ID,
  MACHINE_VERSION,
} from '../../../machines/document.machine.ts';
import { migrateSnapshot, migrations } from '../../../machines/document.migrations.ts';

type Snapshot = ReturnType<DocumentMachine['resolveState']>;

// A small maxAttempts keeps the generated state space small while still reaching "attempts < max"
// and "attempts == max" in processing.
const SETTINGS: DocumentMachineSettings = { maxAttempts: 2, approveThreshold: 0.85 };
const INPUT = { documentType: 'KTP' } as const;

const leaseFor = (attempt: number) => `00000000-0000-4000-8000-${String(attempt).padStart(12, '0')}`;
/** A lease token no PROCESSING_STARTED ever hands out: what a worker that lost its lock still holds. */
const NEVER_ISSUED_LEASE = 'ffffffff-ffff-4fff-bfff-ffffffffffff';

const reason = (severity: Reason['severity']): Reason => ({
  code: `SAMPLE_${severity.toUpperCase()}`,
  severity,
  message: `a ${severity} reason`,
});

const REASON_SETS: Reason[][] = [
  [],
  [reason('info')],
  [reason('review')],
  [reason('reject')],
  [reason('info'), reason('review'), reason('reject')],
];
// Very low, middling, exactly the approve threshold, above it, the maximum.
const SCORES = [0.1, 0.5, 0.85, 0.9, 1];

/**
 * The sample events the graph traversal feeds to every state: each guard gets inputs that make it
 * true and inputs that make it false.
 */
function sampleEvents(settings: DocumentMachineSettings): DocumentEvent[] {
  const attempts = Array.from({ length: settings.maxAttempts + 1 }, (_, index) => index + 1);
  const leases = [...attempts.map(leaseFor), NEVER_ISSUED_LEASE];
  const events: DocumentEvent[] = [];
  for (const attempt of attempts)
    events.push({
      type: 'PROCESSING_STARTED',
      workerId: `worker-${attempt}`,
      attempt,
      leaseToken: leaseFor(attempt),
      device: attempt % 2 ? 'cuda' : 'cpu',
    });
  for (const leaseToken of leases) {
    events.push({
      type: 'OCR_COMPLETED',
      leaseToken,
      result: { text: 'NIK 3171014101900001', lines: [{ text: 'NIK 3171014101900001', confidence: 0.9 }] },
      gpuProcessed: true,
      durationMs: 12,
    });
    events.push({ type: 'OCR_FAILED', leaseToken, error: { code: 'ocr_timeout', message: 'timed out' } });
    events.push({
      type: 'OCR_FAILED',
      leaseToken,
      error: { code: 'pdf_too_complex', message: 'too many paints', permanent: true },
    });
    events.push({ type: 'LEASE_EXPIRED', leaseToken });
  }
  for (const reasons of REASON_SETS)
    for (const score of SCORES)
      events.push({
        type: 'AI_EVALUATED',
        score,
        reasons,
        fields: { nik: '3171014101900001', nama: null },
        policyVersion: 'policy-test-1',
      });
  events.push({ type: 'DECIDE' });
  events.push({
    type: 'REVIEW_DECIDED',
    decision: 'approve',
    reviewerId: 'reviewer-1',
    source: 'internal',
    reason: 'looks fine',
  });
  events.push({
    type: 'REVIEW_DECIDED',
    decision: 'reject',
    reviewerId: 'buli2-desk',
    source: 'buli2',
    reason: 'photo does not match',
  });
  return events;
}

type Outcome = { target: DocumentStatus; context?: Partial<DocumentContext> } | null;
type Rule<K extends DocumentEventType> = (
  context: DocumentContext,
  event: Extract<DocumentEvent, { type: K }>,
  settings: DocumentMachineSettings,
) => Outcome;
type StateRules = { [K in DocumentEventType]?: Rule<K> };

const leaseMatches = (context: DocumentContext, event: { leaseToken: string }) =>
  context.leaseToken !== null && context.leaseToken === event.leaseToken;

const ocrFailure =
  (reviewReason: 'ocr_failed' | 'lease_expired', errorCode: (event: DocumentEvent) => string) =>
  (context: DocumentContext, event: DocumentEvent & { leaseToken: string }, settings: DocumentMachineSettings) => {
    if (!leaseMatches(context, event)) return null;
    const common = { leaseToken: null, lastErrorCode: errorCode(event) };
    const permanent = event.type === 'OCR_FAILED' && event.error.permanent === true;
    return context.attempts >= settings.maxAttempts || permanent
      ? { target: 'needs_review' as const, context: { ...common, reviewReason: reviewReason } }
      : { target: 'uploaded' as const, context: { ...common, reviewReason: null } };
  };

/** A hard failure rejects; doubt, a low score included, goes to a human; only a clean high score approves (issue 13). */
function decide(evaluation: DocumentContext['evaluation'], settings: DocumentMachineSettings): DocumentStatus {
  assert.ok(evaluation, 'ai_evaluated always carries an evaluation');
  const severities = new Set(evaluation.reasons.map((entry) => entry.severity));
  if (severities.has('reject')) return 'auto_reject';
  if (severities.has('review') || evaluation.score < settings.approveThreshold) return 'needs_review';
  return 'auto_approve';
}

/**
 * The expectation table, written from DESIGN §2: (state, event type) → target under the guard
 * conditions; `null` means the event is refused. A pair missing from the table is always illegal.
 */
const EXPECTED: Record<DocumentStatus, StateRules> = {
  uploaded: {
    PROCESSING_STARTED: (context, event) =>
      event.attempt === context.attempts + 1
        ? { target: 'processing', context: { attempts: event.attempt, leaseToken: event.leaseToken } }
        : null,
  },
  processing: {
    OCR_COMPLETED: (context, event) =>
      leaseMatches(context, event) ? { target: 'ocr_completed', context: { leaseToken: null } } : null,
    OCR_FAILED: ocrFailure('ocr_failed', (event) => (event.type === 'OCR_FAILED' ? event.error.code : '?')),
    LEASE_EXPIRED: ocrFailure('lease_expired', () => 'lease_expired'),
  },
  ocr_completed: {
    AI_EVALUATED: (_context, event) => ({
      target: 'ai_evaluated',
      context: { evaluation: { score: event.score, reasons: event.reasons, policyVersion: event.policyVersion } },
    }),
  },
  ai_evaluated: {
    DECIDE: (context, _event, settings) => {
      const target = decide(context.evaluation, settings);
      return target === 'needs_review' ? { target, context: { reviewReason: 'policy' } } : { target };
    },
  },
  needs_review: {
    REVIEW_DECIDED: (_context, event) => ({
      target: event.decision === 'approve' ? 'approved' : 'rejected',
      context: { review: { decision: event.decision, reviewerId: event.reviewerId, source: event.source } },
    }),
  },
  auto_approve: {},
  auto_reject: {},
  approved: {},
  rejected: {},
};

function expectedOutcome(
  status: DocumentStatus,
  context: DocumentContext,
  event: DocumentEvent,
  settings: DocumentMachineSettings,
): Outcome {
  const rule = EXPECTED[status][event.type] as Rule<DocumentEventType> | undefined;
  return rule ? rule(context, event as never, settings) : null;
}

const statusOf = (snapshot: Snapshot) => snapshot.value as DocumentStatus;

/** A snapshot in `status` with the initial context overridden by `context`. */
function snapshotAt(machine: DocumentMachine, status: DocumentStatus, context: Partial<DocumentContext> = {}) {
  const [initial] = initialTransition(machine, INPUT);
  return machine.resolveState({ value: status, context: { ...initial.context, ...context } });
}

function processingAt(machine: DocumentMachine, attempts: number) {
  return snapshotAt(machine, 'processing', { attempts, leaseToken: leaseFor(attempts) });
}

function evaluatedAt(machine: DocumentMachine, score: number, reasons: Reason[] = []) {
  return snapshotAt(machine, 'ai_evaluated', {
    attempts: 1,
    evaluation: { score, reasons, policyVersion: 'policy-test-1' },
  });
}

describe('the document machine', () => {
  const machine = createDocumentMachine(SETTINGS);
  const events = sampleEvents(SETTINGS);
  const paths = getShortestPaths(machine, { events, input: INPUT });
  const reached = paths.map((path) => path.state as Snapshot);

  describe('generated paths (xstate/graph)', () => {
    it('should use only sample events that pass the event schema', () => {
      for (const event of events) assert.equal(documentEventSchema.safeParse(event).success, true, event.type);
      assert.deepEqual(new Set(events.map((event) => event.type)), new Set(DOCUMENT_EVENT_TYPES));
    });

    it('should reach all 9 statuses', () => {
      assert.equal(DOCUMENT_STATUSES.length, 9);
      assert.deepEqual(new Set(reached.map(statusOf)), new Set(DOCUMENT_STATUSES));
    });

    it('should reach processing both with attempts left and with attempts exhausted', () => {
      const attempts = new Set(reached.filter((s) => s.value === 'processing').map((s) => s.context.attempts));
      assert.deepEqual(attempts, new Set([1, SETTINGS.maxAttempts]));
    });

    it('should reach needs_review for every review reason', () => {
      const reasons = new Set(reached.filter((s) => s.value === 'needs_review').map((s) => s.context.reviewReason));
      assert.deepEqual(reasons, new Set(['ocr_failed', 'lease_expired', 'policy']));
    });

    it('should reach ai_evaluated with every sampled evaluation', () => {
      const evaluations = new Set(
        reached.filter((s) => s.value === 'ai_evaluated').map((s) => JSON.stringify(s.context.evaluation)),
      );
      assert.equal(evaluations.size, REASON_SETS.length * SCORES.length);
    });

    it('should replay every generated path to the same snapshot', () => {
      for (const path of paths) {
        let [snapshot] = initialTransition(machine, INPUT);
        for (const step of path.steps.slice(1)) [snapshot] = transition(machine, snapshot, step.event);
        assert.equal(snapshot.value, path.state.value);
        assert.deepEqual(snapshot.context, path.state.context);
      }
    });
  });

  describe('every (state, event) pair', () => {
    // The whole matrix is computed once; the tests below read it.
    const checked = new Set<string>();
    const accepted = new Set<string>();
    const refused = new Set<string>();
    const problems: string[] = [];
    const check = (ok: boolean, message: string) => {
      if (!ok) problems.push(message);
    };
    for (const snapshot of reached) {
      const status = statusOf(snapshot);
      for (const event of events) {
        const pair = `${status} × ${event.type}`;
        checked.add(pair);
        const [next, actions] = transition(machine, snapshot, event);
        const expected = expectedOutcome(status, snapshot.context, event, SETTINGS);
        const where = `${pair} from ${JSON.stringify(snapshot.context)} with ${JSON.stringify(event)}`;
        if (expected === null) {
          refused.add(pair);
          check(next === snapshot, `should be refused (same snapshot): ${where}`);
          check(actions.length === 0, `should return no actions when refused: ${where}`);
          continue;
        }
        accepted.add(pair);
        check(next !== snapshot, `should be accepted: ${where}`);
        check(next.value === expected.target, `should go to ${expected.target}, went to ${next.value}: ${where}`);
        for (const [key, value] of Object.entries(expected.context ?? {})) {
          const actual = JSON.stringify(next.context[key as keyof DocumentContext]);
          check(actual === JSON.stringify(value), `${key} should be ${JSON.stringify(value)}, is ${actual}: ${where}`);
        }
        check(next.context.documentType === snapshot.context.documentType, `documentType kept: ${where}`);
        const final = FINAL_STATUSES.includes(expected.target);
        check(next.status === (final ? 'done' : 'active'), `status ${next.status}: ${where}`);
        check(
          actions.some((action) => action.type === 'requestOcr') === (expected.target === 'uploaded'),
          `requestOcr exactly when entering uploaded: ${where}`,
        );
      }
    }

    it('should move legal pairs where DESIGN §2 says and refuse every other pair', () => {
      assert.ok(reached.length * events.length > 1000, `${reached.length} states × ${events.length} events`);
      assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problem(s), the first 20 shown`);
    });

    it('should have checked all 63 (state, event type) pairs', () => {
      assert.equal(checked.size, DOCUMENT_STATUSES.length * DOCUMENT_EVENT_TYPES.length);
      assert.equal(checked.size, 63);
    });

    it('should accept each pair of the table at least once and no pair outside it', () => {
      const legal = new Set(
        DOCUMENT_STATUSES.flatMap((status) => Object.keys(EXPECTED[status]).map((type) => `${status} × ${type}`)),
      );
      assert.deepEqual(accepted, legal);
      assert.equal(legal.size, 7);
    });

    it('should refuse each guarded pair with a failing guard at least once', () => {
      for (const pair of [
        'uploaded × PROCESSING_STARTED',
        'processing × OCR_COMPLETED',
        'processing × OCR_FAILED',
        'processing × LEASE_EXPIRED',
      ])
        assert.ok(refused.has(pair), pair);
    });
  });

  describe('fencing', () => {
    for (const type of ['OCR_COMPLETED', 'OCR_FAILED', 'LEASE_EXPIRED'] as const) {
      it(`should refuse ${type} with a stale lease token in processing`, () => {
        for (const attempts of [1, SETTINGS.maxAttempts]) {
          const snapshot = processingAt(machine, attempts);
          for (const leaseToken of [NEVER_ISSUED_LEASE, leaseFor(attempts + 1)]) {
            const event = events.find((candidate) => candidate.type === type);
            assert.ok(event);
            const [next, actions] = transition(machine, snapshot, { ...event, leaseToken } as DocumentEvent);
            assert.equal(next, snapshot);
            assert.deepEqual(actions, []);
          }
        }
      });
    }

    it('should refuse a lease token event when no worker holds the lease', () => {
      const snapshot = snapshotAt(machine, 'processing', { attempts: 1, leaseToken: null });
      const [next] = transition(machine, snapshot, { type: 'LEASE_EXPIRED', leaseToken: NEVER_ISSUED_LEASE });
      assert.equal(next, snapshot);
    });

    it('should refuse PROCESSING_STARTED that skips or repeats an attempt', () => {
      const snapshot = snapshotAt(machine, 'uploaded', { attempts: 1, lastErrorCode: 'ocr_timeout' });
      for (const attempt of [1, 3]) {
        const event: DocumentEvent = {
          type: 'PROCESSING_STARTED',
          workerId: 'w',
          attempt,
          leaseToken: leaseFor(attempt),
          device: 'cpu',
        };
        assert.equal(transition(machine, snapshot, event)[0], snapshot, `attempt ${attempt}`);
      }
    });
  });

  describe('DECIDE', () => {
    it('should never auto-approve an evaluation with a reject reason, even with score 1', () => {
      for (const reasons of [
        [reason('reject')],
        [reason('info'), reason('reject')],
        [reason('reject'), reason('review')],
      ]) {
        const [next] = transition(machine, evaluatedAt(machine, 1, reasons), { type: 'DECIDE' });
        assert.equal(next.value, 'auto_reject');
      }
    });

    it('should send an evaluation with a review reason to a human even with score 1', () => {
      const [next] = transition(machine, evaluatedAt(machine, 1, [reason('review')]), { type: 'DECIDE' });
      assert.equal(next.value, 'needs_review');
      assert.equal(next.context.reviewReason, 'policy');
    });

    it('should honour the thresholds from the settings', () => {
      const lenient = createDocumentMachine({ maxAttempts: 1, approveThreshold: 0.6 });
      const cases: [score: number, defaults: DocumentStatus, lenient: DocumentStatus][] = [
        [0.05, 'needs_review', 'needs_review'],
        [0.45, 'needs_review', 'needs_review'],
        [0.55, 'needs_review', 'needs_review'],
        [0.65, 'needs_review', 'auto_approve'],
        [0.9, 'auto_approve', 'auto_approve'],
      ];
      const standard = createDocumentMachine(DEFAULT_MACHINE_SETTINGS);
      for (const [score, withDefaults, withLenient] of cases) {
        assert.equal(transition(standard, evaluatedAt(standard, score), { type: 'DECIDE' })[0].value, withDefaults);
        assert.equal(transition(lenient, evaluatedAt(lenient, score), { type: 'DECIDE' })[0].value, withLenient);
      }
    });

    it('should honour maxAttempts from the settings', () => {
      const failure: DocumentEvent = {
        type: 'OCR_FAILED',
        leaseToken: leaseFor(1),
        error: { code: 'ocr_crash', message: 'x' },
      };
      const once = createDocumentMachine({ ...DEFAULT_MACHINE_SETTINGS, maxAttempts: 1 });
      const thrice = createDocumentMachine({ ...DEFAULT_MACHINE_SETTINGS, maxAttempts: 3 });
      assert.equal(transition(once, processingAt(once, 1), failure)[0].value, 'needs_review');
      assert.equal(transition(thrice, processingAt(thrice, 1), failure)[0].value, 'uploaded');
    });
  });

  describe('permanent OCR failures', () => {
    const failure = (error: { code: string; permanent?: boolean }): DocumentEvent => ({
      type: 'OCR_FAILED',
      leaseToken: leaseFor(1),
      error: { message: 'm', ...error },
    });
    const cases: [error: { code: string; permanent?: boolean }, status: DocumentStatus][] = [
      [{ code: 'pdf_too_complex', permanent: true }, 'needs_review'],
      [{ code: 'image_unreadable', permanent: true }, 'needs_review'],
      [{ code: 'image_too_large', permanent: true }, 'needs_review'],
      [{ code: 'ocr_timeout', permanent: false }, 'uploaded'],
      [{ code: 'ocr_timeout' }, 'uploaded'],
      // An event written before `permanent` existed keeps its meaning: retried.
      [{ code: 'image_unreadable' }, 'uploaded'],
    ];
    for (const [error, status] of cases) {
      it(`should send ${JSON.stringify(error)} on the first of three attempts to ${status}`, () => {
        const thrice = createDocumentMachine({ ...DEFAULT_MACHINE_SETTINGS, maxAttempts: 3 });
        const event = failure(error);
        assert.equal(documentEventSchema.safeParse(event).success, true);
        const [next, actions] = transition(thrice, processingAt(thrice, 1), event);
        assert.equal(next.value, status);
        assert.equal(next.context.lastErrorCode, error.code);
        assert.equal(next.context.leaseToken, null);
        assert.equal(next.context.reviewReason, status === 'needs_review' ? 'ocr_failed' : null);
        assert.equal(
          actions.some((action) => action.type === 'requestOcr'),
          status === 'uploaded',
        );
      });
    }

    it('should still refuse a permanent failure carrying a stale lease token', () => {
      const snapshot = processingAt(machine, 1);
      const event: DocumentEvent = {
        type: 'OCR_FAILED',
        leaseToken: NEVER_ISSUED_LEASE,
        error: { code: 'pdf_too_complex', message: 'm', permanent: true },
      };
      assert.equal(transition(machine, snapshot, event)[0], snapshot);
    });
  });

  describe('effects', () => {
    it('should return the requestOcr action from initialTransition', () => {
      const [snapshot, actions] = initialTransition(machine, INPUT);
      assert.equal(snapshot.value, 'uploaded');
      assert.deepEqual(
        actions.map((action) => action.type),
        ['requestOcr'],
      );
    });

    it('should return requestOcr again when OCR_FAILED sends the document back to uploaded', () => {
      const [next, actions] = transition(machine, processingAt(machine, 1), {
        type: 'OCR_FAILED',
        leaseToken: leaseFor(1),
        error: { code: 'ocr_timeout', message: 'timed out' },
      });
      assert.equal(next.value, 'uploaded');
      assert.ok(actions.some((action) => action.type === 'requestOcr'));
    });
  });

  describe('persistence', () => {
    it('should keep value and context through getPersistedSnapshot, JSON and resolveState', () => {
      for (const snapshot of reached) {
        const persisted = JSON.parse(JSON.stringify(machine.getPersistedSnapshot(snapshot)));
        const restored = machine.resolveState(persisted);
        assert.equal(restored.value, snapshot.value);
        assert.deepEqual(restored.context, snapshot.context);
        assert.equal(restored.status, snapshot.status);
      }
    });

    it('should export MACHINE_VERSION and MACHINE_ID', () => {
      assert.ok(Number.isInteger(MACHINE_VERSION) && MACHINE_VERSION >= 1);
      assert.equal(MACHINE_ID, 'document');
      assert.equal(machine.id, MACHINE_ID);
    });
  });

  describe('config', () => {
    /** Every function found in the config, by path. */
    function functionsIn(value: unknown, path: string, found: Map<string, unknown>) {
      if (typeof value === 'function') found.set(path, value);
      else if (Array.isArray(value)) {
        for (const [index, item] of value.entries()) functionsIn(item, `${path}[${index}]`, found);
      } else if (value && typeof value === 'object')
        for (const [key, item] of Object.entries(value)) functionsIn(item, `${path}.${key}`, found);
      return found;
    }

    it('should hold no inline guard or action implementations', () => {
      const guardNames = Object.keys(machine.implementations.guards);
      const found = functionsIn(machine.config, 'config', new Map());
      for (const [path, fn] of found) {
        // The context factory reads the input; higher-order guards (and/or/not) combine named guards.
        if (path === 'config.context') continue;
        assert.match(path, /\.guard$/, `only the context factory and guard combinators may be functions: ${path}`);
        const guards = (fn as { guards?: unknown }).guards;
        assert.ok(Array.isArray(guards), `${path} is a guard combinator`);
        for (const name of guards) assert.ok(guardNames.includes(name as string), `${path} names guard ${name}`);
      }
    });

    it('should serialise to JSON that names only registered actions and guards', () => {
      const json = JSON.parse(JSON.stringify(machine.config));
      assert.deepEqual(new Set(Object.keys(json.states)), new Set(DOCUMENT_STATUSES));
      const named = { guard: new Set<string>(), actions: new Set<string>() };
      const walk = (value: unknown, key = ''): void => {
        if (key === 'guard' && typeof value === 'string') named.guard.add(value);
        if ((key === 'actions' || key === 'entry') && value !== undefined)
          for (const action of [value].flat()) {
            assert.equal(typeof action, 'string', `action ${JSON.stringify(action)} is named`);
            named.actions.add(action as string);
          }
        if (value && typeof value === 'object')
          for (const [childKey, child] of Object.entries(value)) walk(child, Array.isArray(value) ? key : childKey);
      };
      walk(json);
      for (const name of named.guard) assert.ok(name in machine.implementations.guards, name);
      for (const name of named.actions) assert.ok(name in machine.implementations.actions, name);
    });
  });
});

describe('migrateSnapshot', () => {
  const snapshot = { status: 'active', value: 'uploaded', context: { attempts: 0 } };

  it('should pass a snapshot of the current version through unchanged', () => {
    assert.equal(migrateSnapshot(snapshot, MACHINE_VERSION), snapshot);
  });

  it('should throw for a snapshot newer than this build', () => {
    assert.throws(() => migrateSnapshot(snapshot, MACHINE_VERSION + 1), /newer than this build/);
  });

  it('should throw when a migration step is missing', () => {
    assert.equal(migrations[MACHINE_VERSION - 1], undefined);
    assert.throws(
      () => migrateSnapshot(snapshot, MACHINE_VERSION - 1),
      new RegExp(`No migration from document machine version ${MACHINE_VERSION - 1} to ${MACHINE_VERSION}`),
    );
  });
});
