import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import { type DocumentContext, type DocumentMachine, FINAL_STATUSES } from '../../machines/document.machine.ts';
import { maskDigitRuns } from '../../runtime/documents/eventLog.ts';
import type { CommittedTransition, Logger, TransitionObserver } from '../../runtime/ports.ts';
import { createRelaySocket } from './relaySocket.ts';

/**
 * The Stately inspector for developers (INSPECT_WS_URL, `npm run inspect`; the README, "Watching
 * machines in the Stately inspector").
 *
 * Every document this process moves is shown as an actor of its own, session `document:<id>`, the
 * root of its own system (rootId = its session, as XState gives a root actor): `@xstate.actor` with
 * the machine's definition and the current snapshot the first time this process sees the document
 * (its upload, or any later step after a restart), then `@xstate.event` and `@xstate.snapshot` for
 * every committed step. The events are built by `@statelyai/inspect`'s `createInspector`; they
 * travel over one WebSocket per process (./relaySocket.ts), which never blocks or throws.
 *
 * No PII leaves: the event is the redacted one the event log keeps (CommittedTransition), and the
 * snapshot is the persisted one with its context reduced to the allow-list below, field by field,
 * so that a field added to the context later is left out until someone adds it here on purpose.
 *
 * With no URL nothing is built (`createInspectionObserver` returns null) and the runtime's hot
 * path has no observer to call.
 */

type Clean = (value: unknown) => unknown;
type Fields = Record<string, unknown>;

const isObject = (value: unknown): value is Fields =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text: Clean = (value) => (typeof value === 'string' ? value : null);
const number: Clean = (value) => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const reason: Clean = (value) =>
  isObject(value)
    ? {
        code: text(value.code),
        severity: text(value.severity),
        // Reason messages never quote values; masked again in case a policy bug ever does.
        message: typeof value.message === 'string' ? maskDigitRuns(value.message) : null,
      }
    : null;

/** The context fields sent to the inspector, each with what is kept of it. Anything else is dropped. */
const CONTEXT_FIELDS = {
  documentType: text,
  attempts: number,
  leaseToken: text,
  lastErrorCode: text,
  evaluation: (value) =>
    isObject(value)
      ? {
          score: number(value.score),
          reasons: Array.isArray(value.reasons) ? value.reasons.map(reason) : [],
          policyVersion: text(value.policyVersion),
        }
      : null,
  reviewReason: text,
  review: (value) =>
    isObject(value)
      ? { decision: text(value.decision), reviewerId: text(value.reviewerId), source: text(value.source) }
      : null,
} satisfies { [K in keyof DocumentContext]?: Clean };

/** The context keys the inspector may see, in this order. */
export const INSPECTED_CONTEXT_KEYS = Object.keys(CONTEXT_FIELDS) as (keyof typeof CONTEXT_FIELDS)[];

/** The allowed fields of a persisted context, each reduced to its known shape. */
export function sanitizeContext(context: unknown): Fields {
  const source = isObject(context) ? context : {};
  const kept: Fields = {};
  for (const key of INSPECTED_CONTEXT_KEYS) {
    if (key in source) kept[key] = CONTEXT_FIELDS[key](source[key]);
  }
  return kept;
}

const SNAPSHOT_STATUSES = new Set(['active', 'done', 'error', 'stopped']);
type InspectedSnapshot = { status: 'active' | 'done' | 'error' | 'stopped'; value: unknown; context: Fields };

/** A persisted snapshot as the inspector gets it: status, state value and the allowed context. */
export function inspectedSnapshot(persisted: unknown): InspectedSnapshot {
  const source = isObject(persisted) ? persisted : {};
  const status = typeof source.status === 'string' && SNAPSHOT_STATUSES.has(source.status) ? source.status : 'active';
  const value = typeof source.value === 'string' || isObject(source.value) ? source.value : null;
  return { status: status as InspectedSnapshot['status'], value, context: sanitizeContext(source.context) };
}

type GuardFunction = ((...args: never[]) => unknown) & { guards?: unknown[] };

/** A guard as a label: its name, or a combinator over its guards as `and(leaseMatches, attemptsExhausted)`. */
const guardLabel = (guard: unknown): string => {
  if (typeof guard === 'string') return guard;
  if (isObject(guard) && typeof guard.type === 'string') return guard.type;
  if (typeof guard === 'function') {
    const { name, guards } = guard as GuardFunction;
    return Array.isArray(guards) ? `${name}(${guards.map(guardLabel).join(', ')})` : name;
  }
  return String(guard);
};

/**
 * The machine's definition as `@statelyai/inspect` sends it for an XState actor: its config as JSON,
 * a function written as `{ type: <its name> }`. Higher-order guards keep what they combine.
 */
export function machineDefinition(machine: Pick<DocumentMachine, 'config'>): string {
  return JSON.stringify(machine.config, (_key, value: unknown) =>
    typeof value === 'function' ? { type: guardLabel(value) } : value,
  );
}

/** The relay's address as logged: no credentials, query or fragment. */
const relayForLog = (url: string) => {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return 'invalid';
  }
};

export type InspectionObserver = {
  observer: TransitionObserver;
  /** Closes the socket to the relay; nothing is sent afterwards. */
  stop(): Promise<void>;
};

export type InspectionObserverOptions = {
  /** The relay (`config.observability.inspectWsUrl`); null or empty: nothing is built. */
  url: string | null | undefined;
  machine: Pick<DocumentMachine, 'config'>;
  logger: Logger;
  /** Documents remembered as announced (`@xstate.actor` sent); the oldest are forgotten first. */
  seenLimit?: number;
  /** The wait before trying the relay again (5 s, as `createWebSocketInspector`). */
  retryMs?: number;
  /** Events kept while the relay is unreachable (200, as `createWebSocketInspector`). */
  maxBuffered?: number;
};

export const sessionIdOf = (documentId: string) => `document:${documentId}`;

/** One per process: `observer` goes into the runtime's observers, `stop()` into the shutdown. */
export function createInspectionObserver(options: InspectionObserverOptions): InspectionObserver | null {
  if (!options.url) return null;
  const seenLimit = options.seenLimit ?? 10_000;
  const definition = machineDefinition(options.machine);
  const socket = createRelaySocket({
    url: options.url,
    ...(options.retryMs === undefined ? {} : { retryMs: options.retryMs }),
    ...(options.maxBuffered === undefined ? {} : { maxBuffered: options.maxBuffered }),
  });
  const inspector = createInspector(
    {
      start: () => socket.start(),
      send(event: StatelyInspectionEvent) {
        let message: string;
        try {
          message = JSON.stringify(event);
        } catch {
          return;
        }
        socket.send(message);
      },
    },
    {
      // Each document is the root of its own system, as XState reports a root actor. The definition
      // is set here: `inspector.actor()` ignores `info.definition` for an actor given by its id (0.7.2).
      serialize: (event) => ({
        ...event,
        rootId: event.sessionId,
        ...(event.type === '@xstate.actor' ? { definition } : {}),
      }),
    },
  );
  // Insertion order is use order: a document seen again moves to the end.
  const seen = new Map<string, true>();
  let stopped = false;

  const announce = (sessionId: string): boolean => {
    const known = seen.delete(sessionId);
    seen.set(sessionId, true);
    if (seen.size > seenLimit) seen.delete(seen.keys().next().value as string);
    return !known;
  };

  const observer: TransitionObserver = (step: CommittedTransition) => {
    if (stopped) return;
    try {
      const sessionId = sessionIdOf(step.documentId);
      const snapshot = inspectedSnapshot(step.snapshot);
      const event = step.event;
      if (announce(sessionId)) inspector.actor(sessionId, snapshot);
      inspector.event(sessionId, event);
      inspector.snapshot(sessionId, snapshot, { event });
      // A decided document takes no more steps: forgetting it keeps the memory for the live ones.
      if (FINAL_STATUSES.includes(step.toStatus)) seen.delete(sessionId);
    } catch {
      // The step has committed; the inspector is a developer's view and must never fail it.
    }
  };

  inspector.start();
  options.logger.info('inspector.started', { relay: relayForLog(options.url) });
  return {
    observer,
    async stop() {
      stopped = true;
      seen.clear();
      await socket.stop();
    },
  };
}
