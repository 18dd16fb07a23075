import type { EffectDispatcher } from './effects.ts';
import type { Logger, Outbox } from './ports.ts';

/**
 * Delivers outbox entries whose fast-path delivery never happened (the writing process crashed
 * between commit and effect, or Redis was down). At least once: an entry is marked delivered only
 * after its effect succeeded, and a failed one is retried with exponential backoff.
 */
const BATCH = 100;
// A claimed entry not marked within this time is taken up again by any relay.
const CLAIM_MS = 30_000;
const MAX_BACKOFF_MS = 5 * 60_000;

export function createOutboxRelay(deps: { outbox: Outbox; effects: EffectDispatcher; logger: Logger }) {
  return async function relayOutbox(): Promise<number> {
    let total = 0;
    for (;;) {
      const entries = await deps.outbox.claimDue(BATCH, CLAIM_MS);
      if (entries.length === 0) return total;
      const delivered = await deps.effects.deliver(entries);
      await deps.outbox.markDelivered(delivered);
      const deliveredIds = new Set(delivered);
      for (const entry of entries) {
        if (deliveredIds.has(entry.id)) continue;
        // 1 s, 2 s, 4 s … up to 5 min; `attempts` was already incremented by the claim.
        const backoffMs = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(entry.attempts - 1, 20));
        await deps.outbox.markFailed(entry.id, 'delivery failed', backoffMs);
      }
      total += delivered.length;
      if (delivered.length > 0) deps.logger.info('outbox.relayed', { count: delivered.length });
      if (entries.length < BATCH) return total;
    }
  };
}
