import type { DocumentChanges } from '../../ports.ts';

/**
 * What wakes an open event stream: a signal from the change feed about its document (a committed
 * change, or the feed stopping or resuming), or the end of a wait. Subscribed when created, so a
 * change committed between the stream's first read and its first wait still wakes it. Without a
 * feed only the waits end.
 */
export function streamWakeups(changes: DocumentChanges | undefined, documentId: string, signal: AbortSignal) {
  let signalled = false;
  let wake: (() => void) | null = null;
  const unsubscribe =
    changes?.subscribe(documentId, () => {
      signalled = true;
      wake?.();
    }) ?? (() => {});
  return {
    /**
     * Resolves on the next signal (at once when one came since the last wait), after `ms`, or when
     * `signal` aborts; says which.
     */
    async next(ms: number): Promise<'signalled' | 'timeout'> {
      if (!signalled && !signal.aborted)
        await new Promise<void>((resolve) => {
          const done = () => {
            clearTimeout(timer);
            signal.removeEventListener('abort', done);
            wake = null;
            resolve();
          };
          const timer = setTimeout(done, ms);
          signal.addEventListener('abort', done, { once: true });
          wake = done;
        });
      const outcome = signalled ? 'signalled' : 'timeout';
      signalled = false;
      return outcome;
    },
    stop: unsubscribe,
  };
}
