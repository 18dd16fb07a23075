import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DatabasePool } from 'slonik';
import { createDatabasePool } from '../../adapters/postgres/pool.ts';
import { migrate } from '../../db/migrate.ts';

/** The server the tests use; each test file gets a database of its own on it and drops it afterwards. */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type TestDatabase = { url: string; name: string; drop(): Promise<void> };

export async function createTestDatabase(options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `filot_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  if (options.migrate !== false) await migrate(url.toString());
  return {
    url: url.toString(),
    name,
    drop: () => dropDatabase(name),
  };
}

/** Drops a database of the test server, whoever is still connected to it. */
export async function dropDatabase(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_SERVER_URL });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export async function createTestPool(database: TestDatabase, poolSize = 10): Promise<DatabasePool> {
  return createDatabasePool({ databaseUrl: database.url, poolSize, applicationName: 'filot-test' });
}
