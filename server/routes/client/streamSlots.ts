/**
 * Bounds on open event streams: each holds a connection, a subscription to its document's changes
 * and, while the change listener is away, polls the database, so one user (or all of them together)
 * may hold only so many in this process. `acquire` gives a release function,
 * or null when a bound is reached; the caller answers 429 then.
 */
export function createStreamSlots(limits: { perUser: number; perProcess: number }) {
  const perUser = new Map<string, number>();
  let total = 0;
  return {
    acquire(userId: string): (() => void) | null {
      const held = perUser.get(userId) ?? 0;
      if (held >= limits.perUser || total >= limits.perProcess) return null;
      perUser.set(userId, held + 1);
      total++;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        total--;
        const left = (perUser.get(userId) ?? 1) - 1;
        if (left > 0) perUser.set(userId, left);
        else perUser.delete(userId);
      };
    },
    get open() {
      return total;
    },
  };
}

export type StreamSlots = ReturnType<typeof createStreamSlots>;
