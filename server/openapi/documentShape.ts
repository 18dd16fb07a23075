import { REASONS } from '../../domain/reasons.ts';
import { FIELD_DESCRIPTIONS } from './fieldDescriptions.ts';

/**
 * The last pass over the OpenAPI document, after the route tables wrote their operations with zod's
 * JSON Schemas (openApiSchemas.ts):
 * - a schema with an id (`.meta({ id })`) comes out of each conversion under `$defs`; here it moves
 *   to `components.schemas` once, and every `$ref` points there;
 * - what zod writes that says nothing to a reader goes: the ±2^53−1 bounds of every integer, and
 *   the regular expression beside `format: date-time` (the format says it);
 * - fields and parameters without a description get the one their name has (fieldDescriptions.ts);
 * - the reason codes become the `ReasonCode` enum, each with its meaning (domain/reasons.ts).
 */

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const DEFS_PREFIX = '#/$defs/';
const COMPONENTS_PREFIX = '#/components/schemas/';
/**
 * Formats that say everything zod's `pattern` beside them says. Not `uuid`: its pattern also asks for
 * a version and variant, which the API checks and `format: uuid` does not say.
 */
const SELF_DESCRIBING_FORMATS = new Set(['date-time', 'date', 'time', 'duration']);

/** Walks every node, children first, and gives each object to `visit`. */
function walk(node: unknown, visit: (object: Json) => void): void {
  if (Array.isArray(node)) for (const item of node) walk(item, visit);
  else if (isObject(node)) {
    for (const value of Object.values(node)) walk(value, visit);
    visit(node);
  }
}

function hoistDefinitions(document: Json, schemas: Json): void {
  walk(document, (node) => {
    if (typeof node.$ref === 'string' && node.$ref.startsWith(DEFS_PREFIX))
      node.$ref = COMPONENTS_PREFIX + node.$ref.slice(DEFS_PREFIX.length);
    if (!isObject(node.$defs)) return;
    for (const [name, schema] of Object.entries(node.$defs)) {
      if (name in schemas && JSON.stringify(schemas[name]) !== JSON.stringify(schema))
        throw new Error(`Two different schemas are named ${name} in the OpenAPI document`);
      schemas[name] = schema;
    }
    delete node.$defs;
  });
}

function dropLeftovers(node: Json): void {
  if (node.minimum === Number.MIN_SAFE_INTEGER) delete node.minimum;
  if (node.maximum === Number.MAX_SAFE_INTEGER) delete node.maximum;
  if (typeof node.format === 'string' && SELF_DESCRIBING_FORMATS.has(node.format)) delete node.pattern;
}

function describeFields(node: Json, component?: string): void {
  if (isObject(node.properties))
    for (const [name, property] of Object.entries(node.properties)) {
      const description = (component && FIELD_DESCRIPTIONS[`${component}.${name}`]) ?? FIELD_DESCRIPTIONS[name];
      if (isObject(property) && property.description === undefined && description) property.description = description;
    }
  // A parameter, as openApiSchemas.ts's `parameters` writes it: its schema's description is its own,
  // then the glossary's for its place (`path.id`), then for its name.
  if (typeof node.in === 'string' && typeof node.name === 'string' && node.description === undefined) {
    const schema = isObject(node.schema) ? node.schema : {};
    const description =
      schema.description ?? FIELD_DESCRIPTIONS[`${node.in}.${node.name}`] ?? FIELD_DESCRIPTIONS[node.name];
    if (typeof description === 'string') node.description = description;
  }
}

/** Every reason code, with its severity and meaning. */
export function reasonCodeSchema(): Json {
  const entries = Object.entries(REASONS);
  return {
    type: 'string',
    description:
      'A reason code, stable (clients and dashboards branch on it), with the severity it always has:\n\n' +
      entries.map(([code, { severity, message }]) => `- \`${code}\` (${severity}): ${message}`).join('\n'),
    enum: entries.map(([code]) => code),
    'x-enumDescriptions': Object.fromEntries(
      entries.map(([code, { severity, message }]) => [code, `${severity}: ${message}`]),
    ),
  };
}

/** The document, finished in place (see above). */
export function finishDocument<Document extends Json & { components: Json }>(document: Document): Document {
  const schemas: Json = isObject(document.components.schemas) ? document.components.schemas : {};
  hoistDefinitions(document, schemas);
  schemas.ReasonCode = reasonCodeSchema();
  const reason = schemas.Reason;
  if (isObject(reason) && isObject(reason.properties))
    reason.properties.code = { $ref: `${COMPONENTS_PREFIX}ReasonCode`, description: 'What was found' };
  document.components.schemas = Object.fromEntries(Object.entries(schemas).sort(([a], [b]) => a.localeCompare(b)));
  walk(document, dropLeftovers);
  walk(document.paths, (node) => describeFields(node));
  for (const [name, schema] of Object.entries(schemas)) walk(schema, (node) => describeFields(node, name));
  return document;
}
