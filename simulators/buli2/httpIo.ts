import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Reading requests and writing answers for the simulator, bounded and never throwing. */

/** The largest body the simulator reads; a ReviewForward at its schema's limits is well under it. */
export const MAX_BODY_BYTES = 64 * 1024;

export type BodyRead = { ok: true; raw: Buffer } | { ok: false; status: 400 | 413 };

/**
 * The whole body, or 413 as soon as it passes `limit` (announced or actually sent) without reading
 * the rest, or 400 when the client broke the request off.
 */
export function readBody(request: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyRead> {
  return new Promise((resolve) => {
    const announced = Number(request.headers['content-length'] ?? 0);
    if (announced > limit) {
      resolve({ ok: false, status: 413 });
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyRead) => {
      if (done) return;
      done = true;
      request.off('data', onData);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) finish({ ok: false, status: 413 });
      else chunks.push(chunk);
    };
    request.on('data', onData);
    request.on('end', () => finish({ ok: true, raw: Buffer.concat(chunks) }));
    request.on('error', () => finish({ ok: false, status: 400 }));
    request.on('close', () => finish({ ok: false, status: 400 }));
  });
}

export type JsonRead = { ok: true; value: unknown } | { ok: false; status: 400 | 413 | 415; error: string };

/** The body parsed as JSON, sent as application/json. */
export async function readJson(request: IncomingMessage): Promise<JsonRead> {
  const type = request.headers['content-type'] ?? '';
  if (!/^application\/json\s*(;|$)/i.test(type)) return { ok: false, status: 415, error: 'content_type_not_json' };
  const body = await readBody(request);
  if (!body.ok)
    return { ok: false, status: body.status, error: body.status === 413 ? 'body_too_large' : 'body_unreadable' };
  try {
    return { ok: true, value: JSON.parse(body.raw.toString('utf8')) as unknown };
  } catch {
    return { ok: false, status: 400, error: 'malformed_json' };
  }
}

/** Writes a JSON answer (or none, for 204), unless the connection is gone or an answer went already. */
export function answer(
  response: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  if (response.headersSent || response.destroyed) return;
  const payload = body === undefined || status === 204 ? undefined : JSON.stringify(body);
  response.writeHead(status, {
    'Cache-Control': 'no-store',
    ...(payload === undefined ? {} : { 'Content-Type': 'application/json; charset=utf-8' }),
    // A request whose body was not read to the end cannot leave the connection usable.
    ...(status === 413 ? { Connection: 'close' } : {}),
    ...headers,
  });
  response.end(payload);
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** `Authorization: Bearer <apiKey>`, compared in constant time. */
export function hasApiKey(request: IncomingMessage, apiKey: string): boolean {
  const header = request.headers.authorization;
  if (typeof header !== 'string' || !header.startsWith('Bearer ')) return false;
  return timingSafeEqual(digest(header.slice('Bearer '.length)), digest(apiKey));
}
