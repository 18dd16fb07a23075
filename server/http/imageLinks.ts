import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signed, expiring links to a document's image that BULI2's reviewers are given with a
 * forwarded review (adapters/buli2/contract.ts, `ReviewForward.image`). The link is its own
 * credential: `GET /internal/buli2/images/<document id>?expires=<unix seconds>&signature=<hex
 * HMAC-SHA256(secret, "<document id>.<expires>")>`. It names nothing but the document id, the expiry
 * and the signature (no PII), and anyone holding it may fetch the image until it expires, so the
 * time to live is kept short and the secret is FiLot's alone.
 */

/** Where the links point; the route (routes/buli2Routes.ts) is declared with the same prefix. */
export const IMAGE_LINK_PATH = '/internal/buli2/images';

export type ImageLinkSettings = {
  /** This API as BULI2 reaches it, without a trailing slash (config: PUBLIC_URL). */
  publicUrl: string;
  secret: string;
  ttlSeconds: number;
};

export type ImageLinkCheck = 'ok' | 'expired' | 'invalid';

/**
 * The exact form of each part (the route's OpenAPI parameters publish them). The document id is
 * canonical, as Postgres gives it, and the expiry has no leading zero: a link has one spelling.
 */
export const IMAGE_LINK_PARTS = {
  documentId: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
  expires: /^[1-9]\d{0,11}$/,
  signature: /^[0-9a-f]{64}$/,
} as const;
const { documentId: DOCUMENT_ID, expires: EXPIRES, signature: SIGNATURE } = IMAGE_LINK_PARTS;

const mac = (secret: string, documentId: string, expires: string) =>
  createHmac('sha256', secret).update(`${documentId}.${expires}`).digest();

/** A link to `documentId`'s image, valid for `ttlSeconds` from `nowSeconds`. */
export function signImageLink(
  settings: ImageLinkSettings,
  documentId: string,
  nowSeconds: number,
): { url: string; expiresAt: Date } {
  // A programming error, not a request's: every id the engine holds is canonical.
  if (!DOCUMENT_ID.test(documentId)) throw new TypeError('signImageLink: the document id is not a canonical UUID');
  if (!Number.isSafeInteger(settings.ttlSeconds) || settings.ttlSeconds <= 0)
    throw new RangeError('signImageLink: ttlSeconds must be a positive whole number');
  const expires = String(Math.floor(nowSeconds) + settings.ttlSeconds);
  const signature = mac(settings.secret, documentId, expires).toString('hex');
  const base = settings.publicUrl.replace(/\/+$/, '');
  return {
    url: `${base}${IMAGE_LINK_PATH}/${documentId}?expires=${expires}&signature=${signature}`,
    expiresAt: new Date(Number(expires) * 1000),
  };
}

/**
 * Whether a link's parts are ones `signImageLink` made with `secret` and it has not expired. The
 * parts are taken as the request gives them (a repeated query parameter is an array): anything
 * but the exact formats is `invalid`. The signature is checked before the expiry, so `expired`
 * is said only of a link that was really ours.
 */
export function verifyImageLink(
  secret: string,
  documentId: unknown,
  expires: unknown,
  signature: unknown,
  nowSeconds: number,
): ImageLinkCheck {
  if (typeof documentId !== 'string' || !DOCUMENT_ID.test(documentId)) return 'invalid';
  if (typeof expires !== 'string' || !EXPIRES.test(expires)) return 'invalid';
  if (typeof signature !== 'string' || !SIGNATURE.test(signature)) return 'invalid';
  if (!timingSafeEqual(mac(secret, documentId, expires), Buffer.from(signature, 'hex'))) return 'invalid';
  return nowSeconds < Number(expires) ? 'ok' : 'expired';
}
