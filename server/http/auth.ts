import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { RequestHandler } from 'express';
import { Passport } from 'passport';
import { ExtractJwt, Strategy as JwtStrategy } from 'passport-jwt';
import { z } from 'zod';
import type { Config } from '../../config/index.ts';
import { sendProblem } from './problems.ts';

/**
 * Bearer-token authentication (passport-jwt) and role checks. Tokens are verified against the
 * configured key with an explicit algorithm allow-list (so `alg: none` and algorithm confusion are
 * refused), issuer, audience and expiry; the claims must carry `sub` and a known `role`.
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
});

/**
 * The key imported once. Given a string, jsonwebtoken imports it on every verification (for a
 * secret it first tries, and fails, to read it as a public key), which cost more than the
 * signature check itself.
 */
export function verificationKeyObject(settings: Config['jwt']): KeyObject {
  return settings.algorithms.every((algorithm) => algorithm.startsWith('HS'))
    ? createSecretKey(Buffer.from(settings.verificationKey, 'utf8'))
    : createPublicKey(settings.verificationKey);
}

export function createAuth(settings: Config['jwt']) {
  // A passport instance of our own: no global state shared with anything else in the process.
  const passport = new Passport();
  passport.use(
    'jwt',
    new JwtStrategy(
      {
        jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
        // Handed to jsonwebtoken unchanged, which takes a KeyObject; the types predate that.
        secretOrKey: verificationKeyObject(settings) as unknown as string,
        algorithms: settings.algorithms,
        issuer: settings.issuer,
        audience: settings.audience,
        jsonWebTokenOptions: { clockTolerance: 5 },
      },
      (payload: unknown, done: (error: unknown, user?: Principal | false) => void) => {
        const parsed = claims.safeParse(payload);
        done(null, parsed.success ? { id: parsed.data.sub, role: parsed.data.role } : false);
      },
    ),
  );

  const authenticate: RequestHandler = (request, response, next) => {
    passport.authenticate('jwt', { session: false }, (error: unknown, principal: Principal | false) => {
      if (error) return next(error);
      if (!principal) {
        response.setHeader('WWW-Authenticate', 'Bearer');
        return sendProblem(response, {
          status: 401,
          title: 'Unauthorized',
          detail: 'A valid bearer token is required.',
        });
      }
      response.locals.principal = principal;
      next();
    })(request, response, next);
  };

  /** After `authenticate`: 403 unless the caller has one of `roles`. */
  const requireRole =
    (...roles: Role[]): RequestHandler =>
    (_request, response, next) => {
      const principal = response.locals.principal as Principal | undefined;
      if (principal && roles.includes(principal.role)) return next();
      sendProblem(response, { status: 403, title: 'Forbidden', detail: 'This route needs another role.' });
    };

  return { authenticate, requireRole };
}
