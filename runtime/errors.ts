/**
 * The runtime's error types. Callers branch on `code` (the API maps them to HTTP statuses);
 * messages carry ids and state names, never PII.
 */

/**
 * The one way an error is declared here and in the adapters: a class of its own (so `name` in logs
 * says which error it was) with a stable lower_snake `code` that callers branch on, never the message.
 */
export class CodedError<Code extends string = string> extends Error {
  readonly code: Code;
  constructor(code: Code, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

export class IllegalTransitionError extends CodedError<'illegal_transition'> {
  readonly documentId: string;
  readonly status: string;
  readonly eventType: string;
  constructor(documentId: string, status: string, eventType: string) {
    super('illegal_transition', `Event ${eventType} is not allowed for document ${documentId} in status "${status}"`);
    this.documentId = documentId;
    this.status = status;
    this.eventType = eventType;
  }
}

export class DocumentNotFoundError extends CodedError<'document_not_found'> {
  readonly documentId: string;
  constructor(documentId: string) {
    super('document_not_found', `Document ${documentId} does not exist`);
    this.documentId = documentId;
  }
}

export class InvalidEventError extends CodedError<'invalid_event'> {
  readonly issues: readonly { path: PropertyKey[]; message: string }[];
  constructor(issues: readonly { path: PropertyKey[]; message: string }[]) {
    super(
      'invalid_event',
      `Invalid event: ${issues.map((issue) => `${issue.path.join('.') || '(event)'} ${issue.message}`).join('; ')}`,
    );
    this.issues = issues;
  }
}

/** Raised only when a document stays contended beyond every retry; the caller may try again later. */
export class ContentionError extends CodedError<'contention'> {
  readonly documentId: string;
  constructor(documentId: string, attempts: number) {
    super('contention', `Document ${documentId} changed under ${attempts} consecutive attempts; try again`);
    this.documentId = documentId;
  }
}

export class SnapshotMigrationError extends CodedError<'snapshot_migration'> {
  constructor(message: string, options?: ErrorOptions) {
    super('snapshot_migration', message, options);
  }
}

export function coerceError(value: unknown): Error {
  return value instanceof Error ? value : new Error(`Non-error thrown: ${String(value)}`, { cause: value });
}

const RUNTIME_ERRORS = [
  IllegalTransitionError,
  DocumentNotFoundError,
  InvalidEventError,
  ContentionError,
  SnapshotMigrationError,
] as const;

export type RuntimeError = InstanceType<(typeof RUNTIME_ERRORS)[number]>;

/**
 * Whether an error is one of the runtime's own verdicts about a document (illegal, unknown,
 * invalid, contended, unrestorable). Anything else, such as a refused connection or a timeout,
 * is the infrastructure's: worth retrying soon, once the dependency answers again.
 */
export function isRuntimeError(error: unknown): error is RuntimeError {
  return RUNTIME_ERRORS.some((type) => error instanceof type);
}
