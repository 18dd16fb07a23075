/**
 * A process for the last-resort tests: installs the last resort with the real logger, then fails in
 * the way FILOT_TEST_CRASH names. Its shutdown logs `shutdown.done`, or hangs when
 * FILOT_TEST_SHUTDOWN=hang.
 */
import { EventEmitter } from 'node:events';
import { createLogger } from '../../../adapters/logging/logger.ts';
import { installLastResort } from '../../../runtime/lastResort.ts';

const logger = createLogger({ level: 'info' });
installLastResort({
  logger,
  graceMs: 500,
  shutdown: async () => {
    if (process.env.FILOT_TEST_SHUTDOWN === 'hang') return new Promise(() => setInterval(() => {}, 1000));
    logger.info('shutdown.done');
  },
});
// Keeps the process alive, as a server would, so only the last resort can end it.
setInterval(() => {}, 1000);
setTimeout(() => {
  switch (process.env.FILOT_TEST_CRASH) {
    case 'error-event':
      new EventEmitter().emit('error', new RangeError('nobody listens'));
      break;
    case 'rejection':
      void Promise.reject(new TypeError('nobody awaits'));
      break;
    default:
      throw new Error('thrown from a timer');
  }
}, 10);
