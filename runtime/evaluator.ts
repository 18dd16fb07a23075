import { todayIn } from '../domain/dates.ts';
import type { RegionIndex } from '../domain/identifiers/regions.ts';
import { evaluateDocument } from '../domain/policy.ts';
import type { DocumentStore, Evaluator } from './ports.ts';

/**
 * The Evaluator port over the pure policy (domain/policy.ts), plus the one thing the policy cannot
 * know by itself: whether the same NIK was already verified for another owner. The NIK is read first
 * (evaluation without the duplicate flag is pure and cheap), then looked up by its keyed hash.
 */
export function createPolicyEvaluator(deps: {
  regions: RegionIndex;
  store: Pick<DocumentStore, 'nikVerifiedForOtherOwner'>;
  /** The clock, for the age and expiry checks; dates are taken in Indonesia's western time zone. */
  now?: () => Date;
}): Evaluator {
  const now = deps.now ?? (() => new Date());
  return {
    async evaluate({ type, ownerId, ocr }) {
      const input = { uploadedType: type, ocr, regions: deps.regions, today: todayIn(now()) };
      let evaluation = evaluateDocument({ ...input, duplicateIdentity: false });
      const nik = evaluation.fields.nik;
      if (nik && /^\d{16}$/.test(nik) && (await deps.store.nikVerifiedForOtherOwner(nik, ownerId)))
        evaluation = evaluateDocument({ ...input, duplicateIdentity: true });
      return {
        score: evaluation.score,
        reasons: evaluation.reasons,
        fields: evaluation.fields,
        policyVersion: evaluation.policyVersion,
      };
    },
  };
}
