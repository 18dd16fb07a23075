/**
 * `npm run fuzz`: schemathesis against the running service's own /openapi.json, with a user token
 * on the client API and with a reviewer token on the review API (/internal), every check on (any
 * 5xx, status codes, content types, headers and bodies against the schema, schema-valid data
 * accepted and invalid data refused, unsupported methods, missing auth). About a minute. Exits 1
 * on any failure.
 *
 * The service runs as `npm start` does, on a database of its own on the test Postgres
 * (TEST_DATABASE_SERVER_URL, dropped afterwards) and its own key prefix on the test Redis
 * (TEST_REDIS_URL, deleted afterwards). Needs `pip install schemathesis==4.32.5` (.ci/run does it).
 *
 *   node scripts/fuzzApi.ts [--seconds-per-token 30] [--seed N]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createRedis } from '../adapters/redis/client.ts';
import { startTemporalDevServer } from '../composition/temporalDevServer.ts';
import { syntheticCard } from '../test/chaos/load/cards.ts';
import { mintToken } from '../test/chaos/load/tokens.ts';
import { INSTANCE_ENV } from '../test/chaos/stack/index.ts';
import { freePort, poll } from '../test/chaos/stack/processes.ts';
import { startServiceInstance } from '../test/chaos/stack/serviceInstance.ts';
import { dropDatabase, TEST_SERVER_URL } from '../test/support/database.ts';
import { deleteKeys, TEST_REDIS_URL } from '../test/support/redis.ts';

/** Pinned: a newer schemathesis adds checks and generators, which would change what passes. */
const SCHEMATHESIS_VERSION = '4.32.5';
const SCHEMATHESIS = process.env.SCHEMATHESIS_BIN ?? 'st';
/** What a JSON Schema cannot say about the API (which answers to well-formed data are acceptance). */
const CONFIG_FILE = fileURLToPath(new URL('./schemathesis.toml', import.meta.url));
const HOOKS_FILE = fileURLToPath(new URL('./schemathesisHooks.py', import.meta.url));

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { 'seconds-per-token': { type: 'string', default: '30' }, seed: { type: 'string' } },
  });
  const seconds = Number(values['seconds-per-token']);
  if (!(seconds >= 1)) throw new Error('--seconds-per-token must be at least 1');
  await requireSchemathesis();

  const suffix = randomBytes(5).toString('hex');
  const database = `filot_fuzz_${suffix}`;
  const prefix = `filot-fuzz:${suffix}:`;
  const root = await mkdtemp(join(tmpdir(), 'filot-fuzz-'));
  const databaseUrl = new URL(TEST_SERVER_URL);
  databaseUrl.pathname = `/${database}`;
  const jwtSecret = randomBytes(32).toString('base64');
  // The service is stopped with SIGKILL, which would orphan a dev server of its own: it gets this one.
  const temporal = await startTemporalDevServer();
  try {
    const service = await startServiceInstance({
      root,
      name: 'service',
      port: await freePort(),
      workerId: `fuzz-${suffix}`,
      env: {
        ...INSTANCE_ENV,
        DATABASE_URL: databaseUrl.toString(),
        REDIS_URL: TEST_REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        STORAGE_DIR: join(root, 'storage'),
        JWT_SECRET: jwtSecret,
        TEMPORAL_ADDRESS: temporal.address,
        TMPDIR: root,
      },
    });
    try {
      const user = mintToken(jwtSecret, 'fuzz-user', 'user');
      const reviewer = mintToken(jwtSecret, 'fuzz-reviewer', 'reviewer');
      await seedDocuments(service.baseUrl, user);
      const failed: string[] = [];
      // Each token on the operations its role is for, so the minute goes into depth rather than
      // into thousands of 403s: the user on the client API, the reviewer on /internal.
      const passes = [
        { role: 'user', token: user, operations: ['--exclude-path-regex', '^/internal/'] },
        { role: 'reviewer', token: reviewer, operations: ['--include-path-regex', '^/internal/'] },
      ];
      for (const pass of passes) {
        console.log(`\n=== schemathesis ${SCHEMATHESIS_VERSION} as a ${pass.role}, ${seconds} s ===`);
        const code = await schemathesis(service.baseUrl, pass.token, pass.operations, seconds, values.seed, root);
        if (code !== 0) failed.push(`${pass.role} (exit ${code})`);
      }
      // What the service said about its 5xx answers (schemathesis only sees the generic problem).
      const unhandled = await unhandledErrors(join(root, 'service.log'));
      if (unhandled.length > 0)
        console.log('\nhttp.unhandled_error in the service log:', ...unhandled.map((l) => `\n  ${l}`));
      console.log(failed.length === 0 ? '\nfuzz: no failures' : `\nfuzz: FAILED for ${failed.join(', ')}`);
      return failed.length === 0 ? 0 : 1;
    } finally {
      await service.stop();
    }
  } finally {
    await temporal.stop();
    await dropDatabase(database);
    const redis = createRedis(TEST_REDIS_URL, { name: 'filot-fuzz-cleanup', onError: () => {} });
    await deleteKeys(redis, prefix).finally(() => redis.disconnect());
    await rm(root, { recursive: true, force: true });
  }
}

/** Distinct `http.unhandled_error` messages of the service's log, with how often each came. */
async function unhandledErrors(logFile: string): Promise<string[]> {
  const counts = new Map<string, number>();
  for (const line of (await readFile(logFile, 'utf8')).split('\n')) {
    if (!line.includes('"http.unhandled_error"')) continue;
    const { error, errorClass } = JSON.parse(line) as { error?: string; errorClass?: string };
    const key = `${errorClass ?? 'Error'}: ${error ?? '?'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([message, count]) => `${count}× ${message}`);
}

async function requireSchemathesis(): Promise<void> {
  const version = await output(SCHEMATHESIS, ['--version']).catch(() => '');
  if (version.trim().split(' ').at(-1) !== SCHEMATHESIS_VERSION)
    throw new Error(
      `schemathesis ${SCHEMATHESIS_VERSION} is required (found: ${version.trim() || 'none'}): pip install "schemathesis==${SCHEMATHESIS_VERSION}"`,
    );
}

function schemathesis(
  baseUrl: string,
  token: string,
  operations: readonly string[],
  seconds: number,
  seed: string | undefined,
  cwd: string,
) {
  const args = [
    '--config-file',
    CONFIG_FILE,
    'run',
    `${baseUrl}/openapi.json`,
    ...operations,
    '--checks',
    'all',
    '--header',
    `Authorization: Bearer ${token}`,
    '--max-time',
    String(seconds),
    '--request-timeout',
    '10',
    '--workers',
    '2',
    '--generation-database',
    ':memory:',
    ...(seed ? ['--seed', seed] : []),
    ...(process.stdout.isTTY ? [] : ['--no-color']),
  ];
  // Its own directory: schemathesis writes reports and caches where it runs.
  const child = spawn(SCHEMATHESIS, args, {
    cwd,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, SCHEMATHESIS_HOOKS: HOOKS_FILE },
  });
  return new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

/**
 * Real documents to find: one approved, two in review (a KTP upload showing an NPWP), so lists have
 * items and stateful testing can follow ids from the review queue to a document and its decision.
 */
async function seedDocuments(baseUrl: string, token: string): Promise<void> {
  const cards = await Promise.all([
    syntheticCard(7, 'KTP'),
    syntheticCard(8, 'KTP', 'wrong_type'),
    syntheticCard(9, 'KTP', 'wrong_type'),
  ]);
  for (const card of cards) {
    const form = new FormData();
    form.append('type', card.type);
    form.append('file', new Blob([new Uint8Array(card.image)], { type: 'image/jpeg' }), 'card.jpg');
    const headers = { authorization: `Bearer ${token}` };
    const response = await fetch(`${baseUrl}/documents/upload`, { method: 'POST', headers, body: form });
    if (response.status !== 202)
      throw new Error(`seeding upload answered ${response.status}: ${await response.text()}`);
    const { id } = (await response.json()) as { id: string };
    await poll(
      async () => {
        const verdict = await fetch(`${baseUrl}/verification/${id}`, { headers }).then((r) => r.json());
        return (verdict as { verdict?: string }).verdict !== 'pending';
      },
      `seeded document ${id} to be decided`,
      60_000,
      200,
    );
  }
}

function output(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    child.once('error', reject);
    child.once('exit', () => resolve(text));
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 2;
  },
);
