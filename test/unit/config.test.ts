import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { availableParallelism, userInfo } from 'node:os';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { DEVELOPMENT_SECRETS, environmentSchema } from '../../config/schema.ts';
import { tsFiles } from '../support/sourceFiles.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

const strongKey = () => randomBytes(32).toString('base64');
const productionSecrets = () => ({
  PII_ENCRYPTION_KEYS: `k2026:${strongKey()}`,
  NIK_HASH_KEY: strongKey(),
  JWT_SECRET: strongKey(),
  BULI2_API_KEY: strongKey(),
  BULI2_WEBHOOK_SECRETS: `${strongKey()},${strongKey()}`,
  IMAGE_LINK_SECRET: strongKey(),
});
/** The addresses production requires: Temporal, BULI2 and this API's own public URL. */
const PRODUCTION_ADDRESSES = {
  TEMPORAL_ADDRESS: 'temporal.internal:7233',
  BULI2_URL: 'https://buli2.internal/api',
  PUBLIC_URL: 'https://kyc.internal',
};
const PRODUCTION_TEMPORAL = PRODUCTION_ADDRESSES;

/** Loads and returns the ConfigError message; fails if the environment is accepted. */
function configErrorFor(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error.message;
  }
  assert.fail(`expected ${JSON.stringify(Object.keys(env))} to be refused`);
}

/** Each bad variable is one "  - NAME: message" line. */
const namedIn = (message: string) =>
  new Set(
    message
      .split('\n')
      .map((line) => /^ {2}- ([A-Z0-9_]+):/.exec(line)?.[1])
      .filter(Boolean),
  );

/** `KEY=value` and commented-out `# KEY=value` entries of a dotenv file. */
function envExampleEntries(text: string) {
  const entries = new Map<string, { value: string; commented: boolean; described: boolean }>();
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    const match = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const previous = lines[index - 1]?.trim() ?? '';
    const described = previous.startsWith('#') && !/^#\s*[A-Z][A-Z0-9_]*=/.test(previous);
    entries.set(match[2] as string, { value: match[3] as string, commented: Boolean(match[1]), described });
  }
  return entries;
}

describe('configuration', () => {
  const schemaKeys = Object.keys(environmentSchema.shape).sort();

  describe('.env.example', () => {
    const text = readFile(join(root, '.env.example'), 'utf8');

    it('should list exactly the variables of the schema', async () => {
      const entries = envExampleEntries(await text);
      assert.deepEqual([...entries.keys()].sort(), schemaKeys);
      assert.ok(schemaKeys.length > 20);
    });

    it('should describe every variable in a comment line just above it', async () => {
      for (const [key, entry] of envExampleEntries(await text)) assert.ok(entry.described, key);
    });

    it('should mark every variable production requires, as the production template', async () => {
      const lines = (await text).split('\n');
      const bare = environmentSchema.safeParse({ NODE_ENV: 'production' });
      const required = new Set(bare.error?.issues.map((issue) => String(issue.path[0])) ?? []);
      assert.ok(required.size >= 5);
      for (const key of required) {
        const at = lines.findIndex((line) => new RegExp(`^#?\\s*${key}=`).test(line));
        assert.ok(at > 0, key);
        let start = at;
        while (start > 0 && lines[start - 1]?.startsWith('# ') && !/^#\s*[A-Z0-9_]+=/.test(lines[start - 1] ?? ''))
          start -= 1;
        assert.match(lines.slice(start, at).join(' '), /required in production/i, key);
      }
    });

    it('should hold development values that load, and no secrets', async () => {
      const entries = envExampleEntries(await text);
      const active = Object.fromEntries(
        [...entries].filter(([, entry]) => !entry.commented).map(([key, entry]) => [key, entry.value]),
      );
      const config = loadConfig(active);
      assert.equal(config.nodeEnv, 'development');
      for (const secret of ['PII_ENCRYPTION_KEYS', 'PII_ACTIVE_KEY_ID', 'NIK_HASH_KEY', 'JWT_SECRET'])
        assert.equal(entries.get(secret)?.value, '', `${secret} has no value`);
    });
  });

  describe('loadConfig', () => {
    it('should load an empty environment with the defaults', () => {
      const config = loadConfig({});
      assert.equal(config.nodeEnv, 'development');
      assert.equal(config.port, 3000);
      // Without a user name in the URL, the operating-system user is meant (as libpq reads it).
      assert.equal(config.databaseUrl, `postgres://${userInfo().username}@localhost:5432/filot`);
      assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
      assert.deepEqual(config.machine, { maxAttempts: 3, approveThreshold: 0.85 });
      assert.equal(config.pii.keys.get(config.pii.activeKeyId)?.length, 32);
      assert.ok(config.pii.nikHashKey.length >= 32);
    });

    it('should share the cores out as recognition lanes unless told how many', () => {
      const cores = availableParallelism();
      assert.equal(loadConfig({}).ocr.recognitionLanes, cores);
      assert.equal(loadConfig({ OCR_ENGINE_THREADS: String(cores * 2) }).ocr.recognitionLanes, 1);
      assert.equal(loadConfig({ OCR_RECOGNITION_LANES: '3' }).ocr.recognitionLanes, 3);
      assert.deepEqual([...namedIn(configErrorFor({ OCR_RECOGNITION_LANES: '0' }))], ['OCR_RECOGNITION_LANES']);
    });

    it('should choose the OCR precision by the CPU unless told, and refuse an unknown one', () => {
      assert.equal(loadConfig({}).ocr.precision, 'auto');
      assert.equal(loadConfig({ OCR_PRECISION: 'fp32' }).ocr.precision, 'fp32');
      assert.equal(loadConfig({ OCR_PRECISION: 'int8' }).ocr.precision, 'int8');
      assert.deepEqual([...namedIn(configErrorFor({ OCR_PRECISION: 'int4' }))], ['OCR_PRECISION']);
    });

    it('should treat empty strings as unset', () => {
      assert.equal(loadConfig({ PORT: '', DATABASE_URL: '' }).port, 3000);
    });

    it('should report every bad variable in one ConfigError', () => {
      const message = configErrorFor({
        DATABASE_URL: 'mysql://x',
        REDIS_URL: 'http://x',
        PORT: 'abc',
        OCR_MAX_ATTEMPTS: '0',
      });
      assert.deepEqual(namedIn(message), new Set(['DATABASE_URL', 'REDIS_URL', 'PORT', 'OCR_MAX_ATTEMPTS']));
      assert.match(message, /4 problem/);
    });

    it('should accept postgres URLs with a database name and refuse others', () => {
      for (const url of ['postgres://u:p@db:5432/filot', 'postgresql://localhost/filot?sslmode=require'])
        assert.equal(new URL(loadConfig({ DATABASE_URL: url }).databaseUrl).pathname, new URL(url).pathname);
      for (const url of ['mysql://localhost/filot', 'postgres://localhost', 'postgres://localhost/', 'not a url'])
        assert.deepEqual(namedIn(configErrorFor({ DATABASE_URL: url })), new Set(['DATABASE_URL']), url);
    });

    it('should accept redis:// and rediss:// URLs and refuse others', () => {
      for (const url of ['redis://127.0.0.1:6379', 'rediss://user:pw@cache.example.com:6380/2'])
        assert.equal(loadConfig({ REDIS_URL: url }).redisUrl, url);
      for (const url of ['http://x', 'redis', 'valkey://x:6379'])
        assert.deepEqual(namedIn(configErrorFor({ REDIS_URL: url })), new Set(['REDIS_URL']), url);
    });

    it('should default to a local Temporal, the review SLA and every role', () => {
      const config = loadConfig({});
      assert.deepEqual(config.temporal, {
        address: null,
        namespace: 'default',
        taskQueue: 'kyc-review',
        callTimeoutMs: 5000,
      });
      assert.deepEqual(config.review, { reminderMs: 4 * 3_600_000, escalationMs: 24 * 3_600_000, claimMs: 5 * 60_000 });
      assert.deepEqual(config.roles, { api: true, ocr: true, review: true });
    });

    it('should read the Temporal settings', () => {
      const config = loadConfig({
        TEMPORAL_ADDRESS: 'temporal.internal:7233',
        TEMPORAL_NAMESPACE: 'kyc-prod',
        TEMPORAL_TASK_QUEUE: 'kyc-review-v2',
        TEMPORAL_CALL_TIMEOUT_MS: '2500',
      });
      assert.deepEqual(config.temporal, {
        address: 'temporal.internal:7233',
        namespace: 'kyc-prod',
        taskQueue: 'kyc-review-v2',
        callTimeoutMs: 2500,
      });
      for (const address of ['127.0.0.1:7233', '[::1]:7233', 'localhost:65535'])
        assert.equal(loadConfig({ TEMPORAL_ADDRESS: address }).temporal.address, address);
    });

    it('should refuse a Temporal address that is not host:port, and bad names and timeouts', () => {
      for (const address of ['localhost', 'http://localhost:7233', 'host:0', 'host:65536', 'a b:7233', ':7233'])
        assert.deepEqual(
          namedIn(configErrorFor({ TEMPORAL_ADDRESS: address })),
          new Set(['TEMPORAL_ADDRESS']),
          address,
        );
      assert.deepEqual(namedIn(configErrorFor({ TEMPORAL_NAMESPACE: 'has space' })), new Set(['TEMPORAL_NAMESPACE']));
      assert.deepEqual(namedIn(configErrorFor({ TEMPORAL_TASK_QUEUE: 'a/b' })), new Set(['TEMPORAL_TASK_QUEUE']));
      for (const timeout of ['99', '120001', 'soon'])
        assert.deepEqual(
          namedIn(configErrorFor({ TEMPORAL_CALL_TIMEOUT_MS: timeout })),
          new Set(['TEMPORAL_CALL_TIMEOUT_MS']),
          timeout,
        );
    });

    it('should take the review SLA, the escalation after the reminder', () => {
      assert.deepEqual(loadConfig({ REVIEW_REMINDER_MS: '200', REVIEW_ESCALATION_MS: '500' }).review, {
        reminderMs: 200,
        escalationMs: 500,
        claimMs: 5 * 60_000,
      });
      // A reviewer's claim on a document (the reviewer console): 1 s to 1 hour.
      assert.equal(loadConfig({ REVIEW_CLAIM_MS: '1000' }).review.claimMs, 1000);
      for (const claim of ['999', '3600001', 'soon'])
        assert.deepEqual(namedIn(configErrorFor({ REVIEW_CLAIM_MS: claim })), new Set(['REVIEW_CLAIM_MS']), claim);
      for (const [reminder, escalation] of [
        ['500', '500'],
        ['500', '200'],
      ])
        assert.deepEqual(
          namedIn(
            configErrorFor({ REVIEW_REMINDER_MS: reminder as string, REVIEW_ESCALATION_MS: escalation as string }),
          ),
          new Set(['REVIEW_ESCALATION_MS']),
        );
      // A reminder past the default escalation is refused too, not silently reordered.
      assert.ok(namedIn(configErrorFor({ REVIEW_REMINDER_MS: String(48 * 3_600_000) })).has('REVIEW_ESCALATION_MS'));
      assert.ok(namedIn(configErrorFor({ REVIEW_REMINDER_MS: '0' })).has('REVIEW_REMINDER_MS'));
    });

    it('should run only the roles listed in PROCESS_ROLES', () => {
      assert.deepEqual(loadConfig({ PROCESS_ROLES: 'api' }).roles, { api: true, ocr: false, review: false });
      assert.deepEqual(loadConfig({ PROCESS_ROLES: 'ocr, review' }).roles, { api: false, ocr: true, review: true });
      assert.deepEqual(loadConfig({ PROCESS_ROLES: 'review,api,review' }).roles, {
        api: true,
        ocr: false,
        review: true,
      });
      for (const roles of ['web', 'api,', ',', 'API', 'api;ocr'])
        assert.deepEqual(namedIn(configErrorFor({ PROCESS_ROLES: roles })), new Set(['PROCESS_ROLES']), roles);
    });

    it('should take the approve threshold as a ratio', () => {
      assert.ok(namedIn(configErrorFor({ DECISION_APPROVE_THRESHOLD: '1.5' })).has('DECISION_APPROVE_THRESHOLD'));
      const config = loadConfig({ DECISION_APPROVE_THRESHOLD: '0.6' });
      assert.deepEqual(config.machine, { maxAttempts: 3, approveThreshold: 0.6 });
    });
  });

  describe('secrets', () => {
    it('should require the secrets in production', () => {
      const names = namedIn(configErrorFor({ NODE_ENV: 'production' }));
      assert.ok(names.has('PII_ENCRYPTION_KEYS'));
      assert.ok(names.has('NIK_HASH_KEY'));
      assert.ok(names.has('JWT_SECRET'));
    });

    it('should require a Temporal address in production, and only there', () => {
      const { TEMPORAL_ADDRESS: _temporal, ...others } = PRODUCTION_ADDRESSES;
      const message = configErrorFor({ NODE_ENV: 'production', ...others, ...productionSecrets() });
      assert.deepEqual(namedIn(message), new Set(['TEMPORAL_ADDRESS']));
      assert.match(message, /TEMPORAL_ADDRESS: is required in production/);
      assert.equal(loadConfig({ NODE_ENV: 'test' }).temporal.address, null);
    });

    it('should require https BULI2 and public URLs in production, and take BULI2 settings', () => {
      const insecure = configErrorFor({
        NODE_ENV: 'production',
        ...PRODUCTION_ADDRESSES,
        BULI2_URL: 'http://buli2.internal',
        PUBLIC_URL: 'http://kyc.internal',
        ...productionSecrets(),
      });
      assert.deepEqual(namedIn(insecure), new Set(['BULI2_URL', 'PUBLIC_URL']));
      assert.match(insecure, /BULI2_URL: must be https in production/);
      const { BULI2_URL: _buli2, PUBLIC_URL: _public, ...others } = PRODUCTION_ADDRESSES;
      assert.deepEqual(
        namedIn(configErrorFor({ NODE_ENV: 'production', ...others, ...productionSecrets() })),
        new Set(['BULI2_URL', 'PUBLIC_URL']),
      );
      assert.ok(namedIn(configErrorFor({ BULI2_URL: 'ftp://buli2' })).has('BULI2_URL'));
      assert.ok(
        namedIn(configErrorFor({ BULI2_WEBHOOK_SECRETS: `${strongKey()},short` })).has('BULI2_WEBHOOK_SECRETS'),
      );
      assert.ok(namedIn(configErrorFor({ BULI2_API_KEY: 'short' })).has('BULI2_API_KEY'));

      const secrets = productionSecrets();
      const config = loadConfig({
        NODE_ENV: 'production',
        ...PRODUCTION_ADDRESSES,
        ...secrets,
        BULI2_TIMEOUT_MS: '2500',
      });
      assert.equal(config.buli2.url, PRODUCTION_ADDRESSES.BULI2_URL);
      assert.equal(config.buli2.apiKey, secrets.BULI2_API_KEY);
      assert.deepEqual(config.buli2.webhookSecrets, secrets.BULI2_WEBHOOK_SECRETS.split(','));
      assert.equal(config.buli2.timeoutMs, 2500);
      assert.deepEqual(config.buli2.breaker, { consecutiveFailures: 5, halfOpenAfterMs: 30_000 });
      assert.deepEqual(config.buli2.retry, { initialMs: 1000, maxIntervalMs: 300_000 });
      assert.equal(config.imageLinks.publicUrl, PRODUCTION_ADDRESSES.PUBLIC_URL);
      // Development: the simulator (no URL), the development secrets, links on localhost.
      const development = loadConfig({ PORT: '3100' });
      assert.equal(development.buli2.url, null);
      assert.equal(development.imageLinks.publicUrl, 'http://localhost:3100');
      assert.equal(development.buli2.webhookSecrets.length, 1);
    });

    it('should check the token settings', () => {
      assert.ok(namedIn(configErrorFor({ JWT_SECRET: 'short' })).has('JWT_SECRET'));
      assert.ok(namedIn(configErrorFor({ JWT_SECRET: strongKey(), JWT_PUBLIC_KEY: 'pem' })).has('JWT_PUBLIC_KEY'));
      assert.ok(namedIn(configErrorFor({ JWT_ALGORITHMS: 'none' })).has('JWT_ALGORITHMS'));
      assert.ok(namedIn(configErrorFor({ JWT_ALGORITHMS: 'RS256' })).has('JWT_ALGORITHMS'));
      assert.ok(namedIn(configErrorFor({ JWT_PUBLIC_KEY: 'pem', JWT_ALGORITHMS: 'HS256' })).has('JWT_ALGORITHMS'));
      assert.deepEqual(loadConfig({}).jwt.algorithms, ['HS256']);
    });

    it('should refuse the development secrets in production', () => {
      const message = configErrorFor({ NODE_ENV: 'production', ...PRODUCTION_TEMPORAL, ...DEVELOPMENT_SECRETS });
      assert.deepEqual(
        namedIn(message),
        new Set([
          'PII_ENCRYPTION_KEYS',
          'NIK_HASH_KEY',
          'JWT_SECRET',
          'BULI2_API_KEY',
          'BULI2_WEBHOOK_SECRETS',
          'IMAGE_LINK_SECRET',
        ]),
      );
      for (const secret of Object.values(DEVELOPMENT_SECRETS)) assert.equal(message.includes(secret), false);
      assert.equal(message.includes(DEVELOPMENT_SECRETS.NIK_HASH_KEY), false);
      assert.equal(message.includes(DEVELOPMENT_SECRETS.JWT_SECRET), false);
      assert.equal(message.includes(DEVELOPMENT_SECRETS.PII_ENCRYPTION_KEYS.split(':')[1] as string), false);
    });

    it('should refuse the development PII key material in production under another key id', {}, () => {
      const material = DEVELOPMENT_SECRETS.PII_ENCRYPTION_KEYS.split(':')[1] as string;
      const names = namedIn(
        configErrorFor({ NODE_ENV: 'production', PII_ENCRYPTION_KEYS: `prod:${material}`, NIK_HASH_KEY: strongKey() }),
      );
      assert.ok(names.has('PII_ENCRYPTION_KEYS'));
    });

    it('should load production with strong secrets', () => {
      const secrets = productionSecrets();
      const config = loadConfig({ NODE_ENV: 'production', ...PRODUCTION_TEMPORAL, ...secrets });
      assert.equal(config.nodeEnv, 'production');
      assert.equal(config.temporal.address, PRODUCTION_TEMPORAL.TEMPORAL_ADDRESS);
      assert.equal(config.pii.activeKeyId, 'k2026');
      assert.deepEqual(
        config.pii.keys.get('k2026'),
        Buffer.from(secrets.PII_ENCRYPTION_KEYS.slice('k2026:'.length), 'base64'),
      );
      assert.deepEqual(config.pii.nikHashKey, Buffer.from(secrets.NIK_HASH_KEY));
    });

    it('should need PII_ACTIVE_KEY_ID to name one of several keys', () => {
      const keys = `old:${strongKey()},new:${strongKey()}`;
      assert.ok(namedIn(configErrorFor({ PII_ENCRYPTION_KEYS: keys })).has('PII_ACTIVE_KEY_ID'));
      assert.ok(
        namedIn(configErrorFor({ PII_ENCRYPTION_KEYS: keys, PII_ACTIVE_KEY_ID: 'other' })).has('PII_ACTIVE_KEY_ID'),
      );
      const config = loadConfig({ PII_ENCRYPTION_KEYS: keys, PII_ACTIVE_KEY_ID: 'new' });
      assert.equal(config.pii.activeKeyId, 'new');
      assert.deepEqual([...config.pii.keys.keys()], ['old', 'new']);
    });

    it('should refuse a NIK_HASH_KEY shorter than 32 bytes, in any mode', () => {
      const short = 'x'.repeat(31);
      for (const NODE_ENV of ['development', 'production']) {
        const message = configErrorFor({
          NODE_ENV,
          ...PRODUCTION_TEMPORAL,
          ...productionSecrets(),
          NIK_HASH_KEY: short,
        });
        assert.deepEqual(namedIn(message), new Set(['NIK_HASH_KEY']), NODE_ENV);
        assert.equal(message.includes(short), false);
      }
    });

    it('should refuse a PII key that does not decode to 32 bytes', () => {
      for (const key of [randomBytes(16).toString('base64'), randomBytes(33).toString('base64')]) {
        const message = configErrorFor({ PII_ENCRYPTION_KEYS: `k1:${key}` });
        assert.deepEqual(namedIn(message), new Set(['PII_ENCRYPTION_KEYS']));
        assert.equal(message.includes(key), false);
      }
      for (const entries of ['nokeyid', ':abc', `bad id:${strongKey()}`, `k1:${strongKey()},k1:${strongKey()}`, ','])
        assert.deepEqual(namedIn(configErrorFor({ PII_ENCRYPTION_KEYS: entries })), new Set(['PII_ENCRYPTION_KEYS']));
    });

    it('should never put a secret value into the error message', () => {
      const secrets = [
        `k1:${randomBytes(20).toString('base64')}`,
        `k1:${strongKey()},k1:${strongKey()}`,
        randomBytes(8).toString('hex'),
      ];
      const message = configErrorFor({
        NODE_ENV: 'production',
        PII_ENCRYPTION_KEYS: secrets[0] as string,
        NIK_HASH_KEY: secrets[2] as string,
      });
      const duplicate = configErrorFor({ PII_ENCRYPTION_KEYS: secrets[1] as string });
      for (const secret of secrets)
        for (const part of secret.split(/[:,]/).filter((piece) => piece.length > 8)) {
          assert.equal(message.includes(part), false);
          assert.equal(duplicate.includes(part), false);
        }
    });
  });

  describe('process.env', () => {
    it('should be read only by config/', async () => {
      const dirs = ['machines', 'runtime', 'adapters', 'server', 'db', 'domain'];
      const files = [...(await Promise.all(dirs.map((dir) => tsFiles(join(root, dir))))).flat(), join(root, 'main.ts')];
      assert.ok(files.length > 10);
      const offenders: string[] = [];
      for (const file of files) {
        const source = await readFile(file, 'utf8').catch(() => '');
        for (const [index, line] of source.split('\n').entries())
          if (line.includes('process.env')) offenders.push(`${relative(root, file)}:${index + 1}`);
      }
      assert.deepEqual(offenders, [], `process.env read outside config/: ${offenders.join(', ')}`);
    });
  });
});
