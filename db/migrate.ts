import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

/**
 * Forward-only migrations. Files in db/migrations are named `NNNNNN_description.sql` and are never
 * edited once applied: the runner records each file's SHA-256 and refuses to start when a recorded
 * file changed or disappeared. Two processes starting at once serialise on an advisory lock, and the
 * second finds nothing left to do.
 *
 * This uses `pg` directly, not slonik: a migration file holds many statements (functions with `$$`
 * bodies included), which only the simple query protocol runs, and slonik refuses multi-statement
 * queries by design.
 */

export const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations/', import.meta.url));
const FILE_NAME = /^(\d{6})_[a-z0-9_]+\.sql$/;
// An arbitrary constant shared by every engine process: "the filot migration lock".
const ADVISORY_LOCK_KEY = 7_301_554_219;

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export type Migration = { name: string; sql: string; checksum: string };
export type MigrationReport = { applied: string[]; alreadyApplied: number };

export async function readMigrations(directory = MIGRATIONS_DIR): Promise<Migration[]> {
  const names = (await readdir(directory)).filter((name) => name.endsWith('.sql')).sort();
  const migrations: Migration[] = [];
  for (const [index, name] of names.entries()) {
    const match = FILE_NAME.exec(name);
    if (!match) throw new MigrationError(`Migration file "${name}" must be named NNNNNN_lower_snake.sql`);
    if (Number(match[1]) !== index + 1)
      throw new MigrationError(`Migration "${name}" breaks the sequence: expected number ${index + 1}`);
    const sql = await readFile(`${directory}/${name}`, 'utf8');
    migrations.push({ name, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

export async function migrate(databaseUrl: string, directory = MIGRATIONS_DIR): Promise<MigrationReport> {
  const migrations = await readMigrations(directory);
  const client = new pg.Client({ connectionString: databaseUrl, application_name: 'filot-migrate' });
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [ADVISORY_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      checksum text NOT NULL CHECK (checksum ~ '^[0-9a-f]{64}$'),
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM schema_migrations ORDER BY name',
    );
    const recorded = new Map(rows.map((row) => [row.name, row.checksum]));
    const known = new Set(migrations.map((migration) => migration.name));
    for (const name of recorded.keys()) {
      if (!known.has(name))
        throw new MigrationError(
          `The database has migration "${name}" applied, which this build does not have. Deploy a build that includes it; never delete an applied migration.`,
        );
    }
    const applied: string[] = [];
    for (const migration of migrations) {
      const checksum = recorded.get(migration.name);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum)
          throw new MigrationError(
            `Migration "${migration.name}" was edited after it was applied (checksum differs). Restore the original file and put the change in a new migration.`,
          );
        continue;
      }
      await client.query('BEGIN');
      try {
        await client.query(migration.sql);
        await client.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [
          migration.name,
          migration.checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new MigrationError(
          `Migration "${migration.name}" failed: ${error instanceof Error ? error.message : String(error)}`,
          {
            cause: error,
          },
        );
      }
      applied.push(migration.name);
    }
    return { applied, alreadyApplied: migrations.length - applied.length };
  } finally {
    // Ending the session releases the advisory lock even if unlocking is never reached.
    await client.end();
  }
}

/**
 * Creates the database named in the URL when it does not exist yet (for `npm start` on a fresh
 * machine). It connects to the maintenance database `postgres` only when the target is missing, so
 * a role that may not connect there (managed Postgres) works as long as its database exists.
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const probe = new pg.Client({ connectionString: databaseUrl, application_name: 'filot-migrate' });
  try {
    await probe.connect();
    return false;
  } catch (error) {
    // 3D000 invalid_catalog_name: the database does not exist; anything else is a real failure.
    if ((error as { code?: string }).code !== '3D000') throw error;
  } finally {
    await probe.end().catch(() => {});
  }
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = '/postgres';
  const client = new pg.Client({ connectionString: url.toString(), application_name: 'filot-migrate' });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
    return true;
  } catch (error) {
    // Another process created it meanwhile: 42P04 when it had finished, 23505 on
    // pg_database_datname_index when both CREATEs ran at once.
    const code = (error as { code?: string }).code;
    if (code === '42P04' || code === '23505') return false;
    throw error;
  } finally {
    await client.end();
  }
}
