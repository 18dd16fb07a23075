/**
 * `npm run token -- --sub ID --role user|reviewer|admin [--ttl 1h]`: prints a development bearer
 * token signed with the configured key. Refuses when NODE_ENV=production: production tokens come
 * from the identity provider, never from a script with the signing key at hand.
 */
import { parseArgs } from 'node:util';
import jwt from 'jsonwebtoken';
import { ConfigError, loadConfig, nodeEnvOf } from '../config/index.ts';
import { ROLES, type Role } from '../server/http/auth.ts';

// Before anything else: a production environment without every setting must still get the
// refusal, not a configuration error (or, before, a stack trace).
if (nodeEnvOf() === 'production') {
  console.error('npm run token refuses to mint tokens when NODE_ENV=production.');
  process.exit(1);
}
const usage = `usage: npm run token -- --sub ID --role ${ROLES.join('|')} [--ttl 1h]`;
const { values } = (() => {
  try {
    return parseArgs({
      options: { sub: { type: 'string' }, role: { type: 'string' }, ttl: { type: 'string', default: '1h' } },
    });
  } catch (error) {
    // An unknown or malformed option: its message and the usage, without a stack.
    console.error(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return process.exit(2);
  }
})();
const config = (() => {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return process.exit(1);
  }
})();
if (!values.sub || !values.role || !ROLES.includes(values.role as Role)) {
  console.error(usage);
  process.exit(2);
}
if (!/^\d+[smhd]$/.test(values.ttl)) {
  console.error('--ttl must look like 30s, 15m, 1h or 7d');
  process.exit(2);
}
const { signingKey, algorithms, issuer, audience } = config.jwt;
if (!signingKey) {
  console.error('Set JWT_PRIVATE_KEY to mint tokens for a JWT_PUBLIC_KEY set-up.');
  process.exit(1);
}
const token = jwt.sign({ role: values.role }, signingKey, {
  algorithm: algorithms[0],
  subject: values.sub,
  issuer,
  audience,
  expiresIn: values.ttl as jwt.SignOptions['expiresIn'],
});
console.log(token);
