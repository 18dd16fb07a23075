/**
 * Group commit: calls that arrive while a flush is running wait, and the next flush takes them all
 * together, so under load many callers share one round trip (one statement and one commit, or one
 * pipeline) while a lone caller still goes within a turn of the event loop, with no timer to wait
 * out. Each caller gets its own outcome: `flush` settles every item separately, so one bad item
 * fails only its own caller.
 */
export type GroupCommitOptions = {
  /** The most items one flush takes; the rest wait for the next. */
  maxBatch: number;
  /** Flushes that may run at once (for example over several pooled connections). */
  maxInFlight?: number;
};

export function createGroupCommit<T, R>(
  flush: (items: T[]) => Promise<PromiseSettledResult<R>[]>,
  options: GroupCommitOptions,
): (item: T) => Promise<R> {
  type Waiter = { item: T; resolve: (result: R) => void; reject: (error: unknown) => void };
  const maxInFlight = options.maxInFlight ?? 1;
  let waiting: Waiter[] = [];
  let inFlight = 0;
  let scheduled = false;

  const run = async (batch: Waiter[]) => {
    let outcomes: PromiseSettledResult<R>[];
    try {
      outcomes = await flush(batch.map((waiter) => waiter.item));
      if (outcomes.length !== batch.length)
        throw new Error(`A group commit flush settled ${outcomes.length} of ${batch.length} items`);
    } catch (error) {
      outcomes = batch.map(() => ({ status: 'rejected', reason: error }));
    }
    batch.forEach((waiter, index) => {
      const outcome = outcomes[index] as PromiseSettledResult<R>;
      if (outcome.status === 'fulfilled') waiter.resolve(outcome.value);
      else waiter.reject(outcome.reason);
    });
  };

  const pump = () => {
    scheduled = false;
    while (inFlight < maxInFlight && waiting.length > 0) {
      const batch = waiting.length <= options.maxBatch ? waiting : waiting.slice(0, options.maxBatch);
      waiting = batch === waiting ? [] : waiting.slice(options.maxBatch);
      inFlight++;
      void run(batch).finally(() => {
        inFlight--;
        pump();
      });
    }
  };

  return (item) =>
    new Promise<R>((resolve, reject) => {
      waiting.push({ item, resolve, reject });
      // Deferred by one turn of the event loop, so the requests read in the same poll phase share
      // even the first flush.
      if (!scheduled && inFlight < maxInFlight) {
        scheduled = true;
        setImmediate(pump);
      }
    });
}
