import { type ZodType, z } from 'zod';

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

const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  correlationId: z.string(),
});
const problemContent = () => ({ 'application/problem+json': { schema: jsonSchema(problem) } });

/**
 * The problem answers of an operation. Every one may also answer 503 for a moment, with
 * Retry-After: while the database cannot be reached, or while the document is changed by too many
 * requests at once (http/problems.ts).
 */
export const problems = (...statuses: number[]) => ({
  ...Object.fromEntries(
    statuses.map((status) => [String(status), { description: 'Problem', content: problemContent() }]),
  ),
  '503': {
    description: 'Problem: unavailable for a moment (the database cannot be reached, or the document is contended)',
    headers: {
      'Retry-After': {
        description: 'Seconds to wait before trying again',
        required: true,
        schema: { type: 'integer' },
      },
    },
    content: problemContent(),
  },
});

export const secured = { security: [{ bearer: [] }] };
