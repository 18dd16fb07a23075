import type { Logger, Outbox, RuntimeMetrics } from '../ports.ts';
import type { EffectDispatcher } from './dispatcher.ts';
import { isEffectKind } from './registry.ts';

/**
 * Delivers outbox entries whose fast-path delivery never happened (the writing process crashed
 * between commit and effect, or Redis was down). At least once: an entry is marked delivered only
 * after its effect succeeded, and a failed one is retried with exponential backoff. After
 * `maxAttempts` failures it is dead: the relay leaves it, says so once (log and metric), and an
 * operator puts it back with `npm run outbox -- redeliver`.
 */
const BATCH = 100;
// A claimed entry not marked within this time is taken up again by any relay.
const CLAIM_MS = 30_000;
const MAX_BACKOFF_MS = 5 * 60_000;

export type OutboxRelayDeps = {
  outbox: Outbox;
  effects: EffectDispatcher;
  logger: Logger;
  metrics?: Pick<RuntimeMetrics, 'outboxDeadLettered'>;
  /** Failed deliveries of one entry before it is given up on. */
  maxAttempts: number;
};

export function createOutboxRelay(deps: OutboxRelayDeps) {
  return async function relayOutbox(): Promise<number> {
    let total = 0;
    for (;;) {
      const entries = await deps.outbox.claimDue(BATCH, CLAIM_MS, deps.effects.kinds);
      if (entries.length === 0) return total;
      const { delivered, failed } = await deps.effects.deliver(entries);
      await deps.outbox.markDelivered(delivered);
      for (const entry of entries) {
        const error = failed.get(entry.id);
        if (error === undefined) continue;
        // `attempts` was already incremented by the claim.
        if (entry.attempts >= deps.maxAttempts) {
          await deps.outbox.markDead(entry.id, error);
          deps.logger.error('outbox.dead_lettered', {
            outboxId: entry.id,
            documentId: entry.documentId,
            kind: entry.kind,
            attempts: entry.attempts,
            error,
          });
          if (isEffectKind(entry.kind)) deps.metrics?.outboxDeadLettered(entry.kind);
          continue;
        }
        // 1 s, 2 s, 4 s … up to 5 min.
        const backoffMs = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** Math.min(entry.attempts - 1, 20));
        await deps.outbox.markFailed(entry.id, error, backoffMs);
      }
      total += delivered.length;
      if (delivered.length > 0) deps.logger.info('outbox.relayed', { count: delivered.length });
      if (entries.length < BATCH) return total;
    }
  };
}

const PRUNE_BATCH = 1000;

/**
 * Deletes delivered outbox rows older than `retentionMs`, a batch at a time so no statement holds
 * many row locks; without it the table grows by a row per OCR request forever.
 */
export function createOutboxPruner(deps: { outbox: Outbox; logger: Logger; retentionMs: number }) {
  return async function pruneOutbox(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await deps.outbox.pruneDelivered(deps.retentionMs, PRUNE_BATCH);
      total += deleted;
      if (deleted < PRUNE_BATCH) break;
    }
    if (total > 0) deps.logger.info('outbox.pruned', { count: total });
    return total;
  };
}
