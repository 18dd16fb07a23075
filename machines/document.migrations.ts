import { MACHINE_VERSION } from './document.machine.ts';

/**
 * Upgrades of persisted snapshots, one function per version step: `migrations[n]` turns a version-n
 * snapshot into a version-(n+1) one. Version 1 is the first, so there is nothing to migrate yet;
 * the day MACHINE_VERSION becomes 2, `migrations[1]` must exist or loading an old document fails
 * loudly instead of guessing.
 */
type PersistedSnapshot = Record<string, unknown>;
export const migrations: Record<number, (snapshot: PersistedSnapshot) => PersistedSnapshot> = {};

export function migrateSnapshot(snapshot: PersistedSnapshot, fromVersion: number): PersistedSnapshot {
  if (fromVersion > MACHINE_VERSION)
    throw new Error(`Snapshot is from machine version ${fromVersion}, newer than this build (${MACHINE_VERSION})`);
  let current = snapshot;
  for (let version = fromVersion; version < MACHINE_VERSION; version++) {
    const step = migrations[version];
    if (!step) throw new Error(`No migration from document machine version ${version} to ${version + 1}`);
    current = step(current);
  }
  return current;
}
