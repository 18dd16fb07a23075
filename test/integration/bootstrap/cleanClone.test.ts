import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { majorOf, nodePackageFor, STAMP_FILE } from '../../../scripts/launch.mjs';

/**
 * The README's commands on a fresh machine: a copy of this work tree (what a clone holds, with the
 * uncommitted changes; no node_modules, .data or .tools) run with only an older Node on PATH. The
 * launcher must take Node 24 from its cache (fetching it there the first time ever, from the npm
 * registry), run `npm ci` with it, and on the second run install nothing. Node 24 and npm's download
 * cache are the machine's own, so only the very first run anywhere downloads Node.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** Not copied: what `.gitignore` keeps out of a clone, and git's own folder. */
const NOT_IN_A_CLONE = new Set(['node_modules', '.data', '.tools', 'scratch', 'tmp', '.git']);

/** A Node ≥ 20 that is not 24, with its npm beside it: what a fresh machine has. */
function olderNode(): { node: string; npm: string; version: string } | null {
  for (const node of [process.env.BOOTSTRAP_OLDER_NODE, '/usr/bin/node', '/usr/local/bin/node']) {
    if (!node || !existsSync(node) || !existsSync(join(dirname(node), 'npm'))) continue;
    const version = spawnSync(node, ['--version'], { encoding: 'utf8' }).stdout?.trim() ?? '';
    const major = majorOf(version) ?? 0;
    if (major >= 20 && major !== 24) return { node, npm: join(dirname(node), 'npm'), version };
  }
  return null;
}

const older = olderNode();
const skip = !older
  ? 'no Node ≥ 20 other than 24 at /usr/bin/node (set BOOTSTRAP_OLDER_NODE)'
  : !nodePackageFor(process.platform, process.arch)
    ? `the launcher fetches no Node for ${process.platform}-${process.arch}`
    : false;

/** Only what a fresh shell has: PATH with the older Node's folder and /bin, HOME and the caches' settings. */
function freshEnvironment(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: [dirname(older?.node ?? '/usr/bin/node'), '/bin'].join(':'),
    HOME: homedir(),
    LANG: 'C.UTF-8',
  };
  for (const name of ['TMPDIR', 'XDG_CACHE_HOME', 'FILOT_NODE_CACHE', 'npm_config_cache', 'npm_config_registry']) {
    const value = process.env[name];
    if (value) env[name] = value;
  }
  return env;
}

type Run = { code: number | null; signal: NodeJS.Signals | null; output: string };

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: freshEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} ran past ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      // A grandchild left running would hold the pipes, and this file, open.
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ code, signal, output });
    });
  });
}

/** Starts a command, waits for `ready` in its output, sends `signal` to it alone, and returns how it ended. */
function signalled(command: string, args: string[], cwd: string, signal: NodeJS.Signals): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: freshEnvironment(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let sent = false;
    const take = (chunk: Buffer) => {
      output += chunk.toString();
      if (!sent && output.includes('probe: ready')) {
        sent = true;
        child.kill(signal);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit after ${signal}:\n${output}`));
    }, 30_000);
    child.on('error', reject);
    child.on('exit', (code, exitSignal) => {
      clearTimeout(timer);
      child.stdout.destroy();
      child.stderr.destroy();
      resolve({ code, signal: exitSignal, output });
    });
  });
}

describe('a fresh clone with only an older Node on PATH', { skip, timeout: 240_000 }, () => {
  let clone = '';
  before(async () => {
    clone = await mkdtemp(join(tmpdir(), 'filot-clone-'));
    await cp(ROOT, clone, {
      recursive: true,
      filter: (source) => {
        const path = relative(ROOT, source);
        return !NOT_IN_A_CLONE.has(path.split('/')[0] ?? '') && !basename(source).endsWith('.log');
      },
    });
    // Scripts for the checks below; the lockfile is untouched, so they change nothing it covers.
    const manifest = JSON.parse(await readFile(join(clone, 'package.json'), 'utf8'));
    manifest.scripts['probe:args'] = 'node -e "console.log(process.version, JSON.stringify(process.argv.slice(1)))" --';
    manifest.scripts['probe:exit'] = 'node -e "process.exit(7)"';
    manifest.scripts['probe:wait'] =
      "node -e \"process.on('SIGTERM', () => { console.log('probe: SIGTERM'); process.exit(0); }); " +
      "process.on('SIGINT', () => { console.log('probe: SIGINT'); process.exit(3); }); " +
      "console.log('probe: ready'); setInterval(() => {}, 1000);\"";
    manifest.scripts['probe:npm-wait'] = 'exec node scripts/launch.mjs run probe:wait';
    await writeFile(join(clone, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  });
  after(async () => {
    if (clone) await rm(clone, { recursive: true, force: true });
  });

  it('should get Node 24 and npm ci by itself, then start the second time without installing anything', async () => {
    const first = await run(older?.npm ?? 'npm', ['run', 'setup'], clone, 200_000);
    assert.equal(first.code, 0, first.output);
    assert.match(first.output, /launch: node_modules is missing: running npm ci with Node v24\./);
    assert.match(first.output, /launch: ready: Node v24\./);
    // Node 24 came from the cache (or was put there now: only the first run on a machine).
    assert.match(first.output, /launch: (Node v\d+\S* is running; using Node v24\.\S+ from |.*installing node-)/);
    assert.match(await readFile(join(clone, 'node_modules', STAMP_FILE), 'utf8'), / node24 /);

    const second = await run(older?.npm ?? 'npm', ['run', 'setup'], clone, 30_000);
    assert.equal(second.code, 0, second.output);
    assert.doesNotMatch(second.output, /npm ci|installing|added \d+ package/);
    assert.match(second.output, /launch: Node v\d+\S* is running; using Node v24\.\S+ from /);
    assert.match(second.output, /launch: ready: Node v24\./);
  });

  it('should run a script with Node 24, passing its arguments and exit code through', async () => {
    const launcher = join(clone, 'scripts', 'launch.mjs');
    const args = await run(
      older?.node ?? 'node',
      [launcher, 'run', 'probe:args', 'a b', "it's", '$HOME'],
      clone,
      30_000,
    );
    assert.equal(args.code, 0, args.output);
    assert.match(args.output, /v24\.\S+ \["a b","it's","\$HOME"\]/);
    assert.doesNotMatch(args.output, /npm ci/);

    const exit = await run(older?.node ?? 'node', [launcher, 'run', 'probe:exit'], clone, 30_000);
    assert.equal(exit.code, 7, exit.output);
    const missing = await run(older?.node ?? 'node', [launcher, 'run', 'no-such-script'], clone, 30_000);
    assert.equal(missing.code, 1);
    assert.match(missing.output, /package.json has no script "no-such-script"/);
  });

  it('should forward SIGTERM and SIGINT to the script, also from npm (so npm start shuts down gracefully)', async () => {
    const launcher = join(clone, 'scripts', 'launch.mjs');
    const term = await signalled(older?.node ?? 'node', [launcher, 'run', 'probe:wait'], clone, 'SIGTERM');
    assert.equal(term.code, 0, term.output);
    assert.match(term.output, /probe: SIGTERM/);
    // Without a terminal, a SIGINT comes to the launcher alone and is passed on.
    const int = await signalled(older?.node ?? 'node', [launcher, 'run', 'probe:wait'], clone, 'SIGINT');
    assert.equal(int.code, 3, int.output);
    assert.match(int.output, /probe: SIGINT/);
    // npm → launcher → script, as `npm start` runs it: npm forwards to the launcher, which forwards on.
    const viaNpm = await signalled(older?.npm ?? 'npm', ['run', 'probe:npm-wait'], clone, 'SIGTERM');
    assert.equal(viaNpm.code, 0, viaNpm.output);
    assert.match(viaNpm.output, /probe: SIGTERM/);
  });
});
