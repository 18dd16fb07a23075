import { createPrivateKey, createPublicKey } from 'node:crypto';
import { isIP } from 'node:net';
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

/**
 * Which proxies may tell the client's address (X-Forwarded-For), as express's `trust proxy` takes
 * it: a hop count, or a comma list of addresses, subnets (CIDR) and express's names `loopback`,
 * `linklocal`, `uniquelocal`. `true` (trust every hop) is refused: it lets any client pick its own
 * address, and with it its rate-limit bucket.
 */
const trustProxy = z.string().transform((value, ctx): number | string[] | false => {
  const text = value.trim();
  if (text === 'false') return false;
  if (/^\d{1,2}$/.test(text)) return Number(text);
  const entries = text.split(',').map((part) => part.trim());
  const named = ['loopback', 'linklocal', 'uniquelocal'];
  const valid = (entry: string) => {
    const [address = '', prefix, extra] = entry.split('/');
    if (extra !== undefined || isIP(address) === 0) return false;
    return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (isIP(address) === 4 ? 32 : 128));
  };
  if (text === 'true' || !entries.every((entry) => named.includes(entry) || valid(entry))) {
    ctx.addIssue({
      code: 'custom',
      message: 'a hop count (e.g. 1), or a comma list of addresses, CIDR subnets, loopback, linklocal, uniquelocal',
    });
    return z.NEVER;
  }
  return entries;
});

/** Whether a PEM text is a key `decode` can read (the error is dropped: it could quote the text). */
const decodes = (decode: (pem: string) => unknown, pem: string) => {
  try {
    decode(pem);
    return true;
  } catch {
    return false;
  }
};

export const environmentSchema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: integer(0, 65535).default(3000),
    LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    LOG_FORMAT: z.enum(['pretty', 'json']).optional(),

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
    // Tokens from an identity provider, verified with the keys its JWKS URL publishes (server/http/auth.ts).
    JWT_JWKS_URL: z.url({ protocol: /^https?$/ }).optional(),
    JWT_JWKS_ISSUER: z.string().min(1).optional(),
    JWT_JWKS_ALGORITHMS: z
      .string()
      .regex(/^(RS256|PS256|ES256)(,(RS256|PS256|ES256))*$/, 'a comma list of RS256, PS256, ES256')
      .default('RS256,ES256'),
    JWT_JWKS_TIMEOUT_MS: integer(100, 30_000).default(2000),
    // How long a fetched key set is used before it is fetched again: a key the provider removed is
    // still accepted for at most this long.
    JWT_JWKS_CACHE_MAX_AGE_MS: integer(1000, 86_400_000).default(600_000),
    // A token naming an unknown key refetches the set, at most once per this.
    JWT_JWKS_COOLDOWN_MS: integer(0, 3_600_000).default(30_000),

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
    // A listener of its own for /metrics, which the public port then does not serve.
    METRICS_PORT: integer(1, 65535).optional(),
    METRICS_HOST: z
      .string()
      .refine((value) => isIP(value) !== 0 || /^[A-Za-z0-9.-]{1,253}$/.test(value), 'an IP address or host name')
      .optional(),
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
    TRUST_PROXY: trustProxy.optional(),
    CORS_ORIGINS: z
      .string()
      .refine((value) => value.split(',').every((origin) => /^https?:\/\/[^\s,/]+$/.test(origin.trim())), {
        message: 'a comma list of origins like https://app.example.com',
      })
      .optional(),
  })
  .superRefine(
    (parsed, ctx) => {
      // Runs even when some variables failed their own rules, so that one start-up failure names every
      // problem. A variable that failed counts as unset here, and gets no second message.
      const failed = new Set(ctx.issues.map((issue) => String(issue.path?.[0])));
      const env = Object.fromEntries(
        Object.entries(parsed).map(([name, value]) => [name, failed.has(name) ? undefined : value]),
      ) as typeof parsed;
      const issue = (name: keyof typeof parsed, message: string) => {
        if (!failed.has(name)) ctx.addIssue({ code: 'custom', path: [name], message });
      };
      const production = env.NODE_ENV === 'production';
      const requireSecret = (name: keyof typeof DEVELOPMENT_SECRETS, raw: string | undefined) => {
        if (!production) return;
        if (raw === undefined) issue(name, 'is required in production');
        else if (raw === DEVELOPMENT_SECRETS[name]) issue(name, 'is the development default; set a real secret');
      };
      requireSecret('NIK_HASH_KEY', env.NIK_HASH_KEY);
      requireSecret('BULI2_API_KEY', env.BULI2_API_KEY);
      requireSecret('BULI2_WEBHOOK_SECRETS', env.BULI2_WEBHOOK_SECRETS);
      requireSecret('IMAGE_LINK_SECRET', env.IMAGE_LINK_SECRET);
      if (production && env.BULI2_URL === undefined) issue('BULI2_URL', 'is required in production');
      else if (production && !env.BULI2_URL?.startsWith('https:')) issue('BULI2_URL', 'must be https in production');
      if (production && env.PUBLIC_URL === undefined) issue('PUBLIC_URL', 'is required in production');
      else if (production && !env.PUBLIC_URL?.startsWith('https:')) issue('PUBLIC_URL', 'must be https in production');
      if (env.JWT_SECRET !== undefined && env.JWT_PUBLIC_KEY !== undefined)
        issue('JWT_PUBLIC_KEY', 'set JWT_SECRET or JWT_PUBLIC_KEY, not both');
      // A JWKS URL or a public key stands in for the secret; a secret that is set is checked all the same.
      if (env.JWT_SECRET !== undefined || (env.JWT_PUBLIC_KEY === undefined && env.JWT_JWKS_URL === undefined))
        requireSecret('JWT_SECRET', env.JWT_SECRET);
      if (env.JWT_SECRET !== undefined && Buffer.byteLength(env.JWT_SECRET) < MIN_SECRET_BYTES)
        issue('JWT_SECRET', `must be at least ${MIN_SECRET_BYTES} bytes`);
      if (env.JWT_PUBLIC_KEY !== undefined && !decodes(createPublicKey, env.JWT_PUBLIC_KEY))
        issue('JWT_PUBLIC_KEY', 'is not a PEM public key');
      if (env.JWT_PRIVATE_KEY !== undefined && !decodes(createPrivateKey, env.JWT_PRIVATE_KEY))
        issue('JWT_PRIVATE_KEY', 'is not a PEM private key');
      const algorithms = env.JWT_ALGORITHMS?.split(',') ?? [];
      if (env.JWT_PUBLIC_KEY !== undefined && algorithms.includes('HS256'))
        issue('JWT_ALGORITHMS', 'HS256 cannot be verified with a public key');
      if (env.JWT_PUBLIC_KEY === undefined && algorithms.some((name) => name !== 'HS256'))
        issue('JWT_ALGORITHMS', 'RS256/ES256 need JWT_PUBLIC_KEY');
      if (production && env.JWT_JWKS_URL !== undefined && !env.JWT_JWKS_URL.startsWith('https:'))
        issue('JWT_JWKS_URL', 'must be https in production');
      if (env.JWT_JWKS_ISSUER !== undefined && env.JWT_JWKS_URL === undefined && !failed.has('JWT_JWKS_URL'))
        issue('JWT_JWKS_ISSUER', 'needs JWT_JWKS_URL to be set');
      if (production && env.PII_ENCRYPTION_KEYS === undefined)
        issue('PII_ENCRYPTION_KEYS', 'is required in production');
      const developmentKey = Buffer.from(DEVELOPMENT_SECRETS.PII_ENCRYPTION_KEYS.split(':')[1] as string, 'base64');
      if (production && [...(env.PII_ENCRYPTION_KEYS?.values() ?? [])].some((key) => key.equals(developmentKey)))
        issue('PII_ENCRYPTION_KEYS', 'contains the development key; set real keys');
      // Checked against the keys only when the keys themselves could be read.
      if (!failed.has('PII_ENCRYPTION_KEYS')) {
        if (env.PII_ACTIVE_KEY_ID && !env.PII_ENCRYPTION_KEYS)
          issue('PII_ACTIVE_KEY_ID', 'needs PII_ENCRYPTION_KEYS to be set');
        if (env.PII_ENCRYPTION_KEYS && env.PII_ACTIVE_KEY_ID && !env.PII_ENCRYPTION_KEYS.has(env.PII_ACTIVE_KEY_ID))
          issue('PII_ACTIVE_KEY_ID', 'is not one of PII_ENCRYPTION_KEYS');
        if (env.PII_ENCRYPTION_KEYS && env.PII_ENCRYPTION_KEYS.size > 1 && !env.PII_ACTIVE_KEY_ID)
          issue('PII_ACTIVE_KEY_ID', 'is required when PII_ENCRYPTION_KEYS holds more than one key');
      }
      if (env.NIK_HASH_KEY !== undefined && Buffer.byteLength(env.NIK_HASH_KEY) < MIN_SECRET_BYTES)
        issue('NIK_HASH_KEY', `must be at least ${MIN_SECRET_BYTES} bytes`);
      if (env.REDIS_PASSWORD !== undefined && env.REDIS_URL !== undefined && new URL(env.REDIS_URL).password !== '')
        issue(
          'REDIS_PASSWORD',
          'REDIS_URL carries a password already; set it in REDIS_URL or REDIS_PASSWORD, not both',
        );
      if (production && env.TEMPORAL_ADDRESS === undefined) issue('TEMPORAL_ADDRESS', 'is required in production');
      if (
        env.REVIEW_ESCALATION_MS !== undefined &&
        env.REVIEW_REMINDER_MS !== undefined &&
        env.REVIEW_ESCALATION_MS <= env.REVIEW_REMINDER_MS
      )
        issue('REVIEW_ESCALATION_MS', 'must be greater than REVIEW_REMINDER_MS');
      if (env.STORAGE_DRIVER === 's3' && !env.S3_BUCKET) issue('S3_BUCKET', 'is required when STORAGE_DRIVER is s3');
      if (
        !failed.has('S3_ACCESS_KEY_ID') &&
        !failed.has('S3_SECRET_ACCESS_KEY') &&
        (env.S3_ACCESS_KEY_ID === undefined) !== (env.S3_SECRET_ACCESS_KEY === undefined)
      )
        issue(
          'S3_SECRET_ACCESS_KEY',
          'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY go together (or neither, for the default credential chain)',
        );
      if (env.METRICS_HOST !== undefined && env.METRICS_PORT === undefined && !failed.has('METRICS_PORT'))
        issue('METRICS_HOST', 'needs METRICS_PORT to be set');
      if (env.METRICS_PORT !== undefined && env.METRICS_PORT === env.PORT)
        issue('METRICS_PORT', 'must differ from PORT: /metrics gets a listener of its own');
    },
    // Also when some variables failed, but only over an object of them.
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

export type Environment = z.infer<typeof environmentSchema>;
