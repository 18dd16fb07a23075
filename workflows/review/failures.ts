import { ApplicationFailure } from '@temporalio/workflow';

/**
 * The type of the application failure behind `error`, or undefined: an activity's failure reaches
 * the workflow wrapped in an ActivityFailure, and the workflow's reaches the client wrapped again.
 * Shared by the workflow code and the client, so it imports nothing but `@temporalio/workflow`.
 */
export function applicationFailureType(error: unknown): string | undefined {
  for (let current: unknown = error; current instanceof Error; current = current.cause) {
    if (current instanceof ApplicationFailure && current.type) return current.type;
  }
  return undefined;
}
