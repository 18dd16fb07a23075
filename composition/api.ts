import type { DatabasePool } from 'slonik';
import { createApplicants } from '../adapters/postgres/applicants.ts';
import {
  createDocumentQueries,
  createReviewQueue,
  createReviewQueueCounts,
  createReviewRecordOf,
  createSameNikDocuments,
} from '../adapters/postgres/documentQueries.ts';
import { createIdempotencyKeys } from '../adapters/postgres/idempotencyKeys.ts';
import { createMachineMap } from '../adapters/postgres/machineMap.ts';
import type { PiiCipher } from '../adapters/postgres/piiCipher.ts';
import { createReviewClaims } from '../adapters/postgres/reviewClaims.ts';
import type { RegionIndex } from '../domain/identifiers/regions.ts';

/**
 * The API's read models (the machine map's among them) and idempotency keys over the process's
 * pool. They decrypt with the runtime's cipher (`runtime.adapters.cipher`), so a process holds one
 * set of PII keys.
 */
export function createApiAdapters(pool: DatabasePool, cipher: PiiCipher, regions: RegionIndex) {
  return {
    queries: createDocumentQueries(pool, cipher),
    applicants: createApplicants(pool, cipher),
    reviewQueue: createReviewQueue(pool),
    reviewQueueCounts: createReviewQueueCounts(pool),
    reviewRecordOf: createReviewRecordOf(pool),
    reviewClaims: createReviewClaims(pool),
    sameNikDocuments: createSameNikDocuments(pool),
    idempotency: createIdempotencyKeys(pool),
    machineMap: createMachineMap(pool),
    // The names a reviewer's decoded NIK shows (adapters/regions/loadRegions.ts, read once per process).
    regions,
  };
}
