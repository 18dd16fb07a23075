import assert from 'node:assert/strict';
import { createRegionIndex } from '../../domain/identifiers/regions.ts';
import type { createApp } from '../../server/app.ts';

type ApiDeps = NonNullable<Parameters<typeof createApp>[0]['api']>;

/**
 * The API's dependencies with no stores behind them, for tests that build the app only to look at
 * its routes or its answers to bad requests: reads find nothing, and anything that would write
 * fails the test. `overrides` replace any of them; authentication is the caller's.
 */
export function stubApi(overrides: Pick<ApiDeps, 'auth'> & Partial<ApiDeps>): ApiDeps {
  return {
    queries: { view: async () => null, listByOwner: async () => ({ items: [], next: null }) },
    applicants: {
      create: async () => assert.fail('no applicant is created here'),
      get: async () => null,
      listByOwner: async () => ({ items: [], next: null }),
      documents: async () => [],
    },
    reviewQueue: async () => ({ items: [], next: null }),
    reviewQueueCounts: async () => ({ total: 0, reasons: { total: 0, items: [] }, types: { total: 0, items: [] } }),
    reviewRecordOf: async () => null,
    reviewClaims: {
      claim: async () => assert.fail('no claim is taken here'),
      release: async () => assert.fail('no claim is released here'),
      current: async () => null,
      clear: async () => {},
    },
    sameNikDocuments: async () => [],
    regions: createRegionIndex({ provinces: [], regencies: [], districts: [] }),
    store: { history: async () => [] },
    documents: {
      create: async () => assert.fail('no document is created here'),
      send: async () => assert.fail('no event is sent here'),
    },
    storage: { put: async () => {}, get: async () => Buffer.alloc(0), delete: async () => {} },
    idempotency: { begin: async () => ({ state: 'new' }), complete: async () => {}, abandon: async () => {} },
    maxUploadBytes: 1024,
    maxPixels: 1,
    machineMap: {
      countsByStatus: async () => ({}),
      recentTransitions: async () => ({ transitions: [], complete: true }),
      inStatus: async () => ({ items: [], next: null }),
      pathOf: async () => null,
    },
    ...overrides,
  };
}
