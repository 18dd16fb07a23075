import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tsFiles } from '../support/sourceFiles.ts';

/**
 * The house rules about who imports whom (docs/architecture.md §1): dependencies point inward, only
 * the entry points (main.ts, composition/, bench/, scripts/, test/) build adapters, and no driver
 * appears where ports are declared. A new import in a forbidden direction fails here.
 */

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));

/** The project folders each layer may import from (besides itself). Entry points are not listed: they may import anything. */
const MAY_IMPORT: Record<string, readonly string[]> = {
  domain: [],
  machines: ['domain'],
  names: ['machines', 'domain'],
  config: [],
  db: [],
  synthetic: ['domain'],
  runtime: ['machines', 'domain', 'names', 'config'],
  server: ['runtime', 'machines', 'domain', 'names', 'config'],
  adapters: ['runtime', 'server', 'machines', 'domain', 'names', 'config'],
  // Temporal's workflows and activities (docs/review-workflow.md): an adapter of their own kind.
  workflows: ['runtime', 'machines', 'domain', 'names', 'config'],
  composition: ['adapters', 'workflows', 'runtime', 'server', 'machines', 'domain', 'names', 'config', 'db'],
};

/** Packages that talk to the outside world; the runtime and the server reach them only through ports. */
const DRIVERS = [
  'ioredis',
  'slonik',
  'pg',
  '@slonik/pg-driver',
  '@sesamecare-oss/redlock',
  '@aws-sdk/client-s3',
  'onnxruntime-node',
  '@temporalio/client',
  '@temporalio/worker',
  'mupdf',
  'sharp',
  'winston',
];
const PORT_LAYERS = ['runtime', 'server', 'domain', 'machines', 'names', 'config'];
/** Pure layers: no Node built-in (no file, network, clock or thread access through them). */
const PURE_LAYERS = ['domain', 'machines', 'names'];

const SPECIFIER =
  /(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;

/** Every module a file imports, statically or dynamically, as written. */
function specifiers(source: string): string[] {
  return [...source.matchAll(SPECIFIER)].map((match) => match[1] ?? match[2] ?? match[3] ?? '');
}

const packageName = (specifier: string) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? specifier);

async function importsByLayer() {
  const found: { layer: string; file: string; target: string; external: boolean }[] = [];
  for (const layer of Object.keys(MAY_IMPORT)) {
    for (const file of await tsFiles(join(root, layer))) {
      for (const specifier of specifiers(await readFile(file, 'utf8'))) {
        if (specifier.startsWith('.')) {
          const target = relative(root, resolve(dirname(file), specifier));
          found.push({ layer, file: relative(root, file), target: target.split(sep)[0] ?? target, external: false });
        } else found.push({ layer, file: relative(root, file), target: packageName(specifier), external: true });
      }
    }
  }
  return found;
}

describe('the layers', () => {
  it('should find the imports it checks', async () => {
    const imports = await importsByLayer();
    assert.ok(imports.filter((entry) => entry.layer === 'runtime' && !entry.external).length > 20);
    assert.deepEqual(specifiers("import type { A } from './a.ts';\nexport { b } from '../b.ts';\nawait import('x');"), [
      './a.ts',
      '../b.ts',
      'x',
    ]);
  });

  it('should point inward: each layer imports only the layers beneath it, and only entry points build adapters', async () => {
    const offenders = (await importsByLayer())
      .filter((entry) => !entry.external && entry.target !== entry.layer)
      .filter((entry) => !MAY_IMPORT[entry.layer]?.includes(entry.target))
      .map((entry) => `${entry.file} → ${entry.target}/`);
    assert.deepEqual(offenders, []);
  });

  it('should keep drivers out of the runtime, the server and the pure layers', async () => {
    const offenders = (await importsByLayer())
      .filter((entry) => entry.external && PORT_LAYERS.includes(entry.layer))
      .filter(
        (entry) =>
          DRIVERS.includes(entry.target) || (PURE_LAYERS.includes(entry.layer) && entry.target.startsWith('node:')),
      )
      .map((entry) => `${entry.file} → ${entry.target}`);
    assert.deepEqual(offenders, []);
  });
});
