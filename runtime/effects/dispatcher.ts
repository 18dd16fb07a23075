import type { EffectKind } from '../../names/index.ts';
import { maskDigitRuns } from '../documents/eventLog.ts';
import { coerceError } from '../errors.ts';
import type { Logger, Outbox, OutboxEntry } from '../ports.ts';
import { deliverableKinds, deliverEffect, type EffectPorts } from './registry.ts';

/**
 * Effects are the machine's custom actions turned into data (registry.ts). They are written to the
 * outbox in the same statement as the transition, delivered right after the commit by the process
 * that made it, and again by the relay (outboxRelay.ts) if that process died first. Delivery is
 * therefore at least once; every consumer is idempotent (the OCR worker acts only on a document
 * whose stored status still asks for work).
 */

/** What came of delivering a batch: the ids delivered, and why each of the others failed (masked, for the outbox row). */
export type DeliveryReport = { delivered: string[]; failed: Map<string, string> };

export type EffectDispatcher = {
  /** The kinds of effect this process delivers (registry.ts `requires`); the relay claims only these. */
  kinds: readonly EffectKind[];
  /** Delivers entries. Never throws. */
  deliver(entries: readonly OutboxEntry[]): Promise<DeliveryReport>;
  /**
   * Delivers, then records delivery in the background (MARK_DELAY_MS): the fast path after a
   * commit. Waits for the delivery at most DELIVERY_WAIT_MS; a slower one goes on in the background
   * and, if it fails, the relay delivers later. An entry of a kind this process does not deliver
   * is left to the relay of a process that does. Never throws.
   */
  deliverAndMark(entries: readonly OutboxEntry[]): Promise<void>;
};

/**
 * How long delivered entries wait to be marked, so that the marks of many deliveries share one
 * UPDATE (at 1000 uploads/s, 20 statements a second instead of one per event-loop turn). It must stay
 * far below the outbox grace period (at least 1 s, composition/runtime.ts): a row still unmarked after that
 * is taken by the relay and delivered again, which is harmless but wasted.
 */
export const MARK_DELAY_MS = 50;

/**
 * How long the caller of a transition (an upload's 202, a reviewer's decision, a worker's next step)
 * waits for its effects to be delivered. The transition is committed and its outbox row is durable,
 * so a Redis that is slow or unreachable must not hold the answer: past this the delivery finishes
 * (or fails, and the relay takes over) in the background.
 */
export const DELIVERY_WAIT_MS = 200;

export function createEffectDispatcher(deps: {
  ports: EffectPorts;
  outbox: Outbox;
  logger: Logger;
}): EffectDispatcher & {
  /** Waits for deliveries under way, marks now what is waiting to be marked, and waits for every mark (at shutdown). */
  flushMarks(): Promise<void>;
} {
  const kinds = deliverableKinds(deps.ports);
  const deliver = async (entries: readonly OutboxEntry[]): Promise<DeliveryReport> => {
    const report: DeliveryReport = { delivered: [], failed: new Map() };
    for (const entry of entries) {
      try {
        await deliverEffect(deps.ports, entry);
        report.delivered.push(entry.id);
      } catch (thrown) {
        const error = coerceError(thrown);
        report.failed.set(entry.id, describeFailure(error));
        deps.logger.warn('outbox.delivery_failed', {
          outboxId: entry.id,
          documentId: entry.documentId,
          kind: entry.kind,
          errorClass: error.name,
          error: maskDigitRuns(error.message),
        });
      }
    }
    return report;
  };
  let pending: string[] = [];
  let timer: NodeJS.Timeout | null = null;
  let marking: Promise<unknown> = Promise.resolve();
  const deliveries = new Set<Promise<void>>();
  const markNow = async () => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = pending;
    pending = [];
    if (batch.length > 0)
      marking = Promise.all([
        marking,
        deps.outbox.markDelivered(batch).catch((error: unknown) => {
          // The relay will deliver these again; consumers tolerate the duplicate.
          deps.logger.warn('outbox.mark_failed', { outboxIds: batch, error: coerceError(error).message });
        }),
      ]);
    await marking;
  };
  const markSoon = (ids: string[]) => {
    pending.push(...ids);
    timer ??= setTimeout(() => void markNow(), MARK_DELAY_MS);
  };
  return {
    kinds,
    deliver,
    async deliverAndMark(all) {
      const entries = all.filter((entry) => (kinds as readonly string[]).includes(entry.kind));
      if (entries.length === 0) return;
      const delivery = deliver(entries).then(({ delivered }) => {
        // Marked later, in the background: the effect is out, and the caller need not wait for
        // the bookkeeping. If the mark is lost, the relay delivers again.
        if (delivered.length > 0) markSoon(delivered);
      });
      deliveries.add(delivery);
      void delivery.finally(() => deliveries.delete(delivery));
      let wait: NodeJS.Timeout | undefined;
      await Promise.race([delivery, new Promise((resolve) => (wait = setTimeout(resolve, DELIVERY_WAIT_MS)))]);
      clearTimeout(wait);
    },
    async flushMarks() {
      await Promise.all(deliveries);
      await markNow();
    },
  };
}

/** What the outbox row keeps of a failed delivery: the error's class and message, digit runs masked. */
export function describeFailure(error: Error): string {
  return `${error.name}: ${maskDigitRuns(error.message)}`.slice(0, 500);
}
