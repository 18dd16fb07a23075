import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../../config/index.ts';

/**
 * Every configuration problem in one ConfigError: a variable that fails its own rule (a malformed
 * PII key) no longer hides the checks across variables (production's requirements, key decoding),
 * and no secret value is quoted.
 */

const strong = () => randomBytes(32).toString('base64');

function problemsOf(env: Record<string, string>): { names: string[]; message: string } {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    const names = error.message
      .split('\n')
      .map((line) => /^ {2}- ([A-Z0-9_]+):/.exec(line)?.[1])
      .filter((name): name is string => Boolean(name));
    return { names, message: error.message };
  }
  assert.fail('expected a ConfigError');
}

describe('configuration errors', () => {
  it('should report a malformed PII key together with the production checks it used to hide', () => {
    const shortKey = Buffer.alloc(20, 9).toString('base64');
    const jwtSecret = 'x'.repeat(12);
    const { names, message } = problemsOf({
      NODE_ENV: 'production',
      PII_ENCRYPTION_KEYS: `k1:${shortKey}`,
      PII_ACTIVE_KEY_ID: 'k1',
      JWT_SECRET: jwtSecret,
      NIK_HASH_KEY: strong(),
      BULI2_API_KEY: strong(),
      BULI2_WEBHOOK_SECRETS: strong(),
      IMAGE_LINK_SECRET: strong(),
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      PUBLIC_URL: 'https://kyc.internal',
      // Missing: BULI2_URL. Too short: JWT_SECRET.
    });
    assert.deepEqual(names.sort(), ['BULI2_URL', 'JWT_SECRET', 'PII_ENCRYPTION_KEYS']);
    assert.match(message, /3 problem/);
    assert.match(message, /PII_ENCRYPTION_KEYS: key "k1" must decode from base64 to exactly 32 bytes/);
    // The active key id is not blamed for the keys that could not be read.
    assert.doesNotMatch(message, /PII_ACTIVE_KEY_ID/);
    for (const secret of [shortKey, jwtSecret]) assert.equal(message.includes(secret), false);
  });

  it('should decode the PEM keys at load time, with the other problems, and quote neither', () => {
    const notAKey = `-----BEGIN PUBLIC KEY-----\n${strong()}\n-----END PUBLIC KEY-----`;
    const notAPrivateKey = `-----BEGIN PRIVATE KEY-----\n${strong()}\n-----END PRIVATE KEY-----`;
    const { names, message } = problemsOf({
      JWT_PUBLIC_KEY: notAKey,
      JWT_PRIVATE_KEY: notAPrivateKey,
      PORT: 'abc',
      REDIS_URL: 'http://not-redis',
      REDIS_PASSWORD: strong(),
    });
    assert.deepEqual(names.sort(), ['JWT_PRIVATE_KEY', 'JWT_PUBLIC_KEY', 'PORT', 'REDIS_URL']);
    assert.match(message, /JWT_PUBLIC_KEY: is not a PEM public key/);
    for (const part of [...notAKey.split('\n'), ...notAPrivateKey.split('\n')].filter(
      (line) => !line.startsWith('---'),
    ))
      assert.equal(message.includes(part), false);
  });

  it('should still report cross-variable problems between variables that are each valid', () => {
    const { names } = problemsOf({
      REVIEW_REMINDER_MS: '5000',
      REVIEW_ESCALATION_MS: '1000',
      OCR_MAX_ATTEMPTS: '0',
      JWT_JWKS_ISSUER: 'https://idp.example',
    });
    assert.deepEqual(names.sort(), ['JWT_JWKS_ISSUER', 'OCR_MAX_ATTEMPTS', 'REVIEW_ESCALATION_MS']);
  });
});
