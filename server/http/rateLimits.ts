import type { RequestHandler } from 'express';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { RateLimitStore } from '../ports.ts';
import type { Principal } from './auth.ts';
import { sendProblem } from './problems.ts';

/**
 * Per-user and per-IP limits (rate-limiter-flexible on Redis, so every API process shares the
 * counters). A request spends one point from both; when either is empty the answer is 429 with
 * `Retry-After` and the RateLimit headers (IETF draft: RateLimit-Limit/-Remaining/-Reset).
 *
 * When Redis cannot answer (not connected, or no reply within the connection's command timeout,
 * 200 ms on the `requests` connection), the limits are counted in this process's memory instead
 * (rate-limiter-flexible's insurance limiter, same points and window): an outage of the guard
 * neither blocks verification nor switches the limits off. Each process then counts on its own,
 * so N processes let through up to N times the limit until Redis is back.
 */

export function createRateLimit(deps: {
  redis: RateLimitStore;
  prefix: string;
  name: string;
  /** Requests per window, per user and per IP. */
  points: number;
  windowSeconds: number;
}): RequestHandler {
  const limiter = (scope: string) =>
    new RateLimiterRedis({
      storeClient: deps.redis,
      keyPrefix: `${deps.prefix}rl:${deps.name}:${scope}`,
      points: deps.points,
      duration: deps.windowSeconds,
      // A connection that is down or reconnecting goes to the insurance limiter at once instead of
      // queueing the command until it times out.
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ points: deps.points, duration: deps.windowSeconds }),
    });
  const perUser = limiter('user');
  const perIp = limiter('ip');

  return async (request, response, next) => {
    const principal = response.locals.principal as Principal | undefined;
    try {
      const results = await Promise.all([
        // The socket's address, or behind a gateway the client's as TRUST_PROXY's hops name it
        // (server/app.ts); without TRUST_PROXY every client behind a gateway shares its bucket.
        perIp.consume(request.ip ?? 'unknown'),
        ...(principal ? [perUser.consume(principal.id)] : []),
      ]);
      const tightest = results.reduce((a, b) => (a.remainingPoints <= b.remainingPoints ? a : b));
      setHeaders(response, deps.points, tightest);
      next();
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        setHeaders(response, deps.points, rejection);
        response.setHeader('Retry-After', String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))));
        sendProblem(response, 'rate_limited', { detail: 'Slow down; see Retry-After.' });
        return;
      }
      next(rejection);
    }
  };
}

function setHeaders(response: Parameters<RequestHandler>[1], limit: number, result: RateLimiterRes) {
  response.setHeader('RateLimit-Limit', String(limit));
  response.setHeader('RateLimit-Remaining', String(Math.max(0, result.remainingPoints)));
  response.setHeader('RateLimit-Reset', String(Math.max(0, Math.ceil(result.msBeforeNext / 1000))));
}
