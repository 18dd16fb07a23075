/**
 * The runtime's error types. Callers branch on `code` (the API maps them to HTTP statuses);
 * messages carry ids and state names, never PII.
 */

export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
  readonly code = 'illegal_transition';
  readonly documentId: string;
  readonly status: string;
  readonly eventType: string;
  constructor(documentId: string, status: string, eventType: string) {
    super(`Event ${eventType} is not allowed for document ${documentId} in status "${status}"`);
    this.documentId = documentId;
    this.status = status;
    this.eventType = eventType;
  }
}

export class DocumentNotFoundError extends Error {
  override name = 'DocumentNotFoundError';
  readonly code = 'document_not_found';
  readonly documentId: string;
  constructor(documentId: string) {
    super(`Document ${documentId} does not exist`);
    this.documentId = documentId;
  }
}

export class InvalidEventError extends Error {
  override name = 'InvalidEventError';
  readonly code = 'invalid_event';
  readonly issues: readonly { path: PropertyKey[]; message: string }[];
  constructor(issues: readonly { path: PropertyKey[]; message: string }[]) {
    super(
      `Invalid event: ${issues.map((issue) => `${issue.path.join('.') || '(event)'} ${issue.message}`).join('; ')}`,
    );
    this.issues = issues;
  }
}

/** Raised only when a document stays contended beyond every retry; the caller may try again later. */
export class ContentionError extends Error {
  override name = 'ContentionError';
  readonly code = 'contention';
  readonly documentId: string;
  constructor(documentId: string, attempts: number) {
    super(`Document ${documentId} changed under ${attempts} consecutive attempts; try again`);
    this.documentId = documentId;
  }
}

export class SnapshotMigrationError extends Error {
  override name = 'SnapshotMigrationError';
  readonly code = 'snapshot_migration';
}

export function coerceError(value: unknown): Error {
  return value instanceof Error ? value : new Error(`Non-error thrown: ${String(value)}`, { cause: value });
}

/**
 * Whether an error is one of the runtime's own verdicts about a document (illegal, unknown,
 * invalid, contended, unrestorable). Anything else, such as a refused connection or a timeout,
 * is the infrastructure's: worth retrying soon, once the dependency answers again.
 */
export function isRuntimeError(error: unknown): boolean {
  return (
    error instanceof IllegalTransitionError ||
    error instanceof DocumentNotFoundError ||
    error instanceof InvalidEventError ||
    error instanceof ContentionError ||
    error instanceof SnapshotMigrationError
  );
}
