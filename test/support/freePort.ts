/** A TCP port on 127.0.0.1 that was free a moment ago (the usual race is harmless: a start on it fails loudly). */
export { freePort } from '../../composition/temporalDevServer.ts';
