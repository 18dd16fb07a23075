import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { Principal } from './auth.ts';
import { sendProblem } from './problems.ts';

/**
 * Per-user and per-IP limits (rate-limiter-flexible on Redis, so every API process shares the
 * counters). A request spends one point from both; when either is empty the answer is 429 with
 * `Retry-After` and the RateLimit headers (IETF draft: RateLimit-Limit/-Remaining/-Reset).
 * If Redis is unreachable the request is let through: a limit is a guard against abuse, and an
 * outage of the guard must not become an outage of verification.
 */
export function createRateLimit(deps: {
  redis: Redis;
  prefix: string;
  name: string;
  /** Requests per window, per user and per IP. */
  points: number;
  windowSeconds: number;
  onStoreError?: (error: Error) => void;
}): RequestHandler {
  const limiter = (scope: string) =>
    new RateLimiterRedis({
      storeClient: deps.redis,
      keyPrefix: `${deps.prefix}rl:${deps.name}:${scope}`,
      points: deps.points,
      duration: deps.windowSeconds,
    });
  const perUser = limiter('user');
  const perIp = limiter('ip');

  return async (request, response, next) => {
    const principal = response.locals.principal as Principal | undefined;
    try {
      const results = await Promise.all([
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
        sendProblem(response, { status: 429, title: 'Too Many Requests', detail: 'Slow down; see Retry-After.' });
        return;
      }
      deps.onStoreError?.(rejection as Error);
      next();
    }
  };
}

function setHeaders(response: Parameters<RequestHandler>[1], limit: number, result: RateLimiterRes) {
  response.setHeader('RateLimit-Limit', String(limit));
  response.setHeader('RateLimit-Remaining', String(Math.max(0, result.remainingPoints)));
  response.setHeader('RateLimit-Reset', String(Math.max(0, Math.ceil(result.msBeforeNext / 1000))));
}
