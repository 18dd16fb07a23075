import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createWebSocketReceiver } from '@statelyai/inspect';
import { createInspectionObserver } from '../../../adapters/inspector/inspector.ts';
import { createDocumentMachine } from '../../../machines/document.machine.ts';
import { freePort } from '../../support/freePort.ts';
import { testLogger, waitFor } from '../../support/harness.ts';

/** `npm run inspect` (scripts/inspect.ts): the local relay, as a developer starts it. */

const SCRIPT = fileURLToPath(new URL('../../../scripts/inspect.ts', import.meta.url));

function startScript(port: string) {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { PATH: process.env.PATH, INSPECT_PORT: port },
  }) as ChildProcessWithoutNullStreams;
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (output.stdout += chunk));
  child.stderr.on('data', (chunk) => (output.stderr += chunk));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, output, exited };
}

describe('npm run inspect', () => {
  const children: ChildProcessWithoutNullStreams[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  it('should start the relay, say where to connect and that the UI is hosted by Stately, and stop on SIGTERM', async () => {
    const port = await freePort();
    const script = startScript(String(port));
    children.push(script.child);
    await waitFor(async () => script.output.stdout.includes('Ctrl-C'), 10_000, 'the instructions');
    const lines = script.output.stdout;
    const wsUrl = /INSPECT_WS_URL=(ws:\/\/\S+)/.exec(lines)?.[1];
    assert.equal(wsUrl, `ws://localhost:${port}`);
    assert.match(lines, new RegExp(`open http://localhost:${port}\\b`));
    assert.match(lines, /hosted by Stately \(https:\/\/stately\.ai\/inspect\)/);
    assert.match(lines, /needs internet access/);

    // What the engine sends through it reaches a receiver (a browser page, here the package's receiver).
    const received: { type: string; sessionId: string }[] = [];
    createWebSocketReceiver({ server: `ws://127.0.0.1:${port}` }).subscribe((event) => {
      received.push(event);
    });
    const inspection = createInspectionObserver({ url: wsUrl, machine: createDocumentMachine(), logger: testLogger });
    assert.ok(inspection);
    inspection.observer({
      documentId: 'script-check',
      documentType: 'KTP',
      event: { type: 'DOCUMENT_UPLOADED', documentType: 'KTP', mime: 'image/jpeg' },
      fromStatus: null,
      toStatus: 'uploaded',
      actor: { type: 'user', id: 'user-1' },
      correlationId: 'test',
      snapshot: { status: 'active', value: 'uploaded', context: { documentType: 'KTP', attempts: 0 } },
      version: 1,
      createdAtMs: Date.now(),
    });
    await waitFor(async () => received.length === 3, 5000, 'the events');
    assert.deepEqual(
      received.map((event) => [event.type, event.sessionId]),
      [
        ['@xstate.actor', 'document:script-check'],
        ['@xstate.event', 'document:script-check'],
        ['@xstate.snapshot', 'document:script-check'],
      ],
    );
    await inspection.stop();

    // The receiver's connection is still open: the relay must exit anyway.
    script.child.kill('SIGTERM');
    assert.equal(await script.exited, 0);
    assert.match(script.output.stdout, /Inspector relay stopped \(SIGTERM\)/);
    assert.equal(script.output.stderr, '');
  });

  it('should refuse a port that is not a number', async () => {
    const script = startScript('eighty');
    children.push(script.child);
    assert.equal(await script.exited, 2);
    assert.match(script.output.stderr, /INSPECT_PORT must be a port number/);
  });

  it('should say so when the port is taken', async () => {
    const port = await freePort();
    const taken = createServer();
    taken.listen(port);
    await once(taken, 'listening');
    try {
      const script = startScript(String(port));
      children.push(script.child);
      assert.equal(await script.exited, 1);
      assert.match(script.output.stderr, new RegExp(`Port ${port} is in use`));
    } finally {
      taken.close();
    }
  });
});
