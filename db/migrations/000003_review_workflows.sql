-- The review workflow that owns each document in needs_review (issue 14; workflows/review).
--
-- A row is written once the workflow is known to exist (its start succeeded, or found it started):
-- the sweeper starts the workflow of every document in needs_review without one, which covers
-- documents that reached review before this change and starts that were lost. When the external
-- review fails (failReviewWorkflow), the document is flagged here, and the internal queue shows it first.
CREATE TABLE review_workflows (
  document_id uuid PRIMARY KEY REFERENCES documents (id),
  workflow_id text NOT NULL CHECK (length(workflow_id) BETWEEN 1 AND 200),
  started_at timestamptz NOT NULL DEFAULT now(),
  -- How far its SLA timers have run (the workflow's recordSlaBreach activity keeps it).
  phase text NOT NULL DEFAULT 'waiting' CHECK (phase IN ('waiting', 'reminded', 'escalated')),
  external_failure text CHECK (length(external_failure) BETWEEN 1 AND 2000),
  flagged_at timestamptz,
  CHECK ((external_failure IS NULL) = (flagged_at IS NULL))
);
