import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { CreateBucketCommand, GetObjectAclCommand, S3Client } from '@aws-sdk/client-s3';
import { createStorage } from '../../../adapters/storage/index.ts';
import { createS3Storage } from '../../../adapters/storage/s3Storage.ts';
import { loadConfig } from '../../../config/index.ts';
import { type MotoServer, startMotoServer } from '../../support/motoServer.ts';
import { createTcpProxy } from '../../support/tcpProxy.ts';

describe('the s3 storage driver against a real S3-protocol server', () => {
  let moto: MotoServer;
  const bucket = `filot-test-${randomUUID().slice(0, 8)}`;
  const credentials = { accessKeyId: 'test-access-key', secretAccessKey: 'test-secret-key' };
  before(async () => {
    moto = await startMotoServer();
    const admin = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials });
    await admin.send(new CreateBucketCommand({ Bucket: bucket }));
    admin.destroy();
  });
  after(async () => {
    await moto?.stop();
  });

  const storageFromEnv = () =>
    createStorage(
      loadConfig({
        STORAGE_DRIVER: 's3',
        S3_BUCKET: bucket,
        S3_REGION: 'us-east-1',
        S3_ENDPOINT: moto.endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        S3_ACCESS_KEY_ID: credentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      }).storage,
    );

  it('should store, read back and delete an upload by document key, privately', async () => {
    const storage = storageFromEnv();
    const key = `documents/${randomUUID()}`;
    const body = randomBytes(300_000);
    await storage.put(key, body);
    assert.deepEqual(await storage.get(key), body);

    const admin = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true, credentials });
    const acl = await admin.send(new GetObjectAclCommand({ Bucket: bucket, Key: key }));
    assert.ok(
      (acl.Grants ?? []).every((grant) => grant.Grantee?.URI === undefined),
      'no grant to AllUsers or AuthenticatedUsers',
    );
    admin.destroy();

    await storage.delete(key);
    await assert.rejects(storage.get(key), /does not exist|NoSuchKey/);
    storage.close();
  });

  it('should give up on a bucket that stops answering instead of holding the upload', async () => {
    // An S3 endpoint through a proxy that is frozen: connected, and silent.
    const endpoint = new URL(moto.endpoint);
    const proxy = await createTcpProxy({ host: endpoint.hostname, port: Number(endpoint.port) });
    endpoint.port = String(proxy.port);
    const storage = createS3Storage(
      { bucket, region: 'us-east-1', endpoint: endpoint.toString(), forcePathStyle: true, credentials },
      { connectMs: 200, requestMs: 300, maxAttempts: 2 },
    );
    try {
      const key = `documents/${randomUUID()}`;
      await storage.put(key, randomBytes(1000));
      proxy.freeze();
      const started = performance.now();
      await assert.rejects(storage.get(key));
      // A bound, not a target: two attempts of 300 ms each, and the SDK's backoff between them.
      assert.ok(performance.now() - started < 5000, `gave up after ${Math.round(performance.now() - started)} ms`);
    } finally {
      proxy.restore();
      storage.close();
      await proxy.close();
    }
  });

  it('should refuse to start without a bucket, naming it', () => {
    assert.throws(() => loadConfig({ STORAGE_DRIVER: 's3' }), /S3_BUCKET: is required when STORAGE_DRIVER is s3/);
  });
});
