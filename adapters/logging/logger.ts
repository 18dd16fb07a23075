import winston from 'winston';
import type { Logger } from '../../runtime/ports.ts';

/** JSON lines on stdout: one object per event, with the event name as `message`. */
export function createLogger(options: { level: string; service?: string; silent?: boolean }): Logger & {
  close(): void;
} {
  const logger = winston.createLogger({
    level: options.level,
    silent: options.silent ?? false,
    defaultMeta: { service: options.service ?? 'filot-kyc' },
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console()],
  });
  return {
    error: (message, fields) => logger.error(message, fields),
    warn: (message, fields) => logger.warn(message, fields),
    info: (message, fields) => logger.info(message, fields),
    debug: (message, fields) => logger.debug(message, fields),
    close: () => logger.close(),
  };
}
