/**
 * PII masking for log lines (DESIGN §9). Logs go to stdout and on to whatever collects them, so
 * they must never hold an identity: values under known PII or secret keys are replaced outright,
 * and every other string is scanned for identifiers written in free text (NIK, NPWP, Indonesian
 * phone numbers, e-mail addresses), which keep only their last four digits (or, for e-mail, the
 * first letter and the domain). Ordinary ids (UUIDs, ISO timestamps, Redis stream ids, counts,
 * durations, status codes, ports) are left readable.
 */

export const REDACTED = '[redacted]';

/**
 * Keys whose values are replaced whatever they hold (nested objects and arrays included). Keys are
 * compared lower-cased with `_` and `-` removed, so `fullName`, `full_name` and `FULLNAME` all match,
 * as do `tempat_lahir`/`tempatLahir` and `apiKey`/`api_key`/`x-api-key`.
 */
const REDACTED_KEYS = new Set([
  // Identity fields and the OCR output they are read from.
  'nama',
  'name',
  'fullname',
  'alamat',
  'address',
  'tempatlahir',
  'nik',
  'npwp',
  'email',
  'phone',
  'fields',
  'ocr',
  'text',
  'lines',
  // Secrets.
  'authorization',
  'password',
  'secret',
  'token',
  'apikey',
  'xapikey',
  'cookie',
  'setcookie',
]);

const normalizeKey = (key: string) => key.toLowerCase().replace(/[_-]/g, '');

export function isRedactedKey(key: string): boolean {
  return REDACTED_KEYS.has(normalizeKey(key));
}

/**
 * Ids that look like digit runs but are not PII; they are cut out of the text before the PII
 * patterns run, so no pattern can match into them. `(?<![\dA-Za-z])`/`(?![\dA-Za-z])` make each
 * match a whole token rather than part of a longer word or hex string.
 * - UUID: 8-4-4-4-12 hex digits with hyphens (an all-digit UUID would otherwise look like a NIK).
 * - ISO 8601 date or date-time: `2026-01-31`, `2026-01-31T12:34:56.789Z`, `2026-01-31 12:34+07:00`.
 * - Redis stream id: a 13-digit millisecond timestamp, `-`, a sequence number (`1795594566374-0`).
 */
const PROTECTED =
  /(?<![\dA-Za-z])(?:[\da-f]{8}-[\da-f]{4}-[\da-f]{4}-[\da-f]{4}-[\da-f]{12}|\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?|\d{13}-\d+)(?![\dA-Za-z])/gi;

/**
 * E-mail address: local part (letters, digits, `._%+-`) `@` a dotted domain. Replaced by the first
 * character of the local part, `***@` and the domain: `budi.santoso@example.com` → `b***@example.com`.
 */
const EMAIL = /([A-Za-z\d._%+-])[A-Za-z\d._%+-]*@([A-Za-z\d-]+(?:\.[A-Za-z\d-]+)+)/g;

/**
 * Indonesian mobile number: `+62`, `62` or `0`, then the `8` that starts every mobile prefix, then
 * 7–11 more digits, so the national form (`08…`) has 9–13 digits. A single space, dot or dash may
 * stand between any two digits (`+62 812-3456-7890`, `0812.3456.7890`), and a space or dash after
 * `+62`. No separator is allowed between the `0` and the `8`, so a decimal like `0.8123456789` is
 * not a phone number. Not preceded by `+`, a digit or a letter; not followed by a digit or a letter.
 */
const PHONE = /(?<![\dA-Za-z+])(?:\+62[ -]?|62[ -]?|0)8(?:[ .-]?\d){7,11}(?![\dA-Za-z])/g;

/**
 * NIK (16 digits) or NPWP (15 digits, or the 16-digit NPWP that is the NIK): exactly 15 or 16
 * digits, contiguous or in groups with up to three separators (spaces, dots, slashes, dashes)
 * between digits, as people write them: `3171014101900001`, `3171 0141 0190 0001`,
 * `317101.410190.0001`, `01.234.567.8-901.000`. Not preceded or followed by a digit or letter, so
 * longer digit runs (17+), hex hashes and ids with digits inside words are left alone.
 */
const NIK_OR_NPWP = /(?<![\dA-Za-z])\d(?:[\s./-]{0,3}\d){14,15}(?![\dA-Za-z])/g;

/** Keeps the last four digits of an identifier and writes a `*` for each digit before them. */
function lastFour(match: string): string {
  const digits = match.replace(/\D/g, '');
  return `${'*'.repeat(digits.length - 4)}${digits.slice(-4)}`;
}

/** Masks PII in text that holds no protected id. */
function maskSegment(text: string): string {
  return text.replace(PHONE, lastFour).replace(NIK_OR_NPWP, lastFour);
}

/** Masks NIK, NPWP, phone numbers and e-mail addresses written anywhere in `text`. */
export function maskPiiString(text: string): string {
  // E-mail first: its local part may hold digits that would otherwise be masked piecewise.
  const withoutEmail = text.replace(EMAIL, (_match, first: string, domain: string) => `${first}***@${domain}`);
  let masked = '';
  let last = 0;
  for (const match of withoutEmail.matchAll(PROTECTED)) {
    masked += maskSegment(withoutEmail.slice(last, match.index)) + match[0];
    last = match.index + match[0].length;
  }
  return masked + maskSegment(withoutEmail.slice(last));
}

/**
 * Returns a masked copy of `value`: strings have PII masked, values under PII or secret keys are
 * replaced by `[redacted]`, objects and arrays are copied recursively, and Errors become plain
 * objects (`name`, `message`, `stack`, `cause` and their own fields) with their text masked.
 * Numbers, booleans and other scalars pass through. `value` itself is never modified.
 */
export function maskPii(value: unknown): unknown {
  return maskValue(value, new WeakSet());
}

function maskValue(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return maskPiiString(value);
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (Array.isArray(value)) return value.map((item) => maskValue(item, seen));
    if (value instanceof Error) return maskError(value, seen);
    // Dates, Buffers and other classes with their own JSON form are masked in that form.
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return maskValue(toJSON.call(value), seen);
    return maskEntries(Object.entries(value), seen);
  } finally {
    seen.delete(value);
  }
}

function maskEntries(entries: [string, unknown][], seen: WeakSet<object>): Record<string, unknown> {
  const masked: Record<string, unknown> = {};
  for (const [key, item] of entries) masked[key] = isRedactedKey(key) ? REDACTED : maskValue(item, seen);
  return masked;
}

function maskError(error: Error, seen: WeakSet<object>): Record<string, unknown> {
  // `name` is the error class (`TypeError`), not a person's name, so it is kept.
  const masked: Record<string, unknown> = { name: error.name, message: maskPiiString(error.message) };
  if (error.stack !== undefined) masked.stack = maskPiiString(error.stack);
  if (error.cause !== undefined) masked.cause = maskValue(error.cause, seen);
  const own = Object.entries(error).filter(([key]) => !['name', 'message', 'stack', 'cause'].includes(key));
  return { ...masked, ...maskEntries(own, seen) };
}
