import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const CRASHING = fileURLToPath(new URL('../../support/processes/crashingProcess.ts', import.meta.url));

async function run(env: Record<string, string>) {
  const child = spawn(process.execPath, [CRASHING], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = stdout
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { code, lines, ms: performance.now() - started };
}

describe('the last resort', () => {
  for (const [crash, origin, errorClass] of [
    ['throw', 'uncaughtException', 'Error'],
    ['error-event', 'uncaughtException', 'RangeError'],
    ['rejection', 'unhandledRejection', 'TypeError'],
  ] as const) {
    it(`should log a ${crash} with its class, shut down, and exit with 1`, async () => {
      const { code, lines } = await run({ FILOT_TEST_CRASH: crash });
      assert.equal(code, 1);
      const crashed = lines.find((line) => line.message === 'process.crashed');
      assert.equal(crashed?.origin, origin);
      assert.equal(crashed?.errorClass, errorClass);
      assert.ok(
        lines.some((line) => line.message === 'shutdown.done'),
        'the graceful shutdown ran first',
      );
    });
  }

  it('should exit with 1 after the grace period when the shutdown hangs', async () => {
    const { code, lines, ms } = await run({ FILOT_TEST_SHUTDOWN: 'hang' });
    assert.equal(code, 1);
    assert.ok(lines.some((line) => line.message === 'process.crashed'));
    assert.ok(ms < 10_000, `exited after ${Math.round(ms)} ms`);
  });
});
