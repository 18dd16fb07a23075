import { z } from 'zod';

/**
 * What a client attaches to its uploads and applicants: its own id for the person (`externalRef`,
 * as Stripe's `client_reference_id` or Sumsub's `externalUserId`) and a small `metadata` object of
 * strings (as Stripe's). Both come back everywhere, and `externalRef` filters lists. Neither may hold
 * PII: they are stored and logged in plain, so a value that looks like an identity number (a run of
 * 15 or more digits, as an NPWP or a NIK) is refused, and their size is bounded.
 */

export const METADATA_MAX_KEYS = 20;
export const METADATA_MAX_VALUE_LENGTH = 100;
/**
 * The longest metadata as JSON text: every key and value at its longest, each character escaped as
 * a surrogate pair (12 bytes). A multipart field is bounded by it before it is parsed.
 */
export const METADATA_MAX_JSON_BYTES = 2 + METADATA_MAX_KEYS * (2 + 40 + 3 + METADATA_MAX_VALUE_LENGTH * 12 + 1);

/**
 * No identity number: no 15 digits in a run, maybe grouped by dots, spaces or dashes (as an NPWP is
 * printed). A pattern, not code, so the OpenAPI document states the rule exactly and generated
 * clients and fuzzers send what the routes take.
 */
const NO_IDENTITY_NUMBER = /^(?![\s\S]*(?:\d[.\s-]*){14}\d)/;
const NO_IDENTITY_NUMBER_RULE = 'must not hold an identity number (NIK or NPWP): no PII here';
const KEY_RULE = 'keys must be 1–40 letters, digits, "_", "." or "-"';

export const externalRefSchema = z
  .string()
  .regex(/^[\x21-\x7E]{1,128}$/, '1–128 printable ASCII characters, no spaces')
  .regex(NO_IDENTITY_NUMBER, NO_IDENTITY_NUMBER_RULE)
  .describe("The client's own id for the person (no PII), returned everywhere and filterable");

export const metadataSchema = z
  .record(
    z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, KEY_RULE),
    z
      .string()
      .max(METADATA_MAX_VALUE_LENGTH)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
      .regex(/^[^\u0000-\u001F\u007F]*$/, 'no control characters')
      .regex(NO_IDENTITY_NUMBER, NO_IDENTITY_NUMBER_RULE)
      .refine((value) => value.isWellFormed(), 'well-formed Unicode'),
  )
  .refine((value) => Object.keys(value).length <= METADATA_MAX_KEYS, `at most ${METADATA_MAX_KEYS} keys`)
  // What the refinement checks, for the OpenAPI document.
  .meta({ maxProperties: METADATA_MAX_KEYS })
  .describe(
    `The client's own data about the request: at most ${METADATA_MAX_KEYS} string values of at most ${METADATA_MAX_VALUE_LENGTH} characters; no PII`,
  );

/** The metadata's entries in key order: one form for digests, however the client ordered its keys. */
export function canonicalMetadata(metadata: Record<string, string> | undefined): [string, string][] {
  return Object.entries(metadata ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The metadata as a multipart field carries it: a JSON object in text. */
export function parseMetadataField(
  text: string,
): { ok: true; metadata: Record<string, string> } | { ok: false; message: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, message: 'The field "metadata" must be a JSON object of strings.' };
  }
  const result = metadataSchema.safeParse(parsed);
  if (result.success) return { ok: true, metadata: result.data };
  // The message names the rule, never the key or value: they are the client's, and answers are logged.
  const issue = result.error.issues[0];
  const message = issue?.code === 'invalid_key' ? KEY_RULE : (issue?.message ?? 'is not valid');
  return { ok: false, message: `The field "metadata": ${message}.` };
}
