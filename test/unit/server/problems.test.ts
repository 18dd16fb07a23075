import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express from 'express';
import * as runtimeErrors from '../../../runtime/errors.ts';
import { ContentionError, SnapshotMigrationError } from '../../../runtime/errors.ts';
import { isMappedRuntimeError, problemHandler } from '../../../server/http/problems.ts';
import { requestId } from '../../../server/http/requestId.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';

type ErrorClass = abstract new (...args: never[]) => Error;
const isErrorClass = (value: unknown): value is ErrorClass =>
  typeof value === 'function' && value.prototype instanceof Error;

/** Every error class runtime/errors.ts exports, found by looking, so a new one cannot be missed. */
const declaredErrors = Object.entries(runtimeErrors).flatMap(([name, value]) =>
  // CodedError is the base every error is declared with, not an error anything throws.
  isErrorClass(value) && value !== runtimeErrors.CodedError ? [[name, value] as const] : [],
);

describe('the mapping of runtime errors to HTTP', () => {
  it('should find the runtime’s errors among the module’s exports', () => {
    assert.ok(declaredErrors.length >= 5, declaredErrors.map(([name]) => name).join(', '));
    assert.ok(declaredErrors.some(([name]) => name === 'ContentionError'));
  });

  for (const [name, type] of declaredErrors)
    it(`should have an answer for ${name}, and count it as a runtime error`, () => {
      // An instance without its constructor: each takes different arguments, and only the class matters here.
      const sample = Object.create(type.prototype) as Error;
      assert.ok(isMappedRuntimeError(sample), `${name} has no answer in server/http/problems.ts`);
      assert.ok(runtimeErrors.isRuntimeError(sample), `${name} is missing from isRuntimeError`);
    });
});

describe('the problem handler, for runtime errors', () => {
  const recorded = recordingLogger();
  let server: Server;
  let url: string;
  before(async () => {
    const app = express();
    app.use(requestId);
    app.get('/contended', () => {
      throw new ContentionError('00000000-0000-4000-8000-000000000000', 5);
    });
    app.get('/unrestorable', () => {
      throw new SnapshotMigrationError('Document 00000000-0000-4000-8000-000000000000 cannot be restored');
    });
    app.use(problemHandler({ logger: recorded.logger, development: false }));
    server = app.listen(0);
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
  });

  it('should answer a contended document with a retryable 503 and Retry-After: 1', async () => {
    const response = await fetch(`${url}/contended`);
    assert.equal(response.status, 503);
    assert.equal(response.headers.get('retry-after'), '1');
    assert.equal(response.headers.get('content-type')?.split(';')[0], 'application/problem+json');
    const body = (await response.json()) as { status: number; detail: string; correlationId: string };
    assert.equal(body.status, 503);
    assert.match(body.detail, /Retry-After/);
    assert.ok(body.correlationId);
    assert.equal(
      recorded.entries.some((entry) => entry.message === 'http.unhandled_error'),
      false,
      'an expected answer, not logged as a failure',
    );
  });

  it('should answer a snapshot this build cannot restore with a logged 500', async () => {
    const response = await fetch(`${url}/unrestorable`);
    assert.equal(response.status, 500);
    assert.equal(response.headers.get('retry-after'), null);
    const logged = recorded.entries.find((entry) => entry.message === 'http.unhandled_error');
    assert.equal(logged?.fields?.errorClass, 'SnapshotMigrationError');
  });
});
