import { z } from 'zod';

/**
 * Text a person types (a reviewer's reason): at least one visible character, no control
 * characters but tab and line breaks, and well-formed Unicode. Postgres refuses U+0000 in text
 * and a lone surrogate in JSON, so either would otherwise surface as a 500 after validation passed.
 * The pattern is published in the OpenAPI document, so generated clients and fuzzers see the rule;
 * "visible" lists JavaScript's white space explicitly (what `trim()` removes) because other regex
 * dialects disagree on `\S`.
 */
const PATTERN =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  /^(?=[\s\S]*[^\t\n\v\f\r \u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\uFEFF])[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/;

export const freeText = (maxLength: number) =>
  z
    .string()
    .max(maxLength)
    .regex(PATTERN, 'must contain text, and no control characters other than tab and line breaks')
    .refine((value) => value.isWellFormed(), 'must be well-formed Unicode (no lone surrogates)')
    .trim();
