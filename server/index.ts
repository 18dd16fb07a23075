/**
 * The HTTP side, as the entry points use it: the express application, the server that carries it
 * with its time limits, and the pieces the composition root builds for it (authentication, rate
 * limits). `routes/` holds the API's routes and their schemas, `http/` what every request passes
 * through (request ids, logging, problems, auth, limits).
 */
export { createApp, createMetricsApp } from './app.ts';
export { createAuth } from './http/auth.ts';
export { BULI2_SIGNATURE_HEADER, signBuli2Body } from './http/buli2Signature.ts';
export { createHttpServer, HTTP_TIMEOUTS, type HttpTimeouts } from './http/httpServer.ts';
export { type ImageLinkSettings, signImageLink } from './http/imageLinks.ts';
export { createRateLimit } from './http/rateLimits.ts';
