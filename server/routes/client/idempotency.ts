import type { Request } from 'express';
import { HttpProblem } from '../../http/problems.ts';
import type { IdempotencyKeys } from '../../ports.ts';

/**
 * `Idempotency-Key` on the client API's creating requests (an upload, a new applicant): the same
 * key with the same request answers the first answer again, marked `Idempotent-Replayed: true`, and
 * creates nothing; with another request it is 422. Keys are per caller and shared by the routes: a
 * route puts its own name into the request digest, so one key cannot stand for two kinds of request.
 */

/** The shape of an `Idempotency-Key` (published in the OpenAPI document as its pattern). */
export const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{1,255}$/;

/** The header as the OpenAPI document describes it, for `what` (an upload, a new applicant). */
export function idempotencyKeyParameter(what: string) {
  return {
    name: 'Idempotency-Key',
    in: 'header' as const,
    required: false,
    description: `Makes ${what} safe to retry: the same key with the same request answers the first answer again (\`Idempotent-Replayed: true\`); with another request, 422 \`idempotency_key_reused\`. Keys are per caller.`,
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
  };
}

/** The `Idempotent-Replayed` response header, for the OpenAPI document. */
export const IDEMPOTENT_REPLAYED_HEADER = {
  'Idempotent-Replayed': {
    description: '`true` when this is the stored answer to an earlier request with the same Idempotency-Key',
    schema: { type: 'string', enum: ['true'] },
  },
} as const;

/** The request's `Idempotency-Key`, if it sent one of the published shape. */
export function idempotencyKeyOf(request: Request): string | undefined {
  const key = request.get('idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key))
    throw new HttpProblem('validation_failed', {
      detail: 'Idempotency-Key must be 1–255 letters, digits, ".", "_", ":" or "-".',
    });
  return key;
}

/**
 * Claims the key for this request. Returns the stored answer when the same request was answered
 * before, nothing when this request goes ahead; another request under the key is refused.
 */
export async function claimKey(
  idempotency: IdempotencyKeys,
  ownerId: string,
  key: string,
  digest: Buffer,
): Promise<{ status: number; body: { id: string } } | undefined> {
  const outcome = await idempotency.begin(ownerId, key, digest);
  if (outcome.state === 'replay') return { status: outcome.status, body: outcome.body as { id: string } };
  if (outcome.state === 'mismatch')
    throw new HttpProblem('idempotency_key_reused', {
      detail: 'This Idempotency-Key was used with a different request.',
    });
  if (outcome.state === 'in_progress')
    throw new HttpProblem('idempotency_in_progress', {
      detail: 'A request with this Idempotency-Key is still being processed.',
    });
  return undefined;
}
