import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { SIGNATURE_TOLERANCE_S, signBuli2Body, verifyBuli2Signature } from '../../../server/http/buli2Signature.ts';

const SECRET = 'first-webhook-secret-of-at-least-32-bytes';
const NEXT_SECRET = 'second-webhook-secret-of-at-least-32-bytes';
const NOW = 1_750_000_000;
const BODY = Buffer.from('{"review_id":"a","decision":"approve"}');

/** The hex v1 signature of `body` at `t` with `secret`, computed here independently of the module. */
const v1 = (secret: string, t: number, body: Buffer = BODY) =>
  createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');

const verify = (header: string | undefined, secrets: readonly string[] = [SECRET], now = NOW, body = BODY) =>
  verifyBuli2Signature(header, body, secrets, now);

describe('the BULI2 callback signature', () => {
  it('should accept what signBuli2Body signs, and sign as the contract says', () => {
    const header = signBuli2Body(SECRET, BODY, NOW);
    assert.equal(header, `t=${NOW},v1=${v1(SECRET, NOW)}`);
    assert.deepEqual(verify(header), { ok: true });
    assert.deepEqual(
      verify(signBuli2Body(SECRET, BODY.toString(), NOW + 0.9)),
      { ok: true },
      'a string body, seconds floored',
    );
  });

  it('should accept a signature made with any configured secret, during a rotation', () => {
    assert.deepEqual(verify(signBuli2Body(SECRET, BODY, NOW), [NEXT_SECRET, SECRET]), { ok: true });
    assert.deepEqual(verify(signBuli2Body(NEXT_SECRET, BODY, NOW), [NEXT_SECRET, SECRET]), { ok: true });
  });

  it('should accept a header with several v1 entries when any one matches, and ignore other schemes', () => {
    const header = `t=${NOW},v1=${v1('an-old-secret-nobody-has-anymore-000', NOW)},v1=${v1(SECRET, NOW)}`;
    assert.deepEqual(verify(header), { ok: true });
    assert.deepEqual(verify(`t=${NOW}, v0=abc, v1=${v1(SECRET, NOW)}`), { ok: true });
  });

  it('should refuse a tampered body, a tampered signature and a tampered timestamp', () => {
    const header = signBuli2Body(SECRET, BODY, NOW);
    assert.deepEqual(verify(header, [SECRET], NOW, Buffer.from(BODY.toString().replace('approve', 'reject'))), {
      ok: false,
      reason: 'mismatch',
    });
    assert.deepEqual(verify(header, [SECRET], NOW, Buffer.concat([BODY, Buffer.from(' ')]))?.ok, false);
    const signature = v1(SECRET, NOW);
    const flipped = `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`;
    assert.deepEqual(verify(`t=${NOW},v1=${flipped}`), { ok: false, reason: 'mismatch' });
    assert.deepEqual(verify(`t=${NOW + 1},v1=${signature}`), { ok: false, reason: 'mismatch' });
  });

  it('should refuse a signature made with a secret that is not configured', () => {
    assert.deepEqual(verify(signBuli2Body('some-other-secret-of-at-least-32-bytes', BODY, NOW)), {
      ok: false,
      reason: 'mismatch',
    });
    assert.deepEqual(verify(signBuli2Body(SECRET, BODY, NOW), []), { ok: false, reason: 'mismatch' });
  });

  it('should refuse a timestamp more than 300 s away, either way, and accept one exactly at the tolerance', () => {
    assert.equal(SIGNATURE_TOLERANCE_S, 300);
    for (const offset of [-301, 301, -86_400, 86_400])
      assert.deepEqual(verify(signBuli2Body(SECRET, BODY, NOW + offset)), { ok: false, reason: 'stale' }, `${offset}`);
    for (const offset of [-300, 300, -299, 0])
      assert.deepEqual(verify(signBuli2Body(SECRET, BODY, NOW + offset)), { ok: true }, `${offset}`);
  });

  it('should report a missing header', () => {
    assert.deepEqual(verify(undefined), { ok: false, reason: 'missing' });
    assert.deepEqual(verify(''), { ok: false, reason: 'missing' });
  });

  it('should refuse malformed headers without comparing anything', () => {
    const good = v1(SECRET, NOW);
    for (const header of [
      `t=${NOW}`, // no signature
      `v1=${good}`, // no timestamp
      `t=${NOW},t=${NOW},v1=${good}`, // a second timestamp
      `t=${NOW},v1=${good.toUpperCase()}`, // upper-case hex
      `t=${NOW},v1=${good.slice(0, 63)}`, // too short
      `t=${NOW},v1=${good}00`, // too long
      `t=${NOW},v1=${'z'.repeat(64)}`, // not hex
      `t=-${NOW},v1=${good}`, // signed number
      `t=${NOW}.5,v1=${good}`, // fraction
      `t=1${'0'.repeat(12)},v1=${good}`, // thirteen digits
      `t=,v1=${good}`,
      `t=${NOW},v1=${good}=`, // a second '='
      `t=${NOW};v1=${good}`, // the wrong separator
      'garbage',
      `t=${NOW},v1=${good},${'v0=x,'.repeat(500)}`, // over 2 KiB
      `t=${NOW},${`v1=${good},`.repeat(40)}`.slice(0, -1), // over 2 KiB of valid entries
    ])
      assert.deepEqual(verify(header), { ok: false, reason: 'malformed' }, header.slice(0, 80));
  });
});
