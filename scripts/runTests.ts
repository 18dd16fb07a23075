/**
 * `npm test` (through scripts/launch.mjs): every test file under test/, four at a time, then the
 * fault suite (test/chaos/) on its own. The fault suite judges latency against budgets
 * (test/chaos/budgets.ts); run beside three other files on 2 cores, a burst of their CPU (a tsc
 * compile, a browser) broke a 1 s p99 now and then, which measured the machine, not the service.
 *
 *   node scripts/runTests.ts [node --test flags]   the whole suite, in the two rounds
 *   node scripts/runTests.ts [flags] FILE...       those files only, in one round
 *
 * Exits non-zero when either round fails; the second round runs even when the first failed, so one
 * run shows every failure.
 */
import { spawn } from 'node:child_process';
import { glob } from 'node:fs/promises';

const COMMON = ['--test', '--test-timeout=180000', '--test-global-setup=test/support/globalSetup.ts'];
const CONCURRENT = ['--test-concurrency=4'];
const ALONE_UNDER = 'test/chaos/';

function runNodeTest(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...COMMON, ...args], { stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

const args = process.argv.slice(2);
const flags = args.filter((arg) => arg.startsWith('-'));
const files = args.filter((arg) => !arg.startsWith('-'));

let failed = false;
if (files.length > 0) {
  failed = (await runNodeTest([...CONCURRENT, ...args])) !== 0;
} else {
  const every: string[] = [];
  for await (const file of glob('test/**/*.test.ts')) every.push(file);
  every.sort();
  const alone = every.filter((file) => file.startsWith(ALONE_UNDER));
  const together = every.filter((file) => !file.startsWith(ALONE_UNDER));
  failed = (await runNodeTest([...CONCURRENT, ...flags, ...together])) !== 0;
  if (alone.length > 0) failed = (await runNodeTest([...flags, ...alone])) !== 0 || failed;
}
process.exitCode = failed ? 1 : 0;
