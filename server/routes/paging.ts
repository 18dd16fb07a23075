import { z } from 'zod';
import { HttpProblem } from '../http/problems.ts';
import type { Page, PagePosition, PageRequest } from '../ports.ts';

/**
 * Lists come in pages: `?limit=&cursor=` in, `{ items, nextCursor }` out. The cursor is opaque to
 * clients: a page position (ports.ts) as 45 lower-case hex digits, the timestamp in microseconds
 * since 1970 (13 digits, enough until 2112), then the id's 32. Every string of that shape is a valid
 * position, so the shape (CURSOR_PATTERN, published in the OpenAPI document) is the whole
 * validation: no cursor that passes it can fail later in the database.
 */
export const CURSOR_PATTERN = /^[0-9a-f]{45}$/;

export const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().regex(CURSOR_PATTERN, 'a cursor from a previous page').optional(),
});

/** `at` is the ISO form with microseconds that the read models give (`…:SS.ffffffZ`). */
export function encodeCursor(position: PagePosition): string {
  const [seconds = '', fraction = ''] = position.at.replace(/Z$/, '').split('.');
  const micros = Date.parse(`${seconds}Z`) * 1000 + Number(fraction.padEnd(6, '0').slice(0, 6));
  return micros.toString(16).padStart(13, '0') + position.id.replaceAll('-', '');
}

export function decodeCursor(cursor: string): PagePosition | null {
  if (!CURSOR_PATTERN.test(cursor)) return null;
  const micros = Number.parseInt(cursor.slice(0, 13), 16);
  const iso = new Date(Math.floor(micros / 1000)).toISOString();
  const at = `${iso.slice(0, 23)}${String(micros % 1000).padStart(3, '0')}Z`;
  const hex = cursor.slice(13);
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  return { at, id };
}

/** The page a request's query asks for; a query that is not valid is a ZodError (400). */
export function pageRequested(query: unknown): PageRequest {
  return pageFrom(pageQuery.parse(query));
}

/**
 * The page a query parsed with `pageQuery` (or a schema extending it with filters) asks for; a
 * cursor that is not a position is a 400.
 */
export function pageFrom({ limit, cursor }: { limit: number; cursor?: string | undefined }): PageRequest {
  if (cursor === undefined) return { limit };
  const after = decodeCursor(cursor);
  if (!after)
    throw new HttpProblem('validation_failed', {
      detail: 'The cursor is not valid.',
      errors: [{ path: 'cursor', message: 'Not a cursor this API gave out.' }],
    });
  return { limit, after };
}

/** A page as the API answers it, its items shown by `show`. */
export function pageAnswer<Item, Shown>(page: Page<Item>, show: (item: Item) => Shown) {
  return { items: page.items.map(show), nextCursor: page.next ? encodeCursor(page.next) : null };
}
