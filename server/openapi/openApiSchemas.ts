import { type ZodType, z } from 'zod';
import { reasonSchema } from '../../domain/reasons.ts';
import {
  defaultKindFor,
  PROBLEM_CODES,
  PROBLEM_PAGES_PATH,
  PROBLEM_TYPES,
  type ProblemCode,
} from '../http/problemTypes.ts';

/**
 * What the route tables write their OpenAPI operations with: JSON Schemas from the zod schemas the
 * routes validate with (params, queries, bodies), so the description cannot drift from the checks.
 */

export const jsonSchema = (schema: ZodType) => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

/** Each property of an object schema as an OpenAPI parameter. */
export const parameters = (schema: ZodType, location: 'path' | 'query') => {
  const object = jsonSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (object.required ?? []).includes(name),
    schema: property,
  }));
};

export const json = (schema: ZodType) => ({ content: { 'application/json': { schema: jsonSchema(schema) } } });

z.globalRegistry.add(reasonSchema, { id: 'Reason', description: 'One finding of the evaluation' });

/** The body of every error answer (RFC 9457), as http/problems.ts sends it. */
export const problemSchema = z
  .object({
    type: z
      .string()
      .describe(
        `The URI of the page that documents this kind of problem (\`${PROBLEM_PAGES_PATH}/<code>\`), relative to the service`,
      ),
    code: z.enum(PROBLEM_CODES).describe('The kind of problem, stable: branch on it (docs/errors.md lists them all)'),
    title: z.string().describe('A short summary of the kind, the same for every problem of the kind'),
    status: z.number().int().min(100).max(599).describe('The HTTP status, as on the response'),
    detail: z.string().optional().describe('What went wrong in this occurrence, in words for a developer'),
    errors: z
      .array(
        z
          .object({
            path: z.string().describe('Where in the request, dotted (`type`, `file`, `cursor`, `body.decision`)'),
            message: z.string().describe('The rule it broke (never the value sent)'),
          })
          .meta({ id: 'ProblemIssue', description: 'One rule the request broke' }),
      )
      .optional()
      .describe('Each rule the request broke (validation_failed, unprocessable_file)'),
    correlationId: z
      .string()
      .describe('The id of this request, also sent as X-Request-Id: quote it when you contact us'),
  })
  .meta({
    id: 'Problem',
    description: 'An error answer (RFC 9457 problem details, application/problem+json)',
    examples: [
      {
        type: '/problems/not_found',
        code: 'not_found',
        title: PROBLEM_TYPES.not_found.title,
        status: 404,
        detail: 'No such document.',
        correlationId: '4f6c0f4e-0b5e-4f8e-9a51-3f1d2c7b9e10',
      },
    ],
  });
const problemContent = () => ({ 'application/problem+json': { schema: jsonSchema(problemSchema) } });

/** The kinds a status stands for where an operation names only the status: what any operation may answer with it. */
const GENERAL_KINDS: Readonly<Record<number, readonly ProblemCode[]>> = {
  400: ['validation_failed', 'malformed_request'],
  401: ['unauthorized'],
  403: ['forbidden'],
  404: ['not_found'],
  409: ['illegal_transition'],
  413: ['payload_too_large'],
  415: ['unsupported_media_type'],
  429: ['rate_limited'],
  503: ['service_unavailable', 'document_contended'],
};

const problemResponse = (kinds: readonly ProblemCode[]) => ({
  description: `Problem: ${kinds.map((code) => `\`${code}\``).join(', ')} (see \`${PROBLEM_PAGES_PATH}/{code}\`)`,
  content: problemContent(),
});

/**
 * The problem answers of an operation: a status stands for its general kinds (GENERAL_KINDS), a
 * kind for itself, under its status. Every operation may also answer 503 for a moment, with
 * Retry-After: while the database cannot be reached, or while the document is changed by too many
 * requests at once (http/problems.ts).
 */
export const problems = (...answers: (number | ProblemCode)[]) => {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const answer of [...answers, 503]) {
    const status = typeof answer === 'number' ? answer : PROBLEM_TYPES[answer].status;
    const kinds = typeof answer === 'number' ? (GENERAL_KINDS[answer] ?? [defaultKindFor(answer)]) : [answer];
    const listed = byStatus.get(status) ?? [];
    byStatus.set(status, [...listed, ...kinds.filter((kind) => !listed.includes(kind))]);
  }
  return Object.fromEntries(
    [...byStatus].map(([status, kinds]) => {
      const response = problemResponse(kinds);
      if (status !== 503 && status !== 429) return [String(status), response];
      const retryAfter = {
        description: 'Seconds to wait before trying again',
        required: true,
        schema: { type: 'integer', minimum: 0 },
      };
      return [String(status), { ...response, headers: { 'Retry-After': retryAfter } }];
    }),
  );
};

export const secured = { security: [{ bearer: [] }] };
