import type { Writable } from 'node:stream';
import winston from 'winston';
import type { Logger } from '../../runtime/ports.ts';
import { maskPii } from './maskPii.ts';

/**
 * Masks PII in every log line (DESIGN §9): the message and every metadata value, nested ones
 * included, go through `maskPii`, which returns copies, so the caller's objects are untouched.
 * winston keeps its own bookkeeping under Symbol keys (`Symbol.for('level')`, `Symbol.for('splat')`);
 * those are copied over as they are, and `json()` prints none of them.
 */
export const maskPiiFormat = winston.format((info) => {
  const masked = maskPii({ ...info }) as winston.Logform.TransformableInfo;
  for (const symbol of Object.getOwnPropertySymbols(info)) masked[symbol] = info[symbol];
  return masked;
});

/**
 * JSON lines on stdout (or on `stream`, for tests): one object per event, with the event name as
 * `message`, and PII masked.
 */
export function createLogger(options: {
  level: string;
  service?: string;
  silent?: boolean;
  stream?: Writable;
}): Logger & {
  close(): void;
} {
  const logger = winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    defaultMeta: { service: options.service ?? 'filot-kyc' },
    format: winston.format.combine(winston.format.timestamp(), maskPiiFormat(), winston.format.json()),
    transports: [
      options.stream === undefined
        ? new winston.transports.Console()
        : new winston.transports.Stream({ stream: options.stream }),
    ],
  });
  return {
    error: (message, fields) => logger.error(message, fields),
    warn: (message, fields) => logger.warn(message, fields),
    info: (message, fields) => logger.info(message, fields),
    debug: (message, fields) => logger.debug(message, fields),
    close: () => logger.close(),
  };
}
