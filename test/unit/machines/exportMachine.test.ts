import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type AnyStateMachine, and, createMachine, not, or, transition } from 'xstate';
import type { DocumentEvent } from '../../../machines/document.events.ts';
import {
  createDocumentMachine,
  DEFAULT_MACHINE_SETTINGS,
  DOCUMENT_STATUSES,
  type DocumentContext,
  type DocumentStatus,
  MACHINE_VERSION,
} from '../../../machines/document.machine.ts';

const script = fileURLToPath(new URL('../../../scripts/exportMachine.ts', import.meta.url));
const root = fileURLToPath(new URL('../../..', import.meta.url));

async function exportMachine() {
  const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: root, env: {} });
  return stdout;
}

/** Evaluates the exported source with xstate's real createMachine, as Studio's import would read it. */
function evaluate(source: string): AnyStateMachine {
  const body = source
    .split('\n')
    .filter((line) => !line.startsWith('//') && !line.startsWith('import '))
    .join('\n')
    .replace('export const documentMachine = ', 'return ');
  return new Function('createMachine', 'and', 'or', 'not', body)(createMachine, and, or, not);
}

describe('npm run machine:export', () => {
  const machine = createDocumentMachine();
  const output = exportMachine();

  it('should print Stately-importable createMachine source with the machine version', async () => {
    const source = await output;
    assert.match(source, /^\/\/ .*MACHINE_VERSION 1\b/m);
    assert.ok(source.includes(`MACHINE_VERSION ${MACHINE_VERSION}`));
    assert.match(source, /^import \{ [^}]*\bcreateMachine\b[^}]*\} from 'xstate';$/m);
    assert.ok(source.includes('export const documentMachine = createMachine('));
    assert.ok(source.trimEnd().endsWith(');'));
  });

  it('should name every state, guard and action', async () => {
    const source = await output;
    for (const status of DOCUMENT_STATUSES) assert.ok(source.includes(`"${status}": {`), status);
    // A guard used only inside a named combination (leaseMatchesAndAttemptsExhausted) is that guard's part.
    const guards = Object.values(machine.implementations.guards) as { guards?: unknown[] }[];
    const parts = new Set(guards.flatMap((guard) => guard.guards ?? []));
    for (const guard of Object.keys(machine.implementations.guards))
      assert.ok(source.includes(`"${guard}"`) || parts.has(guard), guard);
    for (const action of Object.keys(machine.implementations.actions))
      assert.ok(source.includes(`"${action}"`), action);
  });

  it('should show each guard by its name, the combined ones too, so Studio draws one named guard', async () => {
    const source = await output;
    assert.equal(source.match(/"guard": "leaseMatchesAndAttemptsExhausted"/g)?.length, 2);
    assert.equal(source.match(/"guard": "leaseMatchesAndFailureIsPermanent"/g)?.length, 1);
    assert.equal(/\b(and|or|not)\(/.test(source), false, 'no combinator at a transition');
    assert.match(source, /^import \{ createMachine \} from 'xstate';$/m);
    assert.equal(source.includes('=>'), false, 'no inline functions');
  });

  it('should export a machine that routes like the real one when given the same implementations', async () => {
    const exported = evaluate(await output).provide({
      guards: machine.implementations.guards,
      actions: machine.implementations.actions,
    });
    const base: DocumentContext = {
      documentType: 'NPWP',
      attempts: 1,
      leaseToken: null,
      lastErrorCode: null,
      evaluation: null,
      reviewReason: null,
      review: null,
    };
    const lease = '00000000-0000-4000-8000-000000000001';
    const stale = '00000000-0000-4000-8000-000000000002';
    const cases: [DocumentStatus, Partial<DocumentContext>, DocumentEvent][] = [];
    for (const attempts of [1, DEFAULT_MACHINE_SETTINGS.maxAttempts])
      for (const leaseToken of [lease, stale]) {
        const context = { attempts, leaseToken: lease };
        cases.push([
          'processing',
          context,
          { type: 'OCR_FAILED', leaseToken, error: { code: 'x_error', message: '' } },
        ]);
        cases.push(['processing', context, { type: 'LEASE_EXPIRED', leaseToken }]);
      }
    for (const severity of ['info', 'review', 'reject'] as const)
      for (const score of [0.1, 0.5, 0.95]) {
        const evaluation = { score, reasons: [{ code: 'SAMPLE', severity, message: 'm' }], policyVersion: 'p' };
        cases.push(['ai_evaluated', { evaluation }, { type: 'DECIDE' }]);
      }
    const targets = new Set<unknown>();
    for (const [value, context, event] of cases) {
      const original = transition(machine, machine.resolveState({ value, context: { ...base, ...context } }), event)[0];
      const copy = transition(exported, exported.resolveState({ value, context: { ...base, ...context } }), event)[0];
      assert.equal(copy.value, original.value, `${value} ${JSON.stringify(context)} ${JSON.stringify(event)}`);
      targets.add(original.value);
    }
    assert.deepEqual(targets, new Set(['processing', 'uploaded', 'needs_review', 'auto_reject', 'auto_approve']));
  });
});
