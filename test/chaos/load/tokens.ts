import jwt from 'jsonwebtoken';

/** Bearer tokens as the identity provider would issue them (the service's defaults for iss and aud). */
export type Tokens = {
  users: { id: string; token: string }[];
  reviewers: { id: string; token: string }[];
};

const ISSUER = 'filot-kyc';
const AUDIENCE = 'filot-kyc-api';

export function mintToken(
  secret: string,
  subject: string,
  role: 'user' | 'reviewer',
  ttl: jwt.SignOptions['expiresIn'] = '2h',
) {
  return jwt.sign({ role }, secret, {
    algorithm: 'HS256',
    subject,
    issuer: ISSUER,
    audience: AUDIENCE,
    expiresIn: ttl,
  });
}

export function mintTokens(secret: string, counts: { users: number; reviewers: number }): Tokens {
  const make = (prefix: string, role: 'user' | 'reviewer', count: number) =>
    Array.from({ length: count }, (_, index) => {
      const id = `${prefix}-${index + 1}`;
      return { id, token: mintToken(secret, id, role) };
    });
  return {
    users: make('chaos-user', 'user', counts.users),
    reviewers: make('chaos-reviewer', 'reviewer', counts.reviewers),
  };
}
