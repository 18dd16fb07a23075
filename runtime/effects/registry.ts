import { z } from 'zod';
import { EFFECT_KINDS, type EffectKind } from '../../names/index.ts';
import type { Effect, OcrQueue, ReviewWorkflows } from '../ports.ts';

/**
 * Every outside effect a transition can ask for, with the machine action that raises it, the schema
 * of its payload and how it is delivered. A new effect is one entry here (and its name in
 * names/index.ts); the `satisfies` below refuses a kind without an entry or an entry without a kind.
 */

/**
 * What deliveries may use; an effect that reaches another system adds that system's port. A process
 * may lack an optional port (it does not run that role): it then leaves that kind of effect to a
 * process that has it.
 */
export type EffectPorts = { queue: OcrQueue; reviews?: ReviewWorkflows };

type EffectDefinition<Payload extends Record<string, unknown>> = {
  /** The machine's custom action (machines/document.machine.ts) that this effect carries out. */
  action: string;
  payload: z.ZodType<Payload>;
  /** The optional port the delivery needs; a process without it does not take these effects. */
  requires?: 'reviews';
  /** Must be idempotent: delivery is at least once. */
  deliver(ports: EffectPorts, entry: { id: string; documentId: string; payload: Payload }): Promise<void>;
};

const define = <Payload extends Record<string, unknown>>(definition: EffectDefinition<Payload>) => definition;

/** Any entry, whatever its payload: what the exhaustiveness check below needs to know. */
type SomeEffectDefinition = {
  action: string;
  payload: z.ZodType<Record<string, unknown>>;
  requires?: 'reviews';
  deliver(ports: EffectPorts, entry: never): Promise<void>;
};

export const EFFECTS = {
  enqueue_ocr: define({
    action: 'requestOcr',
    payload: z.object({}).strict(),
    // The job only names the document; the worker reads what is due from its stored status.
    deliver: (ports, entry) => ports.queue.enqueue(entry.documentId, `outbox:${entry.id}`),
  }),
  start_review: define({
    action: 'startReview',
    payload: z.object({}).strict(),
    requires: 'reviews',
    // The workflow id is the document's, so a second delivery finds the first workflow.
    deliver: async (ports, entry) => {
      if (!ports.reviews) throw new Error('This process runs no review workflows');
      await ports.reviews.start(entry.documentId);
    },
  }),
} satisfies Record<EffectKind, SomeEffectDefinition>;

const KIND_OF_ACTION = new Map<string, EffectKind>(EFFECT_KINDS.map((kind) => [EFFECTS[kind].action, kind]));

/**
 * The effects of the actions a transition returned. A custom action with no effect is a programming
 * error: failing here keeps the transition from committing with an effect that would never happen.
 */
export function effectsFromActions(actions: readonly { type: string }[]): Effect[] {
  return actions.map((action) => {
    const kind = KIND_OF_ACTION.get(action.type);
    if (!kind) throw new Error(`Machine action "${action.type}" has no effect in runtime/effects/registry.ts`);
    return { kind, payload: {} };
  });
}

/** The kinds of effect a process with `ports` delivers. */
export function deliverableKinds(ports: EffectPorts): EffectKind[] {
  return EFFECT_KINDS.filter((kind) => {
    const requires = (EFFECTS[kind] as SomeEffectDefinition).requires;
    return requires === undefined || ports[requires] !== undefined;
  });
}

export function isEffectKind(kind: string): kind is EffectKind {
  return (EFFECT_KINDS as readonly string[]).includes(kind);
}

/** Delivers one outbox entry; an unknown kind (a row written by a newer build) or a bad payload throws. */
export async function deliverEffect(
  ports: EffectPorts,
  entry: { id: string; documentId: string; kind: string; payload: unknown },
): Promise<void> {
  if (!isEffectKind(entry.kind)) throw new Error(`Unknown effect kind "${entry.kind}"`);
  const definition: EffectDefinition<Record<string, unknown>> = EFFECTS[entry.kind];
  const payload = definition.payload.parse(entry.payload);
  await definition.deliver(ports, { id: entry.id, documentId: entry.documentId, payload });
}
