import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * BULI2's callback signature (docs/buli2.md): `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "."
 * + raw body)>`. The timestamp is signed with the body, so an old callback cannot be replayed past
 * the tolerance with a new one. Several `v1` entries may come (BULI2 signing with an old and a new
 * secret during a rotation); any one that matches any configured secret is enough.
 */

/** The header's name, lower case as Node gives headers. */
export const BULI2_SIGNATURE_HEADER = 'x-buli2-signature';

/** How far a callback's timestamp may be from our clock, either way. */
export const SIGNATURE_TOLERANCE_S = 300;

export type SignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' };

const hmac = (secret: string, timestamp: string, rawBody: Buffer) =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();

/** The header value for `rawBody` signed with `secret` at `unixSeconds` (the simulator signs this way). */
export function signBuli2Body(secret: string, rawBody: Buffer | string, unixSeconds: number): string {
  const timestamp = String(Math.floor(unixSeconds));
  const body = typeof rawBody === 'string' ? Buffer.from(rawBody) : rawBody;
  return `t=${timestamp},v1=${hmac(secret, timestamp, body).toString('hex')}`;
}

/** Checks a callback's signature header against the raw body, in constant time per candidate. */
export function verifyBuli2Signature(
  header: string | undefined,
  rawBody: Buffer,
  secrets: readonly string[],
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_S,
): SignatureCheck {
  if (header === undefined || header === '') return { ok: false, reason: 'missing' };
  if (header.length > 2048) return { ok: false, reason: 'malformed' };
  let timestamp: string | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value, ...rest] = part.trim().split('=');
    if (value === undefined || rest.length > 0) return { ok: false, reason: 'malformed' };
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return { ok: false, reason: 'malformed' };
      timestamp = value;
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return { ok: false, reason: 'malformed' };
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other schemes (v0, a future v2) are ignored, as a receiver that knows only v1 must.
  }
  if (timestamp === undefined || signatures.length === 0) return { ok: false, reason: 'malformed' };
  if (Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return { ok: false, reason: 'stale' };
  let matched = false;
  // Every candidate is compared, so the time taken says nothing about which secret or entry matched.
  for (const secret of secrets) {
    const expected = hmac(secret, timestamp, rawBody);
    for (const signature of signatures) if (timingSafeEqual(expected, signature)) matched = true;
  }
  return matched ? { ok: true } : { ok: false, reason: 'mismatch' };
}
