import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { createRemoteJWKSet, decodeProtectedHeader, errors, type JWTVerifyGetKey, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
import { z } from 'zod';
import type { Config, JwksSettings } from '../../config/index.ts';
import type { Logger } from '../../runtime/ports.ts';
import { sendProblem } from './problems.ts';

/**
 * Bearer-token authentication and role checks. Tokens are verified with an explicit algorithm
 * allow-list (so `alg: none` and algorithm confusion are refused), issuer, audience and expiry (`exp`
 * is required); the claims must carry `sub` and a known `role`.
 *
 * Two sources of keys, either or both: the static key (JWT_SECRET or JWT_PUBLIC_KEY) and an identity
 * provider's key set (JWT_JWKS_URL). The token's header picks one, so a token is checked once and a
 * JWKS outage cannot touch the static tokens: a token naming a key (`kid`) goes to the key set when
 * one is configured; a token without `kid` goes to the static key. The static key is checked with
 * jsonwebtoken, synchronously (an HS256 check costs about 16 µs there against about 140 µs through
 * jose's WebCrypto), the key set with jose.
 *
 * The key set is fetched by jose's createRemoteJWKSet: cached for JWT_JWKS_CACHE_MAX_AGE_MS, fetched
 * again at once (at most once per JWT_JWKS_COOLDOWN_MS) for a `kid` it does not hold, which is how a
 * rotation's new key is taken up without a restart, and each fetch bounded by JWT_JWKS_TIMEOUT_MS.
 * When the set is needed and cannot be fetched (down, hanging, an answer that is not a key set), the
 * answer is 503 with Retry-After: the token may well be good, we cannot tell now. The next request
 * fetches again, so it recovers by itself.
 */

export const ROLES = ['user', 'reviewer', 'admin'] as const;
export type Role = (typeof ROLES)[number];
export type Principal = { id: string; role: Role };

const claims = z.object({
  // The subject becomes an owner or actor id in Postgres, which refuses U+0000 in text: a token
  // with control characters or broken Unicode in `sub` is refused here (401), not at the database.
  sub: z
    .string()
    .min(1)
    .max(128)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
    .regex(/^[^\u0000-\u001F\u007F]+$/)
    .refine((value) => value.isWellFormed()),
  role: z.enum(ROLES),
  // Required: a token without an expiry would be good forever.
  exp: z.number(),
});

/**
 * The static key imported once. Given a string, a verifier would import it on every verification,
 * which cost more than the signature check itself.
 */
export function verificationKeyObject(
  settings: Pick<Config['jwt'], 'algorithms'> & { verificationKey: string },
): KeyObject {
  return settings.algorithms.every((algorithm) => algorithm.startsWith('HS'))
    ? createSecretKey(Buffer.from(settings.verificationKey, 'utf8'))
    : createPublicKey(settings.verificationKey);
}

/** What a token came to: who it names, not a valid token, or the key set needed and out of reach. */
type Verdict = Principal | 'refused' | 'keys_unavailable';

/** Seconds either side of `exp` and `nbf` allowed for clock skew. */
const CLOCK_TOLERANCE_S = 5;

/** Seconds a client is asked to wait when the identity provider's keys cannot be fetched. */
const KEYS_RETRY_AFTER_S = 5;

class KeysUnavailable extends Error {
  override name = 'KeysUnavailable';
}

/**
 * The identity provider's key set, with every failure to fetch it turned into KeysUnavailable; a
 * set that was fetched but holds no key for the token stays jose's refusal (401).
 */
function remoteKeys(jwks: JwksSettings, reachable: (ok: boolean, error?: unknown) => void): JWTVerifyGetKey {
  const keySet = createRemoteJWKSet(new URL(jwks.url), {
    timeoutDuration: jwks.timeoutMs,
    cacheMaxAge: jwks.cacheMaxAgeMs,
    cooldownDuration: jwks.cooldownMs,
  });
  return async (header, token) => {
    try {
      const key = await keySet(header, token);
      reachable(true);
      return key;
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
        reachable(true);
        throw error;
      }
      reachable(false, error);
      throw new KeysUnavailable('the key set could not be fetched', { cause: error });
    }
  };
}

function bearerToken(request: Request): string | null {
  return /^Bearer +(\S+)$/i.exec(request.get('authorization') ?? '')?.[1] ?? null;
}

export function createAuth(settings: Config['jwt'], options: { logger?: Logger } = {}) {
  const staticKey =
    settings.verificationKey === undefined
      ? null
      : verificationKeyObject({ algorithms: settings.algorithms, verificationKey: settings.verificationKey });
  // Logged on the change only (away, back), not once per request.
  let keysAway = false;
  const keySet = settings.jwks
    ? remoteKeys(settings.jwks, (ok, error) => {
        if (ok && keysAway) options.logger?.info('auth.jwks_recovered', {});
        else if (!ok && !keysAway)
          options.logger?.warn('auth.jwks_unavailable', {
            errorClass: error instanceof Error ? error.name : 'unknown',
          });
        keysAway = !ok;
      })
    : null;
  const verify = async (token: string): Promise<Verdict> => {
    try {
      const payload =
        keySet && settings.jwks && decodeProtectedHeader(token).kid !== undefined
          ? (
              await jwtVerify(token, keySet, {
                algorithms: settings.jwks.algorithms,
                issuer: settings.jwks.issuer,
                audience: settings.audience,
                clockTolerance: CLOCK_TOLERANCE_S,
              })
            ).payload
          : staticKey
            ? // jsonwebtoken takes a KeyObject; its types predate that.
              jwt.verify(token, staticKey as unknown as jwt.Secret, {
                algorithms: settings.algorithms,
                issuer: settings.issuer,
                audience: settings.audience,
                clockTolerance: CLOCK_TOLERANCE_S,
              })
            : null;
      const parsed = claims.safeParse(payload);
      return parsed.success ? { id: parsed.data.sub, role: parsed.data.role } : 'refused';
    } catch (error) {
      if (error instanceof KeysUnavailable) return 'keys_unavailable';
      // Every other failure is the token's: malformed, badly signed, expired, not for us.
      return 'refused';
    }
  };

  const authenticate: RequestHandler = async (request, response, next) => {
    const token = bearerToken(request);
    const verdict = token ? await verify(token) : 'refused';
    if (verdict === 'keys_unavailable') {
      response.setHeader('Retry-After', String(KEYS_RETRY_AFTER_S));
      return sendProblem(response, 'service_unavailable', {
        detail: "The identity provider's signing keys cannot be fetched right now; try again.",
      });
    }
    if (verdict === 'refused') {
      response.setHeader('WWW-Authenticate', 'Bearer');
      return sendProblem(response, 'unauthorized', { detail: 'A valid bearer token is required.' });
    }
    response.locals.principal = verdict;
    next();
  };

  /** After `authenticate`: 403 unless the caller has one of `roles`. */
  const requireRole =
    (...roles: Role[]): RequestHandler =>
    (_request, response, next) => {
      const principal = response.locals.principal as Principal | undefined;
      if (principal && roles.includes(principal.role)) return next();
      sendProblem(response, 'forbidden', { detail: 'This route needs another role.' });
    };

  return { authenticate, requireRole };
}
