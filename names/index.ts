/**
 * The catalogue of the engine's names: document event types, effect kinds, log events and metrics.
 * Each is declared here once; code, the docs and the coming EMF writer take them from here.
 */

/** The events the document machine takes, declared by their schemas in machines/document.events.ts. */
export { DOCUMENT_EVENT_TYPES, type DocumentEventType } from '../machines/document.events.ts';
export { LOG_EVENTS, type LogEvent } from './logEvents.ts';
export { METRICS, type MetricKey } from './metrics.ts';

/** The event-log type of a document's first row, written by `create()` rather than sent to the machine. */
export const DOCUMENT_UPLOADED = 'DOCUMENT_UPLOADED';

/**
 * The outside effects a transition can ask for. Each has one entry in runtime/effects/registry.ts
 * (its payload schema and delivery); the type system refuses a kind without one.
 */
export const EFFECT_KINDS = ['enqueue_ocr', 'start_review'] as const;
export type EffectKind = (typeof EFFECT_KINDS)[number];
