/**
 * Keeps one processing lease alive while its OCR runs, the way BullMQ's LockManager keeps a job's
 * lock: it extends the lease every third of its length, so two extensions can fail (a slow or
 * briefly unreachable database) before the lease runs out. An extension the store refuses means
 * the lease is gone (the reaper expired it, and the next attempt has a new token): `onLost` runs
 * once and the keeper stops. A failed extension is reported and the next one tried on schedule.
 */
export type LeaseKeeperOptions = {
  documentId: string;
  leaseToken: string;
  leaseMs: number;
  /** Pushes the lease's expiry `leaseMs` ahead if `leaseToken` is still current; false when it is not. */
  extend(documentId: string, leaseToken: string, leaseMs: number): Promise<boolean>;
  onLost(): void;
  onError(error: unknown): void;
};

/** Extensions this often are what the lease's length is divided by; a floor keeps tiny test leases sane. */
const EXTENSIONS_PER_LEASE = 3;
const MIN_INTERVAL_MS = 50;

export function keepLease(options: LeaseKeeperOptions): { stop(): void } {
  let stopped = false;
  const stop = () => {
    stopped = true;
    clearInterval(timer);
  };
  const timer = setInterval(
    () => {
      options.extend(options.documentId, options.leaseToken, options.leaseMs).then(
        (extended) => {
          if (extended || stopped) return;
          stop();
          options.onLost();
        },
        (error: unknown) => {
          if (!stopped) options.onError(error);
        },
      );
    },
    Math.max(MIN_INTERVAL_MS, Math.floor(options.leaseMs / EXTENSIONS_PER_LEASE)),
  );
  return { stop };
}
