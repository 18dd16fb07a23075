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
 * How log lines are written: `json`, one object per line for a collector; `pretty`, one readable
 * line per event for a person at a terminal (`12:34:56.789 WARN  sweeper.recovered requeued=2`).
 */
export type LogFormat = 'json' | 'pretty';

/**
 * The format when none is configured: `pretty` for a developer watching a terminal (NODE_ENV
 * `development` and stdout a TTY), `json` wherever something else reads the lines (a pipe, a file,
 * a container's log driver), whatever the environment.
 */
export function defaultLogFormat(environment: { nodeEnv: string; stdoutIsTty: boolean }): LogFormat {
  return environment.nodeEnv === 'development' && environment.stdoutIsTty ? 'pretty' : 'json';
}

/** Fields winston adds to every line, shown in the pretty line's head or not at all. */
const PRETTY_HIDDEN = new Set(['level', 'message', 'timestamp', 'service']);

type StackHolder = { message?: unknown; stack?: unknown };
const stackOf = (value: unknown): string | null =>
  typeof value === 'object' && value !== null && typeof (value as StackHolder).stack === 'string'
    ? ((value as StackHolder).stack as string)
    : null;

/** A field value as `key=value`: plain when it is a word or a number, JSON otherwise; an error by its message. */
function prettyValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s="]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (value === undefined) return 'undefined';
  if (stackOf(value) !== null) return JSON.stringify(String((value as StackHolder).message ?? ''));
  return JSON.stringify(value);
}

/**
 * One line per event: the time of day, the level, the event name and its fields as `key=value`.
 * Runs after `maskPiiFormat`, so it prints only what the JSON line would; the level's colour is
 * winston's `colorize`, used only when `colours` is set (a terminal).
 */
function prettyFormat(colours: boolean) {
  return winston.format.combine(
    winston.format((info) => {
      // Padded before colouring, so the escape codes do not count as width.
      info.level = info.level.toUpperCase().padEnd(5);
      return info;
    })(),
    ...(colours ? [winston.format.colorize({ level: true })] : []),
    winston.format.printf((info) => {
      const time = String(info.timestamp ?? '').slice(11, 23);
      const entries = Object.entries(info).filter(([key]) => !PRETTY_HIDDEN.has(key));
      const fields = entries.map(([key, value]) => `${key}=${prettyValue(value)}`);
      // An error's stack below its line, indented, where a person reads it.
      const stacks = entries
        .flatMap(([, value]) => stackOf(value) ?? [])
        .map((stack) => `\n    ${stack.replace(/\n/g, '\n    ')}`);
      return [time, info.level, String(info.message), ...fields].join(' ') + stacks.join('');
    }),
  );
}

/**
 * Log lines on stdout (or on `stream`, for tests), PII masked in either format: JSON lines (the
 * default) with the event name as `message`, or `pretty` lines for a terminal (`defaultLogFormat`).
 */
export function createLogger(options: {
  level: string;
  service?: string;
  silent?: boolean;
  stream?: Writable;
  format?: LogFormat;
  /** Colour the pretty line's level. Default: whether the output is a terminal. */
  colours?: boolean;
}): Logger & {
  close(): void;
} {
  const output = options.stream ?? process.stdout;
  const colours = options.colours ?? (output as Writable & { isTTY?: boolean }).isTTY === true;
  const render = options.format === 'pretty' ? prettyFormat(colours) : winston.format.json();
  const logger = winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    defaultMeta: { service: options.service ?? 'filot-kyc' },
    format: winston.format.combine(winston.format.timestamp(), maskPiiFormat(), render),
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
