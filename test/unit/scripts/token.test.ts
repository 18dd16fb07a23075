import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

/** `npm run token`'s refusals: a clear line on stderr and a non-zero exit, never a stack trace. */

const SCRIPT = fileURLToPath(new URL('../../../scripts/token.ts', import.meta.url));

const run = (args: string[], env: Record<string, string>) => {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};
const STACK_LINE = /^\s+at /m;

describe('npm run token refusals', () => {
  it('should refuse NODE_ENV=production with its own message, even with nothing else configured', () => {
    const { code, stdout, stderr } = run(['--sub', 'x', '--role', 'admin'], { NODE_ENV: 'production' });
    assert.equal(code, 1);
    assert.equal(stdout, '');
    assert.match(stderr, /refuses to mint tokens when NODE_ENV=production/);
    assert.doesNotMatch(stderr, STACK_LINE);
    assert.doesNotMatch(stderr, /Invalid configuration/);
  });

  it('should print a bad configuration as its message, without a stack', () => {
    const { code, stderr } = run(['--sub', 'x', '--role', 'user'], { JWT_SECRET: 'short' });
    assert.equal(code, 1);
    assert.match(stderr, /JWT_SECRET: must be at least 32 bytes/);
    assert.doesNotMatch(stderr, STACK_LINE);
  });

  it('should answer an unknown option with the usage, without a stack', () => {
    const { code, stderr } = run(['--sub', 'x', '--role', 'user', '--forever'], {});
    assert.equal(code, 2);
    assert.match(stderr, /usage: npm run token/);
    assert.doesNotMatch(stderr, STACK_LINE);
  });
});
