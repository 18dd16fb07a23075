import { coerceError } from '../errors.ts';
import type { Logger } from '../ports.ts';

/**
 * Runs `task` every `intervalMs` (±10% jitter, so processes started together do not sweep in
 * lockstep), never overlapping itself. `stop()` waits for a run in progress.
 */
export function startPeriodic(
  name: 'outbox' | 'outbox_prune' | 'reaper' | 'sweeper',
  intervalMs: number,
  task: () => Promise<void>,
  logger: Logger,
) {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (stopped) return;
    const jitter = intervalMs * 0.1 * (Math.random() * 2 - 1);
    timer = setTimeout(tick, Math.max(1, Math.round(intervalMs + jitter)));
  };
  const tick = () => {
    current = task()
      .catch((error: unknown) => logger.error(`${name}.failed`, { error: coerceError(error).message }))
      .finally(schedule);
  };
  schedule();
  return {
    /** Runs the task now (after any run in progress), e.g. from a test. */
    async runNow() {
      await current;
      await task();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await current;
    },
  };
}
