import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { RegisterTaskDefinitionCommandInput } from '@aws-sdk/client-ecs';
import { loadConfig } from '../../../config/index.ts';
import { DEVELOPMENT_SECRETS, environmentSchema } from '../../../config/schema.ts';
import {
  type ComposeService,
  DEPLOY_PLACEHOLDERS,
  dockerfileOf,
  environmentOf,
  interpolatedNames,
  readCompose,
  readText,
  renderTaskDefinition,
  SECRET_NAMES,
  TASK_DEFINITIONS,
  type TaskDefinitionName,
} from './deployFiles.ts';

/**
 * The deployment files against config/schema.ts, both ways:
 * - every variable compose.yaml and the task definitions give the engine, and every one compose.yaml
 *   interpolates, is one the schema knows (a misspelt name would be silently ignored at start-up);
 * - every variable of the schema is set in each task definition or listed in LEFT_AT_DEFAULT with the
 *   reason its default is right there: a variable added to the schema fails this test until someone
 *   decides;
 * - every variable production requires (asked of the schema itself) is set in every task definition,
 *   and every secret comes from Secrets Manager;
 * - each file's variables, filled in, load: loadConfig accepts them, with the roles, the log group
 *   and the storage meant.
 */

type SchemaKey = keyof typeof environmentSchema.shape;
const SCHEMA_KEYS = new Set(Object.keys(environmentSchema.shape));

/** Variables the task definitions leave at their defaults, and why the default is right in ECS. */
const LEFT_AT_DEFAULT: Partial<Record<SchemaKey, string>> = {
  DATABASE_POOL_SIZE: '10 connections a task; size the database for tasks × 10',
  REDIS_KEY_PREFIX: 'all tasks share the default filot: prefix, as they must to cooperate',
  JWT_PUBLIC_KEY: 'HS256 with JWT_SECRET (filot/jwt-secret); an RS256/ES256 set-up would set this instead',
  JWT_PRIVATE_KEY: 'only npm run token reads it, never the service',
  JWT_ALGORITHMS: 'HS256, what JWT_SECRET means',
  JWT_ISSUER: 'filot-kyc, as the token issuer is configured',
  JWT_AUDIENCE: 'filot-kyc-api, as the token issuer is configured',
  JWT_JWKS_URL: 'no identity provider: JWT_SECRET verifies',
  JWT_JWKS_ISSUER: 'only read with JWT_JWKS_URL',
  JWT_JWKS_ALGORITHMS: 'only read with JWT_JWKS_URL',
  JWT_JWKS_TIMEOUT_MS: 'only read with JWT_JWKS_URL',
  JWT_JWKS_CACHE_MAX_AGE_MS: 'only read with JWT_JWKS_URL',
  JWT_JWKS_COOLDOWN_MS: 'only read with JWT_JWKS_URL',
  METRICS_PORT: 'METRICS_TOKEN guards /metrics on the service port',
  METRICS_HOST: 'only read with METRICS_PORT',
  LOG_FORMAT: 'json, the default off a development terminal: what CloudWatch Logs and the EMF lines need',
  TRUST_PROXY: 'api.json sets 1 (behind the load balancer); the workers take no client requests',
  WORKER_ID: '<hostname>-<pid>: unique per task, each Fargate and awsvpc task having a hostname of its own',
  WORKER_CONCURRENCY: 'two OCR jobs at a time per worker task, as measured (docs/configuration.md)',
  OCR_MAX_ATTEMPTS: 'the policy default, the same in every process as it must be',
  OCR_LEASE_MS: 'the default lease, the same in every process',
  OCR_TIMEOUT_MS: 'the default OCR timeout',
  OCR_DEVICE: 'only the GPU worker runs OCR (cuda there); the API and review tasks run no OCR',
  OCR_THREADS: 'the default onnxruntime threads; CUDA runs the networks',
  OCR_ENGINE_THREADS: 'one engine thread: the GPU takes the strips in batches',
  OCR_RECOGNITION_LANES: 'one lane on CUDA, whatever the CPU count',
  OCR_PRECISION: 'CPU arithmetic only; CUDA always runs fp32',
  OCR_MAX_PIXELS: 'the default decompression-bomb bound',
  STORAGE_DIR: 'STORAGE_DRIVER=s3 (R2): no local disk is used',
  DECISION_APPROVE_THRESHOLD: 'the policy default, the same in every process as it must be',
  OUTBOX_POLL_MS: 'the default relay poll',
  OUTBOX_MAX_ATTEMPTS: 'the default dead-letter bound',
  OUTBOX_RETENTION_HOURS: 'a week of delivered outbox rows',
  OUTBOX_PRUNE_INTERVAL_MS: 'the default prune interval',
  REAPER_INTERVAL_MS: 'the default reaper interval',
  STREAM_CLAIM_IDLE_MS: 'the default claim idle time',
  SWEEPER_INTERVAL_MS: 'the default sweeper interval',
  SWEEPER_STALE_MS: 'the default sweeper staleness',
  SHUTDOWN_TIMEOUT_MS: '15 s, which stopTimeout (35 s) covers twice over (ecs.test.ts)',
  TEMPORAL_NAMESPACE: 'default, the namespace of the Temporal deployment; set it when that is another',
  TEMPORAL_TASK_QUEUE: 'kyc-review, shared by every task as it must be',
  TEMPORAL_CALL_TIMEOUT_MS: 'the default call timeout',
  REVIEW_REMINDER_MS: 'the SLA of the seed: a reminder after 4 h',
  REVIEW_ESCALATION_MS: 'the SLA of the seed: an escalation after 24 h',
  REVIEW_CLAIM_MS:
    'a reviewer holds a document for 5 minutes after opening it; renewed when the same reviewer claims again',
  BULI2_TIMEOUT_MS: 'the default call timeout to BULI2',
  BULI2_BREAKER_FAILURES: 'the default circuit breaker',
  BULI2_BREAKER_HALF_OPEN_MS: 'the default circuit breaker',
  BULI2_RETRY_INITIAL_MS: 'the default forward backoff',
  BULI2_RETRY_MAX_INTERVAL_MS: 'the default forward backoff',
  IMAGE_LINK_TTL_S: 'image links for BULI2 valid 24 h',
  METRICS_EMF_FLUSH_MS: 'one EMF flush a minute, CloudWatch standard resolution',
  METRICS_EMF_LOG_GROUP: "by role, which is the task's awslogs group (checked below)",
  INSPECT_WS_URL: 'the Stately inspector is a developer tool: off in ECS',
  RATE_LIMIT_UPLOADS_PER_MINUTE: 'the default rate limit',
  RATE_LIMIT_VERIFICATION_PER_MINUTE: 'the default rate limit',
  SSE_MAX_STREAMS_PER_USER: 'the default stream limit',
  SSE_MAX_STREAMS: 'the default stream limit',
  CORS_ORIGINS: 'none: the API is called server to server',
};

/** What Secrets Manager would hand each secret, for loading a task's environment here. */
const strong = () => randomBytes(32).toString('base64');
const SECRET_VALUES: Record<keyof typeof SECRET_NAMES, string> = {
  DATABASE_URL: 'postgres://filot:secret@filot-db.internal:5432/filot',
  REDIS_URL: 'rediss://filot-redis.internal:6379',
  REDIS_PASSWORD: strong(),
  S3_ENDPOINT: 'https://0123456789abcdef.r2.cloudflarestorage.com',
  S3_BUCKET: 'filot-kyc-documents',
  S3_ACCESS_KEY_ID: 'r2-access-key-id',
  S3_SECRET_ACCESS_KEY: strong(),
  BULI2_URL: 'https://buli2.internal/api',
  BULI2_API_KEY: strong(),
  BULI2_WEBHOOK_SECRETS: `${strong()},${strong()}`,
  IMAGE_LINK_SECRET: strong(),
  PII_ENCRYPTION_KEYS: `k2026:${strong()}`,
  PII_ACTIVE_KEY_ID: 'k2026',
  NIK_HASH_KEY: strong(),
  JWT_SECRET: strong(),
  METRICS_TOKEN: strong(),
};

/** The BULI2 simulator's own settings (simulators/buli2/main.ts reads them; the engine does not). */
const SIMULATOR_SETTINGS = ['BULI2_SIM_PORT', 'FILOT_CALLBACK_URL', 'BULI2_SIM_DECIDE_AFTER_MS'];

/** What production refuses to start without, asked of the schema: the paths of its issues for a bare environment. */
function requiredInProduction(): Set<string> {
  const result = environmentSchema.safeParse({ NODE_ENV: 'production' });
  assert.equal(result.success, false);
  return new Set(result.error?.issues.map((issue) => String(issue.path[0])) ?? []);
}

type Container = NonNullable<RegisterTaskDefinitionCommandInput['containerDefinitions']>[number];
const containerOf = (name: TaskDefinitionName) =>
  (renderTaskDefinition(name) as RegisterTaskDefinitionCommandInput).containerDefinitions?.[0] as Container;
const namesIn = (container: Container) => ({
  environment: (container.environment ?? []).map((entry) => entry.name as string),
  secrets: (container.secrets ?? []).map((entry) => entry.name as string),
});

describe('the task definitions and config/schema.ts', () => {
  const required = requiredInProduction();

  it('asks the schema what production requires', () => {
    for (const name of ['TEMPORAL_ADDRESS', 'BULI2_URL', 'PUBLIC_URL', 'PII_ENCRYPTION_KEYS', 'NIK_HASH_KEY'])
      assert.ok(required.has(name), name);
    for (const name of Object.keys(DEVELOPMENT_SECRETS)) assert.ok(required.has(name), name);
  });

  for (const name of Object.keys(TASK_DEFINITIONS) as TaskDefinitionName[]) {
    describe(TASK_DEFINITIONS[name], () => {
      const container = containerOf(name);
      const { environment, secrets } = namesIn(container);
      const set = new Set([...environment, ...secrets]);

      it('names only variables the schema knows, each once', () => {
        assert.deepEqual(
          [...set].filter((variable) => !SCHEMA_KEYS.has(variable)),
          [],
        );
        assert.equal(set.size, environment.length + secrets.length);
      });

      it('sets every variable of the schema, or leaves it at a default listed with its reason', () => {
        assert.deepEqual(
          [...SCHEMA_KEYS].filter((variable) => !set.has(variable) && !(variable in LEFT_AT_DEFAULT)),
          [],
          'decide for each: set it in the task definitions, or add it to LEFT_AT_DEFAULT with the reason',
        );
      });

      it('sets every variable production requires, secrets from Secrets Manager', () => {
        assert.deepEqual(
          [...required].filter((variable) => !set.has(variable)),
          [],
        );
        for (const secret of [...Object.keys(DEVELOPMENT_SECRETS), 'DATABASE_URL', 'REDIS_URL', 'REDIS_PASSWORD'])
          assert.ok(secrets.includes(secret), `${secret} from Secrets Manager`);
        assert.ok(secrets.includes('S3_SECRET_ACCESS_KEY') && secrets.includes('S3_ACCESS_KEY_ID'));
      });

      it('loads in production with its role, its log group and R2 storage', () => {
        const env = Object.fromEntries([
          ...(container.environment ?? []).map((entry) => [entry.name, entry.value]),
          ...secrets.map((secret) => [secret, SECRET_VALUES[secret as keyof typeof SECRET_NAMES]]),
        ]);
        const config = loadConfig(env);
        assert.equal(config.nodeEnv, 'production');
        const roles = Object.entries(config.roles)
          .filter(([, on]) => on)
          .map(([role]) => role)
          .join(',');
        assert.equal(roles, env.PROCESS_ROLES);
        assert.equal(config.observability.emf?.logGroup, container.logConfiguration?.options?.['awslogs-group']);
        assert.equal(config.temporal.address, DEPLOY_PLACEHOLDERS.TEMPORAL_ADDRESS);
        assert.equal(config.imageLinks.publicUrl, DEPLOY_PLACEHOLDERS.PUBLIC_URL);
        assert.equal(config.storage.driver, 's3');
        if (config.storage.driver === 's3') {
          assert.equal(config.storage.bucket, SECRET_VALUES.S3_BUCKET);
          assert.equal(config.storage.endpoint, SECRET_VALUES.S3_ENDPOINT);
          assert.ok(config.storage.credentials);
        }
        const redis = new URL(config.redisUrl);
        assert.equal(redis.protocol, 'rediss:', 'TLS to Redis');
        assert.equal(decodeURIComponent(redis.password), SECRET_VALUES.REDIS_PASSWORD);
        assert.equal(config.port, Number(env.PORT));
      });
    });
  }

  it('lists no variable at a default that every task definition sets, nor one the schema lacks', () => {
    const everywhere = new Set(SCHEMA_KEYS);
    for (const name of Object.keys(TASK_DEFINITIONS) as TaskDefinitionName[]) {
      const { environment, secrets } = namesIn(containerOf(name));
      for (const variable of everywhere)
        if (!environment.includes(variable) && !secrets.includes(variable)) everywhere.delete(variable);
    }
    for (const variable of Object.keys(LEFT_AT_DEFAULT)) {
      assert.ok(SCHEMA_KEYS.has(variable), variable);
      assert.equal(everywhere.has(variable), false, `${variable} is set in every task definition`);
    }
  });

  it('is documented: every secret and placeholder has its line in docs/deployment.md', () => {
    const doc = readText('docs/deployment.md');
    for (const [variable, secret] of Object.entries(SECRET_NAMES)) {
      assert.ok(doc.includes(`\`${secret}\``), secret);
      assert.ok(doc.includes(`\`${variable}\``), variable);
    }
    for (const placeholder of Object.keys(DEPLOY_PLACEHOLDERS))
      assert.ok(doc.includes(`\${${placeholder}}`), placeholder);
  });
});

describe('compose.yaml and config/schema.ts', () => {
  const { text, compose } = readCompose();
  const engines = Object.entries(compose.services).filter(([, service]) => dockerfileOf(service) !== null);

  it("gives this repository's images only variables the schema knows (the simulator's own aside)", () => {
    const simulatorSource = readText('simulators/buli2/main.ts');
    for (const setting of SIMULATOR_SETTINGS)
      assert.ok(simulatorSource.includes(`'${setting}'`) || simulatorSource.includes(`.${setting}`), setting);
    for (const [name, service] of engines) {
      const allowed = name === 'buli2-sim' ? SIMULATOR_SETTINGS : [];
      const unknown = Object.keys(environmentOf(service)).filter(
        (variable) => !SCHEMA_KEYS.has(variable) && !allowed.includes(variable),
      );
      assert.deepEqual(unknown, [], name);
    }
  });

  it('interpolates only variables the schema knows', () => {
    assert.deepEqual(
      [...interpolatedNames(text)].filter((variable) => !SCHEMA_KEYS.has(variable)),
      [],
    );
  });

  it('loads each service in development, with the roles and device meant', () => {
    const configs = Object.fromEntries(
      engines.map(([name, service]) => [name, loadConfig(environmentOf(service as ComposeService))]),
    );
    for (const config of Object.values(configs)) assert.equal(config.nodeEnv, 'development');
    assert.deepEqual(configs.app?.roles, { api: true, ocr: true, review: true });
    assert.deepEqual(configs['ocr-gpu']?.roles, { api: false, ocr: true, review: false });
    assert.equal(configs['ocr-gpu']?.ocr.device, 'cuda');
    assert.equal(configs.app?.ocr.device, 'cpu');
    for (const name of ['app', 'ocr-gpu']) {
      const redis = new URL(configs[name]?.redisUrl ?? '');
      assert.equal(decodeURIComponent(redis.password), 'filot-local-redis-password', `${name} authenticates to Redis`);
      assert.equal(configs[name]?.temporal.address, 'temporal:7233', `${name} needs no dev server of its own`);
    }
  });
});
