/**
 * What each field of the API means, for the fields whose zod schema does not say it itself
 * (`.describe()` wins). The API uses one name for one meaning, so a field is described by its name;
 * `Component.field` describes a field of one named schema only, and `path.id` (`query.type`) a parameter. documentShape.ts fills them in, and
 * test/unit/server/openApiDocument.test.ts fails on a field or parameter left without a description.
 */
export const FIELD_DESCRIPTIONS: Readonly<Record<string, string>> = {
  // Documents and verdicts
  id: 'Its id',
  documentId: 'The document id (a UUID)',
  type: 'The document type: `KTP` (identity card) or `NPWP` (tax card)',
  status:
    "The document's status in the verification machine: uploaded, processing, ocr_completed, ai_evaluated, " +
    'auto_approve, auto_reject, needs_review, approved or rejected',
  verdict:
    'The verdict for clients: `pending` (uploaded … ai_evaluated), `approved` (auto_approve, approved), ' +
    '`rejected` (auto_reject, rejected) or `in_review` (needs_review)',
  gpuProcessed: 'Whether OCR ran on a GPU; null until OCR has run',
  evaluation: 'The automatic evaluation, once it has run: score, reasons and the policy version; null before',
  score: 'The evaluation score, 0 (surely not valid) to 1 (surely valid); null before the evaluation',
  policyVersion: 'The version of the decision policy that scored it',
  reasons: 'The findings of the evaluation (see ReasonCode for every code)',
  fields:
    'The fields read from the card by name (NIK and NPWP masked to their last 4 digits for the owner); null before OCR',
  createdAt: 'When it was created (ISO 8601, UTC)',
  updatedAt: 'When it last changed (ISO 8601, UTC)',
  items: 'The items of this page, or of this list',
  nextCursor: 'The cursor of the next page (pass it as `cursor`); null on the last page',
  links: 'Where to read it next',
  self: 'The document',
  verification: 'Its verdict (`GET`, or `/events` for a stream)',
  // Reasons
  severity:
    '`reject`: a hard failure, never approved; `review`: a person must look; `info`: recorded, only lowers the score',
  message: 'What was found, in words (never a field value)',
  code: 'A stable code',
  // History and the machine
  seq: 'Its position in the document history, from 1',
  event: 'The machine event (UPLOADED, OCR_COMPLETED, REVIEW_DECIDED, …)',
  from: 'The status before',
  to: 'The status after',
  at: 'When (ISO 8601, UTC)',
  actor: 'Who caused it',
  review: 'The review decision it recorded (reviewers and admins only)',
  transition: 'The id of the machine transition it took',
  steps: 'The steps, oldest first',
  truncated: 'Whether older steps were left out',
  machine: 'The machine: its id and version',
  version: 'The version',
  svg: 'The drawing, as an SVG document',
  states: 'The states',
  transitions: 'The transitions',
  initial: 'Whether it is the initial state',
  final: 'Whether it is a final state',
  windowSeconds: 'The length of the window the transition counts cover, in seconds',
  complete: 'Whether the counts cover the whole window',
  count: 'How many',
  total: 'How many in all',
  since: 'Since when (ISO 8601, UTC)',
  types: 'The counts per document type',
  owner: 'The owner id, masked',
  // Reviews
  decision: '`approve` or `reject`',
  reason: 'Why: for the audit log',
  claim: 'The live claim: who holds it and until when',
  reviewerId: 'The reviewer who holds it',
  expiresAt: 'When it lapses (ISO 8601, UTC)',
  yours: 'Always true: the claim is the caller’s',
  approve: 'Templates for an approval',
  reject: 'Templates for a rejection',
  text: 'The template text',
  // BULI2
  review_id: 'The review id FiLot sent with the review',
  document_id: 'The document id FiLot sent with the review',
  reviewer: "BULI2's reviewer id",
  notes: "The reviewer's notes (at most 1,000 characters)",
  decided_at: 'When BULI2 decided (ISO 8601 with a zone)',
  expires: 'When the link expires (unix seconds)',
  signature: "The link's signature",
  // Parameters, by where they are (`path.id`), then by name
  'path.id': 'The document id (a UUID)',
  'path.status': 'The state, by its status',
  'path.documentId': 'The document id, as the link gives it',
  'query.type': 'Only documents of this type (`KTP` or `NPWP`)',
  'query.reason': 'Only documents with a reason of this code',
  // Paging and filters (query parameters)
  limit: 'How many items a page holds, 1–100',
  cursor: 'The `nextCursor` of the previous page; none for the first page',
};
