import type { Config } from '../../config/index.ts';
import type { DocumentStorage } from '../../runtime/ports.ts';
import { createFsStorage } from './fsStorage.ts';
import { createS3Storage } from './s3Storage.ts';

/** The storage driver the configuration names (`STORAGE_DRIVER`). */
export function createStorage(settings: Config['storage']): DocumentStorage & { close(): void } {
  if (settings.driver === 's3') return createS3Storage(settings);
  return { ...createFsStorage(settings.directory), close: () => {} };
}
