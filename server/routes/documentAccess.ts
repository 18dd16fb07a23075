import { z } from 'zod';
import type { Principal } from '../http/auth.ts';
import { HttpProblem } from '../http/problems.ts';
import type { DocumentQueries, DocumentView } from '../ports.ts';

/**
 * Who may see a document: its owner, and every reviewer and admin. Anyone else gets the same 404 as
 * for an id that does not exist, so whether a document exists is never confirmed to them.
 */

/**
 * A document id, canonicalised once here: UUIDs compare case-insensitively in Postgres, but the id
 * also names the document elsewhere (the PII cipher's associated data, logs, links), where only
 * the canonical lower-case form is right.
 */
export const idParams = z.strictObject({ id: z.uuid().transform((id) => id.toLowerCase()) });

export const isStaff = (principal: Principal) => principal.role === 'reviewer' || principal.role === 'admin';

/** The document if `principal` may see it; a 404 problem otherwise, whether or not it exists. */
export async function visibleDocument(
  queries: Pick<DocumentQueries, 'view'>,
  id: string,
  principal: Principal,
): Promise<DocumentView> {
  const document = await queries.view(id);
  if (!document || (!isStaff(principal) && document.ownerId !== principal.id))
    throw new HttpProblem('not_found', { detail: 'No such document.' });
  return document;
}
