import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

/** The tools' preload (`npm run token`, `outbox`, `buli2:sim`): `.env` read when there, silence when not. */
const PRELOAD = fileURLToPath(new URL('../../../config/loadDotenv.ts', import.meta.url));
const PRINT = "process.stdout.write(process.env.FILOT_DOTENV_PROBE ?? '(unset)')";

describe('the tools’ .env preload', () => {
  let directory: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'filot-dotenv-'));
  });
  after(() => rm(directory, { recursive: true, force: true }));

  const run = (cwd: string, env: Record<string, string> = {}) =>
    promisify(execFile)(process.execPath, ['--import', PRELOAD, '-e', PRINT], {
      cwd,
      env: { PATH: process.env.PATH ?? '', ...env },
    });

  it('should say nothing when there is no .env', async () => {
    const { stdout, stderr } = await run(directory);
    assert.equal(stdout, '(unset)');
    assert.equal(stderr, '');
  });

  it('should read .env, and let an exported variable win over it', async () => {
    await writeFile(join(directory, '.env'), 'FILOT_DOTENV_PROBE=from-file\n');
    assert.equal((await run(directory)).stdout, 'from-file');
    assert.equal((await run(directory, { FILOT_DOTENV_PROBE: 'exported' })).stdout, 'exported');
  });
});
