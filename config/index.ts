import { availableParallelism, hostname, userInfo } from 'node:os';
import { DEVELOPMENT_SECRETS, type Environment, environmentSchema } from './schema.ts';

export type Config = {
  nodeEnv: Environment['NODE_ENV'];
  port: number;
  logLevel: Environment['LOG_LEVEL'];
  /** Unset: chosen by adapters/logging's defaultLogFormat (pretty on a development terminal). */
  logFormat: Environment['LOG_FORMAT'];
  databaseUrl: string;
  databasePoolSize: number;
  /** REDIS_URL with REDIS_PASSWORD, when set, as its password: every connection and child process takes this one URL. */
  redisUrl: string;
  redisKeyPrefix: string;
  pii: { keys: ReadonlyMap<string, Buffer>; activeKeyId: string; nikHashKey: Buffer };
  worker: {
    id: string;
    concurrency: number;
    leaseMs: number;
    ocrTimeoutMs: number;
    claimIdleMs: number;
    shutdownTimeoutMs: number;
  };
  jwt: {
    /**
     * HS256 secret or PEM public key: the static key. Absent only in production with a JWKS URL and
     * neither JWT_SECRET nor JWT_PUBLIC_KEY (every token then comes from the identity provider).
     */
    verificationKey?: string;
    algorithms: ('HS256' | 'RS256' | 'ES256')[];
    issuer: string;
    audience: string;
    /** For `npm run token` only: the HS256 secret or a PEM private key. */
    signingKey?: string;
    /** An identity provider's key set (JWT_JWKS_URL); null: the static key only. */
    jwks: JwksSettings | null;
  };
  http: {
    uploadsPerMinute: number;
    verificationPerMinute: number;
    corsOrigins: string[];
    metricsToken?: string;
    /** A listener of its own for /metrics (METRICS_PORT); null: /metrics is on the public port. */
    metricsListen: { port: number; host: string } | null;
    /** Express's `trust proxy`: which hops may name the client's address (TRUST_PROXY); false: none. */
    trustProxy: number | string[] | false;
    /** Open /verification/:id/events streams allowed per user and per process. */
    streams: { perUser: number; perProcess: number };
  };
  ocr: {
    device: Environment['OCR_DEVICE'];
    threads: number;
    engineThreads: number;
    recognitionLanes: number;
    precision: Environment['OCR_PRECISION'];
    maxPixels: number;
  };
  storage:
    | { driver: 'fs'; directory: string }
    | {
        driver: 's3';
        bucket: string;
        region: string;
        endpoint?: string;
        forcePathStyle: boolean;
        credentials?: { accessKeyId: string; secretAccessKey: string };
      };
  machine: { maxAttempts: number; approveThreshold: number };
  intervals: { outboxPollMs: number; reaperMs: number; sweeperMs: number; sweeperStaleMs: number };
  /** Failed deliveries before an outbox entry is dead, and how long delivered entries are kept. */
  outbox: { maxAttempts: number; retentionMs: number; pruneIntervalMs: number };
  /** `address` null: development starts a local dev server (production refuses to load without one). */
  temporal: { address: string | null; namespace: string; taskQueue: string; callTimeoutMs: number };
  /**
   * SLA of a review: a reminder, then an escalation, counted from when the review started; and how
   * long a reviewer's claim on a document lasts unless renewed (the reviewer console).
   */
  review: { reminderMs: number; escalationMs: number; claimMs: number };
  /**
   * The external review system (docs/buli2.md). `url` null: development runs the simulator.
   * `retry`: the forward activity's backoff (Temporal's retry policy), from `initialMs` doubling up to `maxIntervalMs`.
   */
  buli2: {
    url: string | null;
    apiKey: string;
    webhookSecrets: string[];
    timeoutMs: number;
    breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
    retry: { initialMs: number; maxIntervalMs: number };
  };
  /** The signed, expiring links to a document's image that BULI2 is given, on this API's public URL. */
  imageLinks: { publicUrl: string; secret: string; ttlSeconds: number };
  /**
   * Observability (docs/observability.md): CloudWatch EMF lines (null: off) and the Stately
   * inspector's WebSocket relay (null: off, and nothing is built for it).
   */
  observability: {
    emf: { logGroup: string; flushMs: number } | null;
    inspectWsUrl: string | null;
  };
  /** What this process runs: the HTTP API, OCR workers, the review (Temporal) worker. */
  roles: { api: boolean; ocr: boolean; review: boolean };
};

export type JwksSettings = {
  url: string;
  /** Expected `iss`: JWT_JWKS_ISSUER, or JWT_ISSUER when unset. */
  issuer: string;
  algorithms: ('RS256' | 'PS256' | 'ES256')[];
  timeoutMs: number;
  cacheMaxAgeMs: number;
  cooldownMs: number;
};

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * NODE_ENV alone, read before the rest: a tool that refuses to run in production says so even when
 * the rest of a production environment is missing (scripts/token.ts). Null when it is not a mode.
 */
export function nodeEnvOf(source: Record<string, string | undefined> = process.env): Environment['NODE_ENV'] | null {
  const parsed = environmentSchema.shape.NODE_ENV.safeParse(source.NODE_ENV || undefined);
  return parsed.success ? parsed.data : null;
}

/**
 * Reads and checks the whole environment at once, so one start-up failure names every bad variable.
 * Secret values never appear in the message.
 */
export function loadConfig(source: Record<string, string | undefined> = process.env): Config {
  // An empty string in a shell-exported variable means "unset", as in most twelve-factor tooling.
  const raw = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== ''));
  const parsed = environmentSchema.safeParse(raw);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (issue) => `  - ${issue.path.join('.') || '(environment)'}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration (${lines.length} problem(s)):\n${lines.join('\n')}`);
  }
  const env = parsed.data;
  const keys =
    env.PII_ENCRYPTION_KEYS ??
    (environmentSchema.shape.PII_ENCRYPTION_KEYS.parse(DEVELOPMENT_SECRETS.PII_ENCRYPTION_KEYS) as Map<string, Buffer>);
  const activeKeyId = env.PII_ACTIVE_KEY_ID ?? (keys.keys().next().value as string);
  return {
    nodeEnv: env.NODE_ENV,
    port: env.PORT,
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    databaseUrl: withDefaultUser(env.DATABASE_URL),
    databasePoolSize: env.DATABASE_POOL_SIZE,
    redisUrl: withRedisPassword(env.REDIS_URL, env.REDIS_PASSWORD),
    redisKeyPrefix: env.REDIS_KEY_PREFIX,
    pii: {
      keys,
      activeKeyId,
      nikHashKey: Buffer.from(env.NIK_HASH_KEY ?? DEVELOPMENT_SECRETS.NIK_HASH_KEY),
    },
    worker: {
      id: env.WORKER_ID ?? `${hostname()}-${process.pid}`,
      concurrency: env.WORKER_CONCURRENCY,
      leaseMs: env.OCR_LEASE_MS,
      ocrTimeoutMs: env.OCR_TIMEOUT_MS,
      claimIdleMs: env.STREAM_CLAIM_IDLE_MS,
      shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    },
    jwt: jwtSettings(env),
    http: {
      uploadsPerMinute: env.RATE_LIMIT_UPLOADS_PER_MINUTE,
      verificationPerMinute: env.RATE_LIMIT_VERIFICATION_PER_MINUTE,
      streams: { perUser: env.SSE_MAX_STREAMS_PER_USER, perProcess: env.SSE_MAX_STREAMS },
      corsOrigins: env.CORS_ORIGINS?.split(',').map((origin) => origin.trim()) ?? [],
      ...(env.METRICS_TOKEN ? { metricsToken: env.METRICS_TOKEN } : {}),
      metricsListen: env.METRICS_PORT ? { port: env.METRICS_PORT, host: env.METRICS_HOST ?? '127.0.0.1' } : null,
      trustProxy: env.TRUST_PROXY ?? false,
    },
    ocr: {
      device: env.OCR_DEVICE,
      threads: env.OCR_THREADS,
      engineThreads: env.OCR_ENGINE_THREADS,
      // By default the cores are shared out among the engine threads.
      recognitionLanes:
        env.OCR_RECOGNITION_LANES ?? Math.max(1, Math.floor(availableParallelism() / env.OCR_ENGINE_THREADS)),
      precision: env.OCR_PRECISION,
      maxPixels: env.OCR_MAX_PIXELS,
    },
    storage:
      env.STORAGE_DRIVER === 's3'
        ? {
            driver: 's3',
            bucket: env.S3_BUCKET as string,
            region: env.S3_REGION,
            ...(env.S3_ENDPOINT ? { endpoint: env.S3_ENDPOINT } : {}),
            forcePathStyle: env.S3_FORCE_PATH_STYLE,
            ...(env.S3_ACCESS_KEY_ID && env.S3_SECRET_ACCESS_KEY
              ? { credentials: { accessKeyId: env.S3_ACCESS_KEY_ID, secretAccessKey: env.S3_SECRET_ACCESS_KEY } }
              : {}),
          }
        : { driver: 'fs', directory: env.STORAGE_DIR },
    machine: {
      maxAttempts: env.OCR_MAX_ATTEMPTS,
      approveThreshold: env.DECISION_APPROVE_THRESHOLD,
    },
    intervals: {
      outboxPollMs: env.OUTBOX_POLL_MS,
      reaperMs: env.REAPER_INTERVAL_MS,
      sweeperMs: env.SWEEPER_INTERVAL_MS,
      sweeperStaleMs: env.SWEEPER_STALE_MS,
    },
    outbox: {
      maxAttempts: env.OUTBOX_MAX_ATTEMPTS,
      retentionMs: env.OUTBOX_RETENTION_HOURS * 3_600_000,
      pruneIntervalMs: env.OUTBOX_PRUNE_INTERVAL_MS,
    },
    temporal: {
      address: env.TEMPORAL_ADDRESS ?? null,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      callTimeoutMs: env.TEMPORAL_CALL_TIMEOUT_MS,
    },
    review: {
      reminderMs: env.REVIEW_REMINDER_MS,
      escalationMs: env.REVIEW_ESCALATION_MS,
      claimMs: env.REVIEW_CLAIM_MS,
    },
    buli2: {
      url: env.BULI2_URL ?? null,
      apiKey: env.BULI2_API_KEY ?? DEVELOPMENT_SECRETS.BULI2_API_KEY,
      webhookSecrets: (env.BULI2_WEBHOOK_SECRETS ?? DEVELOPMENT_SECRETS.BULI2_WEBHOOK_SECRETS)
        .split(',')
        .map((secret) => secret.trim()),
      timeoutMs: env.BULI2_TIMEOUT_MS,
      breaker: { consecutiveFailures: env.BULI2_BREAKER_FAILURES, halfOpenAfterMs: env.BULI2_BREAKER_HALF_OPEN_MS },
      retry: { initialMs: env.BULI2_RETRY_INITIAL_MS, maxIntervalMs: env.BULI2_RETRY_MAX_INTERVAL_MS },
    },
    imageLinks: {
      publicUrl: (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''),
      secret: env.IMAGE_LINK_SECRET ?? DEVELOPMENT_SECRETS.IMAGE_LINK_SECRET,
      ttlSeconds: env.IMAGE_LINK_TTL_S,
    },
    observability: {
      emf:
        env.METRICS_EMF === 'true'
          ? {
              logGroup:
                env.METRICS_EMF_LOG_GROUP ??
                (env.PROCESS_ROLES.size === 1 && env.PROCESS_ROLES.has('ocr')
                  ? '/ecs/filot-ocr-gpu-worker'
                  : '/ecs/filot-kyc'),
              flushMs: env.METRICS_EMF_FLUSH_MS,
            }
          : null,
      inspectWsUrl: env.INSPECT_WS_URL ?? null,
    },
    roles: {
      api: env.PROCESS_ROLES.has('api'),
      ocr: env.PROCESS_ROLES.has('ocr'),
      review: env.PROCESS_ROLES.has('review'),
    },
  };
}

function jwtSettings(env: Environment): Config['jwt'] {
  const common = {
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    jwks: env.JWT_JWKS_URL
      ? {
          url: env.JWT_JWKS_URL,
          issuer: env.JWT_JWKS_ISSUER ?? env.JWT_ISSUER,
          algorithms: env.JWT_JWKS_ALGORITHMS.split(',') as JwksSettings['algorithms'],
          timeoutMs: env.JWT_JWKS_TIMEOUT_MS,
          cacheMaxAgeMs: env.JWT_JWKS_CACHE_MAX_AGE_MS,
          cooldownMs: env.JWT_JWKS_COOLDOWN_MS,
        }
      : null,
  };
  if (env.JWT_PUBLIC_KEY !== undefined) {
    const algorithms = (env.JWT_ALGORITHMS?.split(',') ?? ['RS256', 'ES256']) as Config['jwt']['algorithms'];
    return {
      ...common,
      verificationKey: env.JWT_PUBLIC_KEY,
      algorithms,
      ...(env.JWT_PRIVATE_KEY ? { signingKey: env.JWT_PRIVATE_KEY } : {}),
    };
  }
  // Production with only a JWKS URL has no static key; elsewhere the development secret stands in.
  if (env.JWT_SECRET === undefined && env.JWT_JWKS_URL !== undefined && env.NODE_ENV === 'production')
    return { ...common, algorithms: ['HS256'] };
  const secret = env.JWT_SECRET ?? DEVELOPMENT_SECRETS.JWT_SECRET;
  return { ...common, verificationKey: secret, algorithms: ['HS256'], signingKey: secret };
}

/**
 * A Postgres URL without a user name means "the operating-system user", as libpq reads it; the `pg`
 * driver would instead look for a USER environment variable, which service managers often leave
 * unset. Filling it in here keeps the default `postgres://localhost:5432/filot` working everywhere.
 */
function withDefaultUser(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  if (url.username) return databaseUrl;
  url.username = userInfo().username;
  return url.toString();
}

/**
 * REDIS_PASSWORD goes into the URL's password, percent-encoded whole: ioredis decodes the URL's
 * password with decodeURIComponent, so any character (`@`, `:`, `/`, `%`, spaces) comes through as
 * it was. A user name in the URL is kept (Redis ACL: `AUTH user password`).
 */
function withRedisPassword(redisUrl: string, password: string | undefined): string {
  if (password === undefined) return redisUrl;
  const url = new URL(redisUrl);
  url.password = encodeURIComponent(password);
  return url.toString();
}
