import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { DocumentStorage } from '../../runtime/ports.ts';

/**
 * Uploaded files on the local disk, under one root directory. Keys are relative paths such as
 * `documents/<uuid>`; a key that would leave the root is refused. Writes go to a temporary file in
 * the same directory and are renamed into place, so a crash never leaves half a file under its key.
 */
const KEY = /^[a-z0-9][a-z0-9/_-]{0,200}$/;

export function createFsStorage(rootDirectory: string): DocumentStorage {
  const root = resolve(rootDirectory);
  const pathOf = (key: string) => {
    const path = resolve(join(root, key));
    if (!KEY.test(key) || key.includes('..') || !path.startsWith(root + sep))
      throw new Error(`Invalid storage key "${key}"`);
    return path;
  };
  return {
    async put(key, body) {
      const path = pathOf(key);
      const temporary = `${path}.${randomUUID()}.partial`;
      const write = () => writeFile(temporary, body, { flag: 'wx', mode: 0o600 });
      try {
        // The directory almost always exists; it is created only when the write says it is missing.
        await write().catch(async (error: NodeJS.ErrnoException) => {
          if (error.code !== 'ENOENT') throw error;
          await mkdir(dirname(path), { recursive: true });
          await write();
        });
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
    async get(key) {
      return readFile(pathOf(key));
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
  };
}
