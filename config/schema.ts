import { z } from 'zod';

/**
 * The environment the engine reads, and nothing else reads `process.env`.
 * Every key here has a line in `.env.example` (test/unit/config.test.ts keeps them identical).
 */

// Development-only secrets. They let `npm start` work on a fresh machine; production refuses them.
export const DEVELOPMENT_SECRETS = {
  PII_ENCRYPTION_KEYS: 'dev1:ZGV2ZWxvcG1lbnQtb25seS1waWkta2V5LTMyLWJ5dGU=',
  NIK_HASH_KEY: 'development-only-nik-hash-key-do-not-use-in-production',
  JWT_SECRET: 'development-only-jwt-secret-do-not-use-in-production',
  BULI2_API_KEY: 'development-only-buli2-api-key-do-not-use-in-production',
  BULI2_WEBHOOK_SECRETS: 'development-only-buli2-webhook-secret-do-not-use',
  IMAGE_LINK_SECRET: 'development-only-image-link-secret-do-not-use-in-production',
} as const;

const MIN_SECRET_BYTES = 32;

/** How long a reviewer's claim on a document lasts unless renewed: 5 minutes (REVIEW_CLAIM_MS). */
export const REVIEW_CLAIM_DEFAULT_MS = 5 * 60_000;
const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const ratio = z.coerce.number().min(0).max(1);

const postgresUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.pathname.length > 1;
    } catch {
      return false;
    }
  },
  { message: 'must be a postgres:// or postgresql:// URL with a database name' },
);

const redisUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'redis:' || url.protocol === 'rediss:';
    } catch {
      return false;
    }
  },
  { message: 'must be a redis:// or rediss:// URL' },
);

/** `host:port`, as the Temporal SDK takes it; an IPv6 host goes in brackets. */
const hostAndPort = z.string().refine(
  (value) => {
    const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
    return match !== null && Number(match[2]) >= 1 && Number(match[2]) <= 65535;
  },
  { message: 'must be host:port, e.g. temporal.internal:7233' },
);

export const PROCESS_ROLE_NAMES = ['api', 'ocr', 'review'] as const;

/** `api,ocr,review` or any non-empty part of it. */
const processRoles = z.string().transform((value, ctx) => {
  const roles = value.split(',').map((part) => part.trim());
  const unknown = roles.filter((role) => !(PROCESS_ROLE_NAMES as readonly string[]).includes(role));
  if (unknown.length > 0) {
    ctx.addIssue({ code: 'custom', message: `a comma list of ${PROCESS_ROLE_NAMES.join(', ')}` });
    return z.NEVER;
  }
  return new Set(roles as (typeof PROCESS_ROLE_NAMES)[number][]);
});

/** `keyId:base64key,keyId:base64key`; every key decodes to exactly 32 bytes (AES-256). */
const encryptionKeys = z.string().transform((value, ctx) => {
  const keys = new Map<string, Buffer>();
  for (const entry of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const separator = entry.indexOf(':');
    const id = entry.slice(0, separator);
    const key = Buffer.from(entry.slice(separator + 1), 'base64');
    if (separator < 1 || !KEY_ID.test(id)) {
      ctx.addIssue({ code: 'custom', message: 'each entry must look like keyId:base64key' });
      return z.NEVER;
    }
    if (key.length !== 32) {
      ctx.addIssue({ code: 'custom', message: `key "${id}" must decode from base64 to exactly 32 bytes` });
      return z.NEVER;
    }
    if (keys.has(id)) {
      ctx.addIssue({ code: 'custom', message: `key id "${id}" appears twice` });
      return z.NEVER;
    }
    keys.set(id, key);
  }
  if (keys.size === 0) {
    ctx.addIssue({ code: 'custom', message: 'needs at least one keyId:base64key entry' });
    return z.NEVER;
  }
  return keys;
});

export const environmentSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: integer(0, 65535).default(3000),
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),

    DATABASE_URL: postgresUrl.default('postgres://localhost:5432/filot'),
    DATABASE_POOL_SIZE: integer(1, 200).default(10),
    REDIS_URL: redisUrl.default('redis://127.0.0.1:6379'),
    // Redis AUTH password (an ElastiCache AUTH token), kept apart from the URL so it can be a secret of
    // its own; loadConfig puts it into the URL. A password in REDIS_URL is the other way, not both.
    REDIS_PASSWORD: z.string().optional(),
    REDIS_KEY_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:_-]{1,64}$/, 'letters, digits, ":", "_" or "-", at most 64')
      .default('filot:'),

    PII_ENCRYPTION_KEYS: encryptionKeys.optional(),
    PII_ACTIVE_KEY_ID: z.string().regex(KEY_ID).optional(),
    NIK_HASH_KEY: z.string().optional(),

    // Bearer tokens: HS256 with a shared secret, or RS256/ES256 verified with a public key (PEM).
    JWT_SECRET: z.string().optional(),
    JWT_PUBLIC_KEY: z.string().optional(),
    /** Only `npm run token` uses it, to mint development tokens for RS256/ES256 set-ups. */
    JWT_PRIVATE_KEY: z.string().optional(),
    JWT_ALGORITHMS: z
      .string()
      .regex(/^(HS256|RS256|ES256)(,(HS256|RS256|ES256))*$/, 'a comma list of HS256, RS256, ES256')
      .optional(),
    JWT_ISSUER: z.string().min(1).default('filot-kyc'),
    JWT_AUDIENCE: z.string().min(1).default('filot-kyc-api'),

    WORKER_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/)
      .optional(),
    WORKER_CONCURRENCY: integer(1, 64).default(2),
    OCR_MAX_ATTEMPTS: integer(1, 20).default(3),
    // At least 500: the document lock lives half a lease and redlock needs 100 ms of headroom.
    OCR_LEASE_MS: integer(500).default(30_000),
    OCR_TIMEOUT_MS: integer(100).default(120_000),
    OCR_DEVICE: z.enum(['auto', 'cuda', 'cpu']).default('auto'),
    OCR_THREADS: integer(1, 64).default(2),
    OCR_ENGINE_THREADS: integer(1, 16).default(1),
    OCR_RECOGNITION_LANES: integer(1, 16).optional(),
    OCR_PRECISION: z.enum(['auto', 'fp32', 'int8']).default('auto'),
    // Phone cameras give 12–50 MP; anything far beyond is a decompression bomb, refused before decoding.
    OCR_MAX_PIXELS: integer(10_000).default(50_000_000),
    STORAGE_DRIVER: z.enum(['fs', 's3']).default('fs'),
    STORAGE_DIR: z.string().min(1).default('.data/storage'),
    S3_BUCKET: z.string().min(3).max(63).optional(),
    S3_REGION: z.string().min(1).default('auto'),
    S3_ENDPOINT: z.url().optional(),
    S3_FORCE_PATH_STYLE: z.stringbool().default(false),
    S3_ACCESS_KEY_ID: z.string().min(1).optional(),
    S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
    DECISION_APPROVE_THRESHOLD: ratio.default(0.85),

    OUTBOX_POLL_MS: integer(10).default(1000),
    // With the backoff doubling from 1 s to 5 min, 20 attempts span about an hour of failures.
    OUTBOX_MAX_ATTEMPTS: integer(1, 1000).default(20),
    OUTBOX_RETENTION_HOURS: integer(1).default(168),
    OUTBOX_PRUNE_INTERVAL_MS: integer(1000).default(600_000),
    REAPER_INTERVAL_MS: integer(10).default(5000),
    // Claiming a live worker's message is harmless (the document's lock is held, so the claimer only
    // acknowledges it); waiting long only delays the documents a dead worker had read.
    STREAM_CLAIM_IDLE_MS: integer(100).default(15_000),
    SWEEPER_INTERVAL_MS: integer(10).default(15_000),
    SWEEPER_STALE_MS: integer(0).default(60_000),
    SHUTDOWN_TIMEOUT_MS: integer(100).default(15_000),
    // Without an address, npm start runs a local dev server; production must name a real one.
    TEMPORAL_ADDRESS: hostAndPort.optional(),
    TEMPORAL_NAMESPACE: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/, 'letters, digits, ".", "_" or "-", at most 255')
      .default('default'),
    TEMPORAL_TASK_QUEUE: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,255}$/, 'letters, digits, ".", "_", ":" or "-", at most 255')
      .default('kyc-review'),
    TEMPORAL_CALL_TIMEOUT_MS: integer(100, 120_000).default(5000),
    REVIEW_REMINDER_MS: integer(1).default(4 * 3_600_000),
    REVIEW_ESCALATION_MS: integer(1).default(24 * 3_600_000),
    REVIEW_CLAIM_MS: integer(1000, 3_600_000).default(REVIEW_CLAIM_DEFAULT_MS),
    PROCESS_ROLES: processRoles.default(() => new Set(PROCESS_ROLE_NAMES)),
    // Without a URL, npm start in development runs the BULI2 simulator; production must name the real one.
    BULI2_URL: z.url({ protocol: /^https?$/ }).optional(),
    BULI2_API_KEY: z.string().min(MIN_SECRET_BYTES, `at least ${MIN_SECRET_BYTES} characters`).optional(),
    BULI2_WEBHOOK_SECRETS: z
      .string()
      .refine((value) => value.split(',').every((secret) => Buffer.byteLength(secret.trim()) >= MIN_SECRET_BYTES), {
        message: `a comma list of secrets, each at least ${MIN_SECRET_BYTES} bytes`,
      })
      .optional(),
    BULI2_TIMEOUT_MS: integer(100, 120_000).default(5000),
    BULI2_BREAKER_FAILURES: integer(1, 1000).default(5),
    BULI2_BREAKER_HALF_OPEN_MS: integer(100).default(30_000),
    BULI2_RETRY_INITIAL_MS: integer(100).default(1000),
    BULI2_RETRY_MAX_INTERVAL_MS: integer(100).default(300_000),
    // Where BULI2 reaches this API: the base of the signed image links it is given.
    PUBLIC_URL: z.url({ protocol: /^https?$/ }).optional(),
    IMAGE_LINK_SECRET: z.string().min(MIN_SECRET_BYTES, `at least ${MIN_SECRET_BYTES} characters`).optional(),
    IMAGE_LINK_TTL_S: integer(60, 7 * 86_400).default(86_400),
    METRICS_TOKEN: z.string().min(32, 'at least 32 characters').optional(),
    METRICS_EMF: z.enum(['true', 'false']).default('false'),
    METRICS_EMF_FLUSH_MS: integer(1000, 3_600_000).default(60_000),
    // Unset: the OCR-only role writes to /ecs/filot-ocr-gpu-worker, any other to /ecs/filot-kyc.
    METRICS_EMF_LOG_GROUP: z
      .string()
      .regex(/^[A-Za-z0-9_./#-]{1,512}$/, 'a CloudWatch log group name')
      .optional(),
    INSPECT_WS_URL: z.url({ protocol: /^wss?$/ }).optional(),
    RATE_LIMIT_UPLOADS_PER_MINUTE: integer(1).default(30),
    RATE_LIMIT_VERIFICATION_PER_MINUTE: integer(1).default(300),
    SSE_MAX_STREAMS_PER_USER: integer(1, 1000).default(5),
    SSE_MAX_STREAMS: integer(1, 100_000).default(500),
    CORS_ORIGINS: z
      .string()
      .refine((value) => value.split(',').every((origin) => /^https?:\/\/[^\s,/]+$/.test(origin.trim())), {
        message: 'a comma list of origins like https://app.example.com',
      })
      .optional(),
  })
  .superRefine((env, ctx) => {
    const production = env.NODE_ENV === 'production';
    const requireSecret = (name: keyof typeof DEVELOPMENT_SECRETS, raw: string | undefined) => {
      if (!production) return;
      if (raw === undefined) ctx.addIssue({ code: 'custom', path: [name], message: 'is required in production' });
      else if (raw === DEVELOPMENT_SECRETS[name])
        ctx.addIssue({ code: 'custom', path: [name], message: 'is the development default; set a real secret' });
    };
    requireSecret('NIK_HASH_KEY', env.NIK_HASH_KEY);
    requireSecret('BULI2_API_KEY', env.BULI2_API_KEY);
    requireSecret('BULI2_WEBHOOK_SECRETS', env.BULI2_WEBHOOK_SECRETS);
    requireSecret('IMAGE_LINK_SECRET', env.IMAGE_LINK_SECRET);
    if (production && env.BULI2_URL === undefined)
      ctx.addIssue({ code: 'custom', path: ['BULI2_URL'], message: 'is required in production' });
    else if (production && !env.BULI2_URL?.startsWith('https:'))
      ctx.addIssue({ code: 'custom', path: ['BULI2_URL'], message: 'must be https in production' });
    if (production && env.PUBLIC_URL === undefined)
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_URL'], message: 'is required in production' });
    else if (production && !env.PUBLIC_URL?.startsWith('https:'))
      ctx.addIssue({ code: 'custom', path: ['PUBLIC_URL'], message: 'must be https in production' });
    if (env.JWT_SECRET !== undefined && env.JWT_PUBLIC_KEY !== undefined)
      ctx.addIssue({ code: 'custom', path: ['JWT_PUBLIC_KEY'], message: 'set JWT_SECRET or JWT_PUBLIC_KEY, not both' });
    if (production && env.JWT_PUBLIC_KEY === undefined) requireSecret('JWT_SECRET', env.JWT_SECRET);
    if (env.JWT_SECRET !== undefined && Buffer.byteLength(env.JWT_SECRET) < MIN_SECRET_BYTES)
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: `must be at least ${MIN_SECRET_BYTES} bytes` });
    const algorithms = env.JWT_ALGORITHMS?.split(',') ?? [];
    if (env.JWT_PUBLIC_KEY !== undefined && algorithms.includes('HS256'))
      ctx.addIssue({ code: 'custom', path: ['JWT_ALGORITHMS'], message: 'HS256 cannot be verified with a public key' });
    if (env.JWT_PUBLIC_KEY === undefined && algorithms.some((name) => name !== 'HS256'))
      ctx.addIssue({ code: 'custom', path: ['JWT_ALGORITHMS'], message: 'RS256/ES256 need JWT_PUBLIC_KEY' });
    if (production && env.PII_ENCRYPTION_KEYS === undefined)
      ctx.addIssue({ code: 'custom', path: ['PII_ENCRYPTION_KEYS'], message: 'is required in production' });
    const developmentKey = Buffer.from(DEVELOPMENT_SECRETS.PII_ENCRYPTION_KEYS.split(':')[1] as string, 'base64');
    if (production && [...(env.PII_ENCRYPTION_KEYS?.values() ?? [])].some((key) => key.equals(developmentKey)))
      ctx.addIssue({
        code: 'custom',
        path: ['PII_ENCRYPTION_KEYS'],
        message: 'contains the development key; set real keys',
      });
    if (env.PII_ACTIVE_KEY_ID && !env.PII_ENCRYPTION_KEYS)
      ctx.addIssue({ code: 'custom', path: ['PII_ACTIVE_KEY_ID'], message: 'needs PII_ENCRYPTION_KEYS to be set' });
    if (env.NIK_HASH_KEY !== undefined && Buffer.byteLength(env.NIK_HASH_KEY) < MIN_SECRET_BYTES)
      ctx.addIssue({ code: 'custom', path: ['NIK_HASH_KEY'], message: `must be at least ${MIN_SECRET_BYTES} bytes` });
    if (env.PII_ENCRYPTION_KEYS && env.PII_ACTIVE_KEY_ID && !env.PII_ENCRYPTION_KEYS.has(env.PII_ACTIVE_KEY_ID))
      ctx.addIssue({ code: 'custom', path: ['PII_ACTIVE_KEY_ID'], message: 'is not one of PII_ENCRYPTION_KEYS' });
    if (env.PII_ENCRYPTION_KEYS && env.PII_ENCRYPTION_KEYS.size > 1 && !env.PII_ACTIVE_KEY_ID)
      ctx.addIssue({
        code: 'custom',
        path: ['PII_ACTIVE_KEY_ID'],
        message: 'is required when PII_ENCRYPTION_KEYS holds more than one key',
      });
    if (env.REDIS_PASSWORD !== undefined && new URL(env.REDIS_URL).password !== '')
      ctx.addIssue({
        code: 'custom',
        path: ['REDIS_PASSWORD'],
        message: 'REDIS_URL carries a password already; set it in REDIS_URL or REDIS_PASSWORD, not both',
      });
    if (production && env.TEMPORAL_ADDRESS === undefined)
      ctx.addIssue({ code: 'custom', path: ['TEMPORAL_ADDRESS'], message: 'is required in production' });
    if (env.REVIEW_ESCALATION_MS <= env.REVIEW_REMINDER_MS)
      ctx.addIssue({
        code: 'custom',
        path: ['REVIEW_ESCALATION_MS'],
        message: 'must be greater than REVIEW_REMINDER_MS',
      });
    if (env.STORAGE_DRIVER === 's3' && !env.S3_BUCKET)
      ctx.addIssue({ code: 'custom', path: ['S3_BUCKET'], message: 'is required when STORAGE_DRIVER is s3' });
    if ((env.S3_ACCESS_KEY_ID === undefined) !== (env.S3_SECRET_ACCESS_KEY === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['S3_SECRET_ACCESS_KEY'],
        message: 'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together (or neither, for the default credential chain)',
      });
  });

export type Environment = z.infer<typeof environmentSchema>;
