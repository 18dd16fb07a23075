import jwt from 'jsonwebtoken';
import type { Config } from '../config/index.ts';

/**
 * The console's "sign in as reviewer" in development: a reviewer token for an hour, signed with the
 * development key. Null in any other mode, or without a signing key (an RS256 set-up holds only the
 * public key), so that production never mints a token: `npm run token` refuses it the same way.
 */
export function devSignIn(config: Pick<Config, 'nodeEnv' | 'jwt'>): (() => string) | null {
  const { signingKey, algorithms, issuer, audience } = config.jwt;
  if (config.nodeEnv !== 'development' || !signingKey) return null;
  const algorithm = algorithms[0] ?? 'HS256';
  return () =>
    jwt.sign({ role: 'reviewer' }, signingKey, {
      algorithm,
      subject: 'dev-reviewer',
      issuer,
      audience,
      expiresIn: '1h',
    });
}
