import assert from 'node:assert/strict';
import { chmod, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { DevServicesError, planDevServices, startDevServices } from '../../../composition/devServices.ts';
import { loadConfig } from '../../../config/index.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';

/**
 * `npm start` in development on a machine without Postgres or Redis (composition/devServices.ts): the
 * plan, and a real embedded Postgres and redis-server started and stopped. "Nothing answers" is told
 * to it here (`answers`), since this machine's own Postgres and Redis do answer on the default ports.
 */

const development = () => loadConfig({});
const nothingAnswers = async () => false;

const refuses = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

describe('the development services: what to start', () => {
  const found = {
    databaseUrl: 'postgres://dev@localhost:5432/filot',
    databaseIsDefault: true,
    postgresAnswers: false,
    embeddedPostgres: true as true | string,
    redisUrl: 'redis://127.0.0.1:6379',
    redisIsDefault: true,
    redisAnswers: false,
    redisServer: '/usr/bin/redis-server' as string | null,
  };

  it('should start what is missing at the default URLs, and nothing that answers or was configured', () => {
    assert.deepEqual(planDevServices(found), { plan: { postgres: 'embedded', redis: 'embedded' } });
    assert.deepEqual(planDevServices({ ...found, postgresAnswers: true, redisAnswers: true }), {
      plan: { postgres: 'configured', redis: 'configured' },
    });
    assert.deepEqual(
      planDevServices({ ...found, databaseIsDefault: false, redisIsDefault: false, redisServer: null }),
      {
        plan: { postgres: 'configured', redis: 'configured' },
      },
    );
  });

  it('should fail in one message naming each missing service and how to get it', () => {
    const result = planDevServices({ ...found, embeddedPostgres: 'its binaries are not installed', redisServer: null });
    assert.ok('problem' in result);
    const lines = result.problem.split('\n');
    assert.equal(lines.length, 3, result.problem);
    assert.match(lines[1] ?? '', /Postgres: nothing answers at localhost:5432.*its binaries are not installed/);
    assert.match(lines[1] ?? '', /apt-get install postgresql.*docker run .*postgres:\d+.*DATABASE_URL/);
    assert.match(lines[2] ?? '', /Redis: nothing answers at 127\.0\.0\.1:6379 and there is no redis-server on PATH/);
    assert.match(lines[2] ?? '', /apt-get install redis-server.*docker run -d -p 6379:6379 redis:7.*REDIS_URL/);
    const onlyRedis = planDevServices({ ...found, redisServer: null });
    assert.ok('problem' in onlyRedis);
    assert.doesNotMatch(onlyRedis.problem, /Postgres/);
  });
});

describe('the development services: started', () => {
  const directories: string[] = [];
  const dataDir = async () => {
    const directory = await mkdtemp(join(tmpdir(), 'filot-dev-services-'));
    // As root the embedded Postgres runs as another user, who must reach its data directory.
    await chmod(directory, 0o755);
    directories.push(directory);
    return join(directory, '.data');
  };
  after(async () => {
    for (const directory of directories) await rm(directory, { recursive: true, force: true });
  });

  it('should start nothing and probe nothing outside development', async () => {
    let probed = 0;
    const answers = async () => {
      probed += 1;
      return false;
    };
    for (const NODE_ENV of ['test', 'production']) {
      const config = { ...development(), nodeEnv: NODE_ENV as 'test' | 'production' };
      const { logger, entries } = recordingLogger();
      const services = await startDevServices(config, { logger, dataDir: await dataDir(), answers });
      assert.equal(services.config, config);
      await services.stop();
      assert.deepEqual(entries, []);
    }
    assert.equal(probed, 0);
  });

  it('should use what answers, and leave configured URLs alone', async () => {
    const { logger, entries } = recordingLogger();
    const config = development();
    const answering = await startDevServices(config, { logger, dataDir: await dataDir(), answers: async () => true });
    assert.equal(answering.config, config);
    const configured = { ...config, databaseUrl: 'postgres://db.internal:5432/filot', redisUrl: 'redis://cache:6379' };
    const given = await startDevServices(configured, { logger, dataDir: await dataDir(), answers: nothingAnswers });
    assert.equal(given.config, configured);
    assert.deepEqual(entries, []);
  });

  it('should fail at once, starting nothing, when a missing service cannot be had', async () => {
    const { logger, entries } = recordingLogger();
    const data = await dataDir();
    await assert.rejects(
      startDevServices(development(), {
        logger,
        dataDir: data,
        answers: nothingAnswers,
        redisServer: null,
        postgresBinaries: async () => {
          throw new Error('its binaries for this platform are not installed');
        },
      }),
      (error: Error) =>
        error instanceof DevServicesError &&
        /Postgres: .*its binaries for this platform are not installed/.test(error.message) &&
        /Redis: .*no redis-server on PATH/.test(error.message),
    );
    assert.deepEqual(entries, []);
    await assert.rejects(stat(data), { code: 'ENOENT' });
  });

  it('should run an embedded Postgres and a redis-server under the data directory, and stop both', async () => {
    const { logger, entries } = recordingLogger();
    const data = await dataDir();
    const services = await startDevServices(development(), { logger, dataDir: data, answers: nothingAnswers });
    let stopped = false;
    try {
      const database = new URL(services.config.databaseUrl);
      assert.equal(database.hostname, '127.0.0.1');
      assert.equal(database.pathname, '/filot');
      assert.equal(database.username, 'postgres');
      assert.equal(database.password, (await readFile(join(data, 'postgres', 'password'), 'utf8')).trim());
      database.pathname = '/postgres';
      const client = new pg.Client({ connectionString: database.toString() });
      await client.connect();
      try {
        const { rows } = await client.query<{ data_directory: string }>('SHOW data_directory');
        assert.equal(rows[0]?.data_directory, join(data, 'postgres', 'data'));
      } finally {
        await client.end();
      }
      const redis = new URL(services.config.redisUrl);
      assert.equal(redis.hostname, '127.0.0.1');
      assert.equal(await refuses(Number(redis.port)), false);
      assert.deepEqual(await readdir(join(data, 'redis')), [`owner-${process.pid}.json`]);

      const started = entries.filter((entry) => entry.message.endsWith('_started'));
      assert.deepEqual(
        started.map((entry) => entry.message),
        ['postgres.embedded_started', 'redis.dev_server_started'],
      );
      assert.equal(started[0]?.fields?.endpoint, `127.0.0.1:${database.port}`);
      if (process.getuid?.() === 0) assert.ok(['postgres', 'nobody'].includes(String(started[0]?.fields?.runAs)));
      assert.doesNotMatch(JSON.stringify(entries), new RegExp(database.password));

      await services.stop();
      stopped = true;
      await services.stop();
      assert.equal(await refuses(Number(database.port)), true);
      assert.equal(await refuses(Number(redis.port)), true);
      assert.deepEqual(
        entries
          .filter((entry) => entry.message.endsWith('_stopped'))
          .map((entry) => [entry.message, entry.fields?.forced]),
        [
          ['redis.dev_server_stopped', false],
          ['postgres.embedded_stopped', false],
        ],
      );
      assert.equal(entries.filter((entry) => entry.level === 'error').length, 0);
    } finally {
      if (!stopped) await services.stop();
    }

    // The second start reuses the cluster (no initdb) and its password.
    const again = await startDevServices(development(), {
      logger,
      dataDir: data,
      answers: nothingAnswers,
      redisServer: null,
      defaults: { databaseUrl: development().databaseUrl, redisUrl: 'redis://elsewhere:6379' },
    });
    try {
      assert.equal(
        new URL(again.config.databaseUrl).password,
        (await readFile(join(data, 'postgres', 'password'), 'utf8')).trim(),
      );
      const client = new pg.Client({ connectionString: again.config.databaseUrl.replace(/\/filot$/, '/postgres') });
      await client.connect();
      await client.end();
    } finally {
      await again.stop();
    }
  });
});
