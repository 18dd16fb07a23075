/**
 * `npm run outbox -- list [--limit N]`: the outbox entries given up on after OUTBOX_MAX_ATTEMPTS
 * failed deliveries (`outbox.dead_lettered`), oldest first, with their last error.
 * `npm run outbox -- redeliver (--all | ID...)`: puts them back in line with a fresh count of
 * attempts; the relay of any running process delivers them within OUTBOX_POLL_MS. Every effect is
 * idempotent, so redelivering one that was in fact delivered is harmless.
 */
import { parseArgs } from 'node:util';
import { createOutbox } from '../adapters/postgres/outbox.ts';
import { createDatabasePool } from '../adapters/postgres/pool.ts';
import { ConfigError, loadConfig } from '../config/index.ts';

const USAGE = 'usage: npm run outbox -- list [--limit N] | redeliver (--all | ID...)';

async function main() {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { all: { type: 'boolean', default: false }, limit: { type: 'string', default: '100' } },
  });
  const [command, ...ids] = positionals;
  const limit = Number(values.limit);
  const validIds = ids.every((id) => /^\d{1,19}$/.test(id));
  if (
    !(command === 'list' && ids.length === 0 && Number.isInteger(limit) && limit > 0) &&
    !(command === 'redeliver' && validIds && (values.all ? ids.length === 0 : ids.length > 0))
  ) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const pool = await createDatabasePool({
    databaseUrl: config.databaseUrl,
    poolSize: 1,
    applicationName: 'filot-outbox',
  });
  try {
    const outbox = createOutbox(pool);
    if (command === 'list') {
      for (const entry of await outbox.listDead(limit))
        console.log(
          JSON.stringify({
            id: entry.id,
            documentId: entry.documentId,
            kind: entry.kind,
            attempts: entry.attempts,
            deadAt: entry.deadAt.toISOString(),
            lastError: entry.lastError,
          }),
        );
      return 0;
    }
    const count = await outbox.redeliverDead(values.all ? undefined : ids);
    console.log(`${count} outbox entr${count === 1 ? 'y' : 'ies'} put back for delivery`);
    return 0;
  } finally {
    await pool.end();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      error instanceof ConfigError ? error.message : `outbox: ${error instanceof Error ? error.message : error}`,
    );
    process.exit(1);
  },
);
