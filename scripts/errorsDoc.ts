/**
 * `node scripts/errorsDoc.ts`: writes `docs/errors.md`, the catalogue of problem types, from
 * server/http/problemTypes.ts. `test/unit/server/problemTypes.test.ts` fails when the committed file
 * differs from what this writes.
 */
import { writeFile } from 'node:fs/promises';
import { errorsMarkdown } from '../server/openapi/problemPages.ts';

export const ERRORS_DOC = new URL('../docs/errors.md', import.meta.url);

if (import.meta.main) await writeFile(ERRORS_DOC, errorsMarkdown());
