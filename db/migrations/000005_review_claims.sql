-- Reviewers' claims on documents in review (issue 18; the reviewer console, docs/review-workflow.md).
--
-- Opening a document in the console claims it for a while (REVIEW_CLAIM_MS): a soft lock with an
-- expiry. One row per document at most: the claim, live until expires_at, after which any reviewer
-- may take it. The decision route refuses a decision by anyone but the holder of a live claim, and
-- deletes the claim once the decision is taken. A row past expires_at is a lapsed claim, the same as
-- none; the next claim overwrites it (adapters/postgres/reviewClaims.ts).
CREATE TABLE review_claims (
  document_id uuid PRIMARY KEY REFERENCES documents (id),
  reviewer_id text NOT NULL CHECK (length(reviewer_id) BETWEEN 1 AND 200),
  claimed_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CHECK (expires_at > claimed_at)
);
