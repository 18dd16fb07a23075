import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DocumentChanges } from '../../../server/ports.ts';
import { streamWakeups } from '../../../server/routes/client/streamWakeups.ts';

/** A change feed driven by hand: `signal(id)` is what a notification does. */
function handFeed() {
  const subscribers = new Map<string, Set<() => void>>();
  const feed: DocumentChanges & { signal(id: string): void; count(id: string): number } = {
    live: true,
    subscribe(id, onSignal) {
      const set = subscribers.get(id) ?? new Set();
      subscribers.set(id, set);
      set.add(onSignal);
      return () => set.delete(onSignal);
    },
    signal: (id) => {
      for (const onSignal of subscribers.get(id) ?? []) onSignal();
    },
    count: (id) => subscribers.get(id)?.size ?? 0,
  };
  return feed;
}

describe('stream wake-ups', () => {
  it('should wake on a signal for its document, not on one for another, and time out otherwise', async () => {
    const feed = handFeed();
    const wakeups = streamWakeups(feed, 'a', new AbortController().signal);
    const started = performance.now();
    setTimeout(() => feed.signal('b'), 10);
    setTimeout(() => feed.signal('a'), 40);
    assert.equal(await wakeups.next(5000), 'signalled');
    assert.ok(performance.now() - started < 1000);
    assert.equal(await wakeups.next(30), 'timeout');
    wakeups.stop();
    assert.equal(feed.count('a'), 0, 'unsubscribed');
  });

  it('should keep a signal that came between two waits, so no change is missed while the stream reads', async () => {
    const feed = handFeed();
    const wakeups = streamWakeups(feed, 'a', new AbortController().signal);
    feed.signal('a');
    feed.signal('a');
    const started = performance.now();
    assert.equal(await wakeups.next(5000), 'signalled');
    assert.ok(performance.now() - started < 50, 'at once');
    assert.equal(await wakeups.next(20), 'timeout', 'two signals before one wait are one wake-up');
  });

  it('should end a wait when the stream closes, and only time out without a feed', async () => {
    const stop = new AbortController();
    const wakeups = streamWakeups(undefined, 'a', stop.signal);
    const started = performance.now();
    setTimeout(() => stop.abort(), 20);
    assert.equal(await wakeups.next(5000), 'timeout');
    assert.ok(performance.now() - started < 1000);
    assert.equal(await wakeups.next(5000), 'timeout', 'at once once aborted');
    wakeups.stop();
  });
});
