-- The engine's first schema: documents with their persisted machine snapshots, the append-only
-- transition log, the transactional outbox and upload idempotency keys. See DESIGN §3.

CREATE TABLE documents (
  id uuid PRIMARY KEY,
  owner_id text NOT NULL CHECK (length(owner_id) BETWEEN 1 AND 128),
  type text NOT NULL CHECK (type IN ('KTP', 'NPWP')),
  status text NOT NULL CHECK (status IN (
    'uploaded', 'processing', 'ocr_completed', 'ai_evaluated',
    'auto_approve', 'auto_reject', 'needs_review', 'approved', 'rejected')),
  machine_version integer NOT NULL CHECK (machine_version > 0),
  snapshot jsonb NOT NULL CHECK (jsonb_typeof(snapshot) = 'object'),
  -- Optimistic concurrency: equals the seq of the document's latest event.
  version integer NOT NULL CHECK (version > 0),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  -- The lease of the worker processing the document; lease_token is the fencing token.
  lease_token uuid,
  lease_owner text,
  lease_expires_at timestamptz,
  gpu_processed boolean,
  storage_key text NOT NULL CHECK (length(storage_key) BETWEEN 1 AND 512),
  sha256 bytea NOT NULL CHECK (octet_length(sha256) = 32),
  mime text NOT NULL CHECK (mime IN ('image/jpeg', 'image/png', 'application/pdf')),
  size_bytes integer NOT NULL CHECK (size_bytes > 0),
  correlation_id text NOT NULL CHECK (length(correlation_id) BETWEEN 1 AND 128),
  -- Score, reasons and policy version: no PII by construction (reason messages never quote values).
  evaluation jsonb,
  -- PII, encrypted with AES-256-GCM (adapters/postgres/piiCipher.ts). Each ciphertext names its own
  -- key id; pii_key_id repeats it so a key rotation can find the rows still under an old key.
  pii_key_id text,
  ocr_result_enc bytea,
  fields_enc bytea,
  -- HMAC-SHA256 of the normalised NIK, for duplicate-identity look-ups without decrypting.
  nik_hash bytea CHECK (nik_hash IS NULL OR octet_length(nik_hash) = 32),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT documents_lease_complete CHECK (
    (lease_token IS NULL) = (lease_owner IS NULL) AND (lease_token IS NULL) = (lease_expires_at IS NULL)),
  CONSTRAINT documents_lease_only_while_processing CHECK (lease_token IS NULL OR status = 'processing'),
  CONSTRAINT documents_pii_key_named CHECK (
    (ocr_result_enc IS NULL AND fields_enc IS NULL) OR pii_key_id IS NOT NULL)
);

CREATE INDEX documents_owner_listing ON documents (owner_id, created_at DESC, id DESC);
CREATE INDEX documents_nik_hash ON documents (nik_hash) WHERE nik_hash IS NOT NULL;
CREATE INDEX documents_expiring_leases ON documents (lease_expires_at) WHERE status = 'processing';
-- What the sweeper looks for: work that is due according to Postgres.
CREATE INDEX documents_due_work ON documents (updated_at)
  WHERE status IN ('uploaded', 'ocr_completed', 'ai_evaluated');
CREATE INDEX documents_review_queue ON documents (updated_at) WHERE status = 'needs_review';

CREATE TABLE document_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id uuid NOT NULL REFERENCES documents (id),
  seq integer NOT NULL CHECK (seq > 0),
  event_type text NOT NULL CHECK (event_type ~ '^[A-Z][A-Z_]*$'),
  from_status text,
  to_status text NOT NULL,
  actor_type text NOT NULL CHECK (actor_type IN ('user', 'reviewer', 'system', 'buli2')),
  actor_id text NOT NULL CHECK (length(actor_id) BETWEEN 1 AND 128),
  correlation_id text NOT NULL CHECK (length(correlation_id) BETWEEN 1 AND 128),
  machine_version integer NOT NULL CHECK (machine_version > 0),
  -- The event with PII removed (runtime/eventLog.ts).
  payload jsonb NOT NULL,
  at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT document_events_gapless UNIQUE (document_id, seq),
  CONSTRAINT document_events_first_has_no_origin CHECK ((seq = 1) = (from_status IS NULL))
);

CREATE FUNCTION document_events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'document_events is append-only: % refused', TG_OP
    USING ERRCODE = 'FL001', HINT = 'Record a new event instead of changing history.';
END;
$$;

CREATE TRIGGER document_events_append_only
  BEFORE UPDATE OR DELETE ON document_events
  FOR EACH ROW EXECUTE FUNCTION document_events_refuse_change();

CREATE TRIGGER document_events_no_truncate
  BEFORE TRUNCATE ON document_events
  FOR EACH STATEMENT EXECUTE FUNCTION document_events_refuse_change();

CREATE TABLE outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  document_id uuid NOT NULL REFERENCES documents (id),
  kind text NOT NULL CHECK (kind IN ('enqueue_ocr')),
  payload jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- Backoff: the relay leaves a failed row alone until available_at.
  available_at timestamptz NOT NULL DEFAULT now(),
  attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  delivered_at timestamptz,
  last_error text
);

CREATE INDEX outbox_pending ON outbox (available_at, id) WHERE delivered_at IS NULL;

CREATE TABLE idempotency_keys (
  owner_id text NOT NULL CHECK (length(owner_id) BETWEEN 1 AND 128),
  key text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
  request_sha256 bytea NOT NULL CHECK (octet_length(request_sha256) = 32),
  document_id uuid REFERENCES documents (id),
  response_status integer CHECK (response_status BETWEEN 100 AND 599),
  response_body jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (owner_id, key),
  CHECK (expires_at > created_at)
);

CREATE INDEX idempotency_keys_expiry ON idempotency_keys (expires_at);
