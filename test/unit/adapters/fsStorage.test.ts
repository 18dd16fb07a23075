import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createFsStorage } from '../../../adapters/storage/fsStorage.ts';

describe('the local-disk storage driver', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'filot-fs-storage-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('should store, read back and delete a file, leaving no temporary file behind', async () => {
    const storage = createFsStorage(root);
    const body = randomBytes(10_000);
    await storage.put('documents/0a1b2c3d-0000-4000-8000-000000000001', body);
    assert.deepEqual(await storage.get('documents/0a1b2c3d-0000-4000-8000-000000000001'), body);
    assert.deepEqual(await readdir(join(root, 'documents')), ['0a1b2c3d-0000-4000-8000-000000000001']);
    await storage.delete('documents/0a1b2c3d-0000-4000-8000-000000000001');
    assert.deepEqual(await readdir(join(root, 'documents')), []);
  });

  it('should refuse keys that would leave its directory or are not plain paths', async () => {
    const storage = createFsStorage(root);
    for (const key of ['../escape', 'documents/../../escape', '/etc/passwd', 'Documents/UPPER', '', 'a b']) {
      await assert.rejects(storage.put(key, Buffer.from('x')), /Invalid storage key/, key);
    }
  });

  it('should not overwrite a stored file through a leftover temporary name', async () => {
    const storage = createFsStorage(root);
    await storage.put('documents/same', Buffer.from('first'));
    await storage.put('documents/same', Buffer.from('second'));
    assert.equal((await storage.get('documents/same')).toString(), 'second');
    assert.deepEqual(await readdir(join(root, 'documents')), ['same']);
  });

  it('should create the directory of a key again when it has been removed since the last write', async () => {
    const storage = createFsStorage(root);
    await storage.put('documents/first', Buffer.from('one'));
    await rm(join(root, 'documents'), { recursive: true });
    await storage.put('documents/second', Buffer.from('two'));
    assert.equal((await storage.get('documents/second')).toString(), 'two');
    assert.deepEqual(await readdir(join(root, 'documents')), ['second']);
  });
});
