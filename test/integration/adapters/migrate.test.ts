import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { appendFile, copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { ensureDatabase, MIGRATIONS_DIR, MigrationError, migrate, readMigrations } from '../../../db/migrate.ts';
import { createTestDatabase, TEST_SERVER_URL, type TestDatabase } from '../../support/database.ts';

const INIT = '000001_init.sql';

/** Every database a test creates, dropped in `after`. */
const databases: TestDatabase[] = [];
const freshDatabase = async (): Promise<TestDatabase> => {
  const database = await createTestDatabase({ migrate: false });
  databases.push(database);
  return database;
};

/** Temporary migration directories, removed in `after`; the real db/migrations is never written to. */
const directories: string[] = [];
const copyOfMigrations = async (extra: Record<string, string> = {}): Promise<string> => {
  const directory = await mkdtemp(join(tmpdir(), 'filot-migrations-'));
  directories.push(directory);
  for (const name of await readdir(MIGRATIONS_DIR)) {
    if (name.endsWith('.sql')) await copyFile(join(MIGRATIONS_DIR, name), join(directory, name));
  }
  for (const [name, sql] of Object.entries(extra)) await writeFile(join(directory, name), sql);
  return directory;
};
const emptyDirectory = async (files: Record<string, string>): Promise<string> => {
  const directory = await mkdtemp(join(tmpdir(), 'filot-migrations-'));
  directories.push(directory);
  for (const [name, sql] of Object.entries(files)) await writeFile(join(directory, name), sql);
  return directory;
};

/** The name the next migration after the real ones must have, whatever the real ones are by now. */
const nextName = async (description: string): Promise<string> => {
  const count = (await readMigrations()).length;
  return `${String(count + 1).padStart(6, '0')}_${description}.sql`;
};

const query = async <Row extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []) => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<Row>(text, values)).rows;
  } finally {
    await client.end();
  }
};

const recorded = (url: string) =>
  query<{ name: string; checksum: string }>(url, 'SELECT name, checksum FROM schema_migrations ORDER BY name');

const tableExists = async (url: string, table: string) =>
  (await query<{ found: string | null }>(url, 'SELECT to_regclass($1)::text AS found', [table]))[0]?.found != null;

const isMigrationError =
  (...patterns: RegExp[]) =>
  (error: unknown) => {
    assert.ok(error instanceof MigrationError, `expected a MigrationError, got ${String(error)}`);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  };

after(async () => {
  await Promise.all(databases.map((database) => database.drop()));
  await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
});

describe('migrate()', () => {
  it('should apply 000001 to a fresh database and record its name and checksum', async () => {
    const database = await freshDatabase();
    const migrations = await readMigrations();
    const names = migrations.map((migration) => migration.name);
    assert.ok(names.includes(INIT));

    const report = await migrate(database.url);

    assert.deepEqual(report, { applied: names, alreadyApplied: 0 });
    const rows = await recorded(database.url);
    assert.deepEqual(
      rows.map((row) => row.name),
      names,
    );
    const initSql = await readFile(join(MIGRATIONS_DIR, INIT), 'utf8');
    const initRow = rows.find((row) => row.name === INIT);
    assert.equal(initRow?.checksum, createHash('sha256').update(initSql).digest('hex'));
    for (const table of ['documents', 'document_events', 'outbox', 'idempotency_keys']) {
      assert.ok(await tableExists(database.url, table), `${table} exists`);
    }
  });

  it('should apply nothing on a second run', async () => {
    const database = await freshDatabase();
    const first = await migrate(database.url);
    const before = await recorded(database.url);

    const second = await migrate(database.url);

    assert.deepEqual(second, { applied: [], alreadyApplied: first.applied.length });
    assert.deepEqual(await recorded(database.url), before);
  });

  for (const concurrency of [2, 5]) {
    it(`should apply each migration exactly once when ${concurrency} processes migrate a fresh database at once`, async () => {
      const database = await freshDatabase();
      const names = (await readMigrations()).map((migration) => migration.name);

      const reports = await Promise.all(Array.from({ length: concurrency }, () => migrate(database.url)));

      const applied = reports.flatMap((report) => report.applied).sort();
      assert.deepEqual(applied, names, 'every migration applied by exactly one of the processes');
      const appliers = reports.filter((report) => report.applied.length > 0);
      assert.equal(appliers.length, 1, 'one process applied everything, the others found nothing to do');
      for (const report of reports) {
        if (report !== appliers[0]) assert.deepEqual(report, { applied: [], alreadyApplied: names.length });
      }
      const rows = await recorded(database.url);
      assert.deepEqual(
        rows.map((row) => row.name),
        names,
        'one row per migration file',
      );
    });
  }

  it('should refuse to run when an applied migration was edited afterwards', async () => {
    const database = await freshDatabase();
    const directory = await copyOfMigrations();
    await migrate(database.url, directory);
    const before = await recorded(database.url);
    await appendFile(join(directory, INIT), '\n-- an afterthought\n');

    await assert.rejects(migrate(database.url, directory), isMigrationError(/000001_init\.sql/, /edited/));
    assert.deepEqual(await recorded(database.url), before, 'the recorded checksum is left alone');
  });

  it('should refuse to run when the database has a migration the directory lacks', async () => {
    const database = await freshDatabase();
    const extra = await nextName('extra_table');
    const directory = await copyOfMigrations({ [extra]: 'CREATE TABLE extra_table (id integer);' });
    const report = await migrate(database.url, directory);
    assert.ok(report.applied.includes(extra));

    await assert.rejects(migrate(database.url), isMigrationError(new RegExp(extra.replace('.', '\\.'))));
  });

  it('should roll back a failing migration, record nothing for it and keep 000001 recorded', async () => {
    const database = await freshDatabase();
    const broken = await nextName('broken');
    const directory = await copyOfMigrations({
      [broken]: [
        'CREATE TABLE partial_effect (id integer);',
        'INSERT INTO partial_effect VALUES (1);',
        'ALTER TABLE documents ADD COLUMN partial_column integer;',
        'SELECT * FROM no_such_table;',
      ].join('\n'),
    });

    await assert.rejects(migrate(database.url, directory), (error: unknown) => {
      isMigrationError(new RegExp(broken.replace('.', '\\.')), /failed/, /no_such_table/)(error);
      assert.equal((error as MigrationError & { cause: { code?: string } }).cause.code, '42P01');
      return true;
    });

    assert.equal(await tableExists(database.url, 'partial_effect'), false, 'the failed migration left no table');
    const columns = await query(
      database.url,
      "SELECT 1 FROM information_schema.columns WHERE table_name = 'documents' AND column_name = 'partial_column'",
    );
    assert.equal(columns.length, 0, 'the failed migration left no column');
    const names = (await recorded(database.url)).map((row) => row.name);
    assert.ok(names.includes(INIT), '000001 stays recorded');
    assert.equal(names.includes(broken), false, 'the failed migration is not recorded');
    assert.ok(await tableExists(database.url, 'documents'), '000001 stays applied');

    // Once the file is fixed, the next start applies it.
    await writeFile(join(directory, broken), 'CREATE TABLE partial_effect (id integer);');
    const report = await migrate(database.url, directory);
    assert.deepEqual(report.applied, [broken]);
    assert.ok(await tableExists(database.url, 'partial_effect'));
  });

  it('should refuse a badly named directory before touching the database', async () => {
    const database = await freshDatabase();
    const directory = await emptyDirectory({ [INIT]: 'SELECT 1;', '2_x.sql': 'SELECT 1;' });

    await assert.rejects(migrate(database.url, directory), isMigrationError(/2_x\.sql/));
    assert.equal(await tableExists(database.url, 'schema_migrations'), false);
  });
});

describe('readMigrations()', () => {
  it('should read the real migrations in order, numbered from 1 without gaps', async () => {
    const migrations = await readMigrations();
    assert.equal(migrations[0]?.name, INIT);
    migrations.forEach((migration, index) => {
      assert.equal(Number(migration.name.slice(0, 6)), index + 1);
      assert.match(migration.checksum, /^[0-9a-f]{64}$/);
    });
  });

  it('should refuse a file whose name is not NNNNNN_lower_snake.sql', async () => {
    for (const badName of ['2_x.sql', '000002-x.sql', '000002_Add_Table.sql', '0000002_x.sql', '000002_.sql']) {
      const directory = await emptyDirectory({ [INIT]: 'SELECT 1;', [badName]: 'SELECT 1;' });
      await assert.rejects(
        readMigrations(directory),
        isMigrationError(new RegExp(badName.replaceAll('.', '\\.'))),
        `${badName} is refused`,
      );
    }
  });

  it('should refuse a gap in the numbering', async () => {
    const directory = await emptyDirectory({ [INIT]: 'SELECT 1;', '000003_skipped_two.sql': 'SELECT 1;' });
    await assert.rejects(readMigrations(directory), isMigrationError(/000003_skipped_two\.sql/, /expected number 2/));
  });

  it('should refuse numbering that does not start at 1', async () => {
    const directory = await emptyDirectory({ '000002_first.sql': 'SELECT 1;' });
    await assert.rejects(readMigrations(directory), isMigrationError(/000002_first\.sql/, /expected number 1/));
  });

  it('should refuse two migrations with the same number', async () => {
    const directory = await emptyDirectory({ '000001_a.sql': 'SELECT 1;', '000001_b.sql': 'SELECT 1;' });
    await assert.rejects(readMigrations(directory), isMigrationError(/000001_b\.sql/));
  });

  it('should ignore files that are not .sql', async () => {
    const directory = await emptyDirectory({ [INIT]: 'SELECT 1;', 'README.md': '# notes' });
    const migrations = await readMigrations(directory);
    assert.deepEqual(
      migrations.map((migration) => migration.name),
      [INIT],
    );
  });
});

describe('ensureDatabase()', () => {
  const created: string[] = [];
  const urlFor = (name: string) => {
    const url = new URL(TEST_SERVER_URL);
    url.pathname = `/${encodeURIComponent(name)}`;
    return url.toString();
  };
  const newName = (prefix = 'filot_test_ensure') => {
    const name = `${prefix}_${randomBytes(6).toString('hex')}`;
    created.push(name);
    return name;
  };
  const exists = async (name: string) =>
    (await query(TEST_SERVER_URL, 'SELECT 1 FROM pg_database WHERE datname = $1', [name])).length === 1;

  after(async () => {
    const client = new pg.Client({ connectionString: TEST_SERVER_URL });
    await client.connect();
    try {
      for (const name of created)
        await client.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  });

  it('should create a missing database and return true, then return false once it exists', async () => {
    const name = newName();
    assert.equal(await exists(name), false);

    assert.equal(await ensureDatabase(urlFor(name)), true);
    assert.equal(await exists(name), true);
    assert.equal(await ensureDatabase(urlFor(name)), false);
    await migrate(urlFor(name));
    assert.ok(await tableExists(urlFor(name), 'documents'), 'the created database is usable');
  });

  it('should create a database whose name needs quoting', async () => {
    const name = newName('filot_test_Ensure-Quoted');
    assert.equal(await ensureDatabase(urlFor(name)), true);
    assert.equal(await exists(name), true);
    assert.equal(await ensureDatabase(urlFor(name)), false);
  });

  it('should let two concurrent calls for the same new database both succeed, only one creating it', async () => {
    const name = newName();
    const results = await Promise.all([ensureDatabase(urlFor(name)), ensureDatabase(urlFor(name))]);
    assert.deepEqual(results.sort(), [false, true]);
    assert.equal(await exists(name), true);
  });

  it('should let many concurrent calls for the same new database all succeed, only one creating it', async () => {
    for (let round = 0; round < 3; round++) {
      const name = newName();
      const results = await Promise.all(Array.from({ length: 6 }, () => ensureDatabase(urlFor(name))));
      assert.equal(results.filter(Boolean).length, 1, `round ${round}: exactly one call created it`);
      assert.equal(await exists(name), true);
    }
  });
});
