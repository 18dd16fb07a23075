-- Applicants, client references and metadata (issue 19; docs/client-api.md).
--
-- An applicant groups one person's documents (a KTP and an NPWP) for the client that created it; a
-- document names its applicant at upload, and only one of the same owner (the API checks it before
-- the insert; applicants are never deleted or moved, so the check cannot go stale). `external_ref`
-- is the client's own id for the person and `metadata` a small object of the client's, both
-- returned everywhere and filterable by `external_ref`; neither may carry PII (the API refuses
-- what looks like an identity number, and bounds their size).
CREATE TABLE applicants (
  id uuid PRIMARY KEY,
  owner_id text NOT NULL,
  external_ref text CHECK (length(external_ref) BETWEEN 1 AND 128),
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object'),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX applicants_owner_listing ON applicants (owner_id, created_at DESC, id DESC);
CREATE INDEX applicants_external_ref ON applicants (owner_id, external_ref) WHERE external_ref IS NOT NULL;

ALTER TABLE documents
  ADD COLUMN applicant_id uuid REFERENCES applicants (id),
  ADD COLUMN external_ref text CHECK (length(external_ref) BETWEEN 1 AND 128),
  ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(metadata) = 'object');
CREATE INDEX documents_applicant ON documents (applicant_id, created_at, id) WHERE applicant_id IS NOT NULL;
CREATE INDEX documents_external_ref ON documents (owner_id, external_ref) WHERE external_ref IS NOT NULL;
