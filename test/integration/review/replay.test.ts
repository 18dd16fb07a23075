import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { REVIEW_WORKFLOWS_PATH } from '../../../workflows/review/worker.ts';
import { quietTemporalLogs } from '../../support/temporalServer.ts';

quietTemporalLogs();

/**
 * Histories recorded from the real dev server (scripts in docs/review-workflow.md), committed so
 * that every change of the workflow code is replayed against what running workflows have already
 * done: a change that would break them fails here, not in production.
 */
const FIXTURES = new URL('../../fixtures/review/', import.meta.url);
const HISTORIES = [
  'before-escalation.json',
  'with-escalation.json',
  'buli2-decided-internally.json',
  'buli2-decided-in-buli2.json',
];

async function history(name: string): Promise<{ workflowId: string; history: unknown }> {
  return JSON.parse(await readFile(new URL(name, FIXTURES), 'utf8'));
}

describe('review workflow replay', () => {
  const temporary: string[] = [];
  after(async () => {
    for (const directory of temporary) await rm(directory, { recursive: true, force: true });
  });

  it('should replay every committed history with the current workflow code', async () => {
    const histories = await Promise.all(HISTORIES.map(history));
    const results = [];
    for await (const result of Worker.runReplayHistories({ workflowsPath: REVIEW_WORKFLOWS_PATH }, histories))
      results.push(result);
    assert.equal(results.length, HISTORIES.length);
    for (const result of results) assert.equal(result.error, undefined, `${result.workflowId}: ${result.error}`);
  });

  it('should need the patch: the escalation added without patched() breaks the history recorded before it', async () => {
    const source = await readFile(REVIEW_WORKFLOWS_PATH, 'utf8');
    const unpatched = source.replace("patched('sla-escalation') && ", '');
    assert.notEqual(unpatched, source, 'the workflow code still has the patch this test removes');
    // The bundler resolves @temporalio/workflow from the file's folder up.
    const directory = await mkdtemp(join(tmpdir(), 'review-replay-'));
    temporary.push(directory);
    await symlink(fileURLToPath(new URL('../../../node_modules', import.meta.url)), join(directory, 'node_modules'));
    const workflowsPath = join(directory, 'workflows.ts');
    await writeFile(workflowsPath, unpatched.replace(/^import type .*$/m, ''));
    // …with the module it imports beside it.
    await copyFile(new URL('failures.ts', pathToFileURL(REVIEW_WORKFLOWS_PATH)), join(directory, 'failures.ts'));
    const { history: before } = await history('before-escalation.json');
    await assert.rejects(Worker.runReplayHistory({ workflowsPath }, before), DeterminismViolationError);
  });
});
