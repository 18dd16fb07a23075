import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { IMAGE_LINK_PATH, signImageLink, verifyImageLink } from '../../../server/http/imageLinks.ts';

const SECRET = 'image-link-secret-of-at-least-32-bytes';
const SETTINGS = { publicUrl: 'https://kyc.filot.example', secret: SECRET, ttlSeconds: 600 };
const NOW = 1_750_000_000;
const DOCUMENT_ID = '0f3a6c1e-8b2d-4e5f-9a7b-1c2d3e4f5a6b';

/** The link's parts, as the route reads them from the URL. */
function partsOf(url: string) {
  const parsed = new URL(url);
  return {
    origin: parsed.origin,
    path: parsed.pathname,
    documentId: parsed.pathname.split('/').at(-1) ?? '',
    expires: parsed.searchParams.get('expires') ?? '',
    signature: parsed.searchParams.get('signature') ?? '',
    query: [...parsed.searchParams.keys()],
  };
}

describe('the signed image links', () => {
  it('should make a link that carries only the id, the expiry and the signature, and verifies', () => {
    const { url, expiresAt } = signImageLink(SETTINGS, DOCUMENT_ID, NOW);
    const parts = partsOf(url);
    assert.equal(parts.origin, SETTINGS.publicUrl);
    assert.equal(parts.path, `${IMAGE_LINK_PATH}/${DOCUMENT_ID}`);
    assert.deepEqual(parts.query, ['expires', 'signature']);
    assert.equal(parts.expires, String(NOW + SETTINGS.ttlSeconds));
    assert.equal(expiresAt.getTime(), (NOW + SETTINGS.ttlSeconds) * 1000);
    assert.equal(
      parts.signature,
      createHmac('sha256', SECRET).update(`${DOCUMENT_ID}.${parts.expires}`).digest('hex'),
      'the signature is HMAC-SHA256 over "<id>.<expires>"',
    );
    assert.equal(verifyImageLink(SECRET, parts.documentId, parts.expires, parts.signature, NOW), 'ok');
    assert.equal(verifyImageLink(SECRET, parts.documentId, parts.expires, parts.signature, NOW + 599), 'ok');
  });

  it('should not double the slash when the public URL ends with one, and floor fractional clocks', () => {
    const { url } = signImageLink({ ...SETTINGS, publicUrl: 'https://kyc.filot.example/' }, DOCUMENT_ID, NOW + 0.7);
    assert.ok(url.startsWith(`https://kyc.filot.example${IMAGE_LINK_PATH}/`), url);
    assert.equal(partsOf(url).expires, String(NOW + SETTINGS.ttlSeconds));
  });

  it('should call a link expired from its expiry on, and only a link that was really ours', () => {
    const parts = partsOf(signImageLink(SETTINGS, DOCUMENT_ID, NOW).url);
    const expiry = NOW + SETTINGS.ttlSeconds;
    assert.equal(verifyImageLink(SECRET, parts.documentId, parts.expires, parts.signature, expiry), 'expired');
    assert.equal(verifyImageLink(SECRET, parts.documentId, parts.expires, parts.signature, expiry + 86_400), 'expired');
    assert.equal(
      verifyImageLink(
        'another-secret-of-at-least-32-bytes!!',
        parts.documentId,
        parts.expires,
        parts.signature,
        expiry,
      ),
      'invalid',
    );
  });

  it('should refuse a link whose id, expiry or signature was changed', () => {
    const parts = partsOf(signImageLink(SETTINGS, DOCUMENT_ID, NOW).url);
    const later = String(Number(parts.expires) + 3600);
    const flipped = `${parts.signature.slice(0, -1)}${parts.signature.endsWith('0') ? '1' : '0'}`;
    assert.equal(verifyImageLink(SECRET, randomUUID(), parts.expires, parts.signature, NOW), 'invalid');
    assert.equal(verifyImageLink(SECRET, parts.documentId, later, parts.signature, NOW), 'invalid');
    assert.equal(verifyImageLink(SECRET, parts.documentId, parts.expires, flipped, NOW), 'invalid');
    assert.equal(
      verifyImageLink('another-secret-of-at-least-32-bytes!!', parts.documentId, parts.expires, parts.signature, NOW),
      'invalid',
    );
  });

  it('should refuse malformed parts, as a request could give them', () => {
    const { documentId, expires, signature } = partsOf(signImageLink(SETTINGS, DOCUMENT_ID, NOW).url);
    const cases: [unknown, unknown, unknown][] = [
      [documentId.toUpperCase(), expires, signature],
      [`${documentId} `, expires, signature],
      ['not-a-uuid', expires, signature],
      [undefined, expires, signature],
      [documentId, undefined, signature],
      [documentId, '', signature],
      [documentId, `0${expires}`, signature],
      [documentId, `${expires}.0`, signature],
      [documentId, `-${expires}`, signature],
      [documentId, '1'.repeat(13), signature],
      [documentId, [expires, expires], signature],
      [documentId, expires, undefined],
      [documentId, expires, ''],
      [documentId, expires, signature.toUpperCase()],
      [documentId, expires, signature.slice(0, 63)],
      [documentId, expires, `${signature}0`],
      [documentId, expires, 'g'.repeat(64)],
      [documentId, expires, [signature, signature]],
      [documentId, expires, { signature }],
    ];
    for (const [id, expiry, mac] of cases)
      assert.equal(verifyImageLink(SECRET, id, expiry, mac, NOW), 'invalid', JSON.stringify([id, expiry, mac]));
  });

  it('should refuse to sign what is not a canonical id or a positive time to live', () => {
    assert.throws(() => signImageLink(SETTINGS, DOCUMENT_ID.toUpperCase(), NOW), TypeError);
    assert.throws(() => signImageLink(SETTINGS, '../../etc/passwd', NOW), TypeError);
    assert.throws(() => signImageLink({ ...SETTINGS, ttlSeconds: 0 }, DOCUMENT_ID, NOW), RangeError);
    assert.throws(() => signImageLink({ ...SETTINGS, ttlSeconds: 1.5 }, DOCUMENT_ID, NOW), RangeError);
  });
});
