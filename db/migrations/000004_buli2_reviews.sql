-- The BULI2 side of each review (issue 15; docs/buli2.md).
--
-- review_id: the id the review workflow made and sent to BULI2 with the forward; BULI2's signed
-- callback names it, and the callback route finds the document by it. buli2_state: where the
-- review stands there, kept by the workflow's activities for the internal queue and the detail
-- (null: not forwarded yet, or the review does not go to BULI2).
ALTER TABLE review_workflows
  ADD COLUMN review_id uuid UNIQUE,
  ADD COLUMN buli2_state text
    CHECK (buli2_state IN ('forwarded', 'retrying', 'failed', 'withdrawn', 'decided'));
