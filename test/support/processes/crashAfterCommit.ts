/**
 * Creates one document and dies with SIGKILL at the moment its effects would be delivered: after
 * the transaction committed, before anything reached Redis. Settings in FILOT_TEST_CRASH as JSON:
 * { env: {...config variables}, document: NewDocument with sha256 as hex }.
 */

import { createDocumentStore } from '../../../adapters/postgres/documentStore.ts';
import { createPiiCipher } from '../../../adapters/postgres/piiCipher.ts';
import { createDatabasePool } from '../../../adapters/postgres/pool.ts';
import { loadConfig } from '../../../config/index.ts';
import { createDocumentMachine } from '../../../machines/document.machine.ts';
import { createDocuments } from '../../../runtime/documents/documents.ts';
import type { NewDocument } from '../../../runtime/ports.ts';

const settings = JSON.parse(process.env.FILOT_TEST_CRASH ?? '{}') as {
  env: Record<string, string>;
  document: Omit<NewDocument, 'sha256'> & { sha256: string };
};
const config = loadConfig(settings.env);
const pool = await createDatabasePool({ databaseUrl: config.databaseUrl, poolSize: 1 });
const documents = createDocuments({
  store: createDocumentStore(pool, createPiiCipher(config.pii), { outboxGraceMs: 200 }),
  machine: createDocumentMachine(config.machine),
  leaseMs: config.worker.leaseMs,
  effects: {
    kinds: ['enqueue_ocr'],
    deliver: async () => {
      process.kill(process.pid, 'SIGKILL');
      return { delivered: [], failed: new Map() };
    },
    deliverAndMark: async () => {
      process.kill(process.pid, 'SIGKILL');
    },
  },
});
await documents.create(
  { ...settings.document, sha256: Buffer.from(settings.document.sha256, 'hex') },
  { type: 'user', id: settings.document.ownerId },
);
console.error('the process should have been killed before this line');
process.exit(3);
