/**
 * Runs tasks one at a time per key, in call order, inside this process. The database's version
 * check is what makes concurrent sends safe across processes; this only saves the wasted round
 * trips that same-process callers would otherwise spend losing that check to each other.
 */
export function createKeyedSerializer() {
  const tails = new Map<string, Promise<unknown>>();
  return function serialize<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, tail);
    void tail.then(() => {
      if (tails.get(key) === tail) tails.delete(key);
    });
    return result;
  };
}
