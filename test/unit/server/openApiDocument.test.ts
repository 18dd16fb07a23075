import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validate } from '@readme/openapi-parser';
import { REASONS } from '../../../domain/reasons.ts';
import { openApiDocument } from '../../../server/openapi/openapi.ts';

/**
 * The OpenAPI document as a client developer reads it: valid OpenAPI 3.1, every operation named and
 * tagged, schemas named, every field and parameter described, the reason codes an enum with their
 * meanings, and none of what zod writes that says nothing.
 */

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/** Every object in the document with its JSON pointer-ish path. */
function* nodes(node: unknown, path = '#'): Generator<[string, Json]> {
  if (Array.isArray(node)) for (const [index, item] of node.entries()) yield* nodes(item, `${path}/${index}`);
  else if (isObject(node)) {
    yield [path, node];
    for (const [key, value] of Object.entries(node)) yield* nodes(value, `${path}/${key}`);
  }
}

const document = openApiDocument();
const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
  Object.entries(methods)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation: operation as Json })),
);

describe('the OpenAPI document', () => {
  it('should be valid OpenAPI 3.1 to a validator', async () => {
    assert.equal(document.openapi, '3.1.0');
    // A copy: the validator dereferences in place.
    const result = await validate(structuredClone(document) as never);
    assert.ok(result.valid, JSON.stringify(result, null, 2));
    assert.deepEqual(result.warnings, []);
  });

  it('should be refused by that validator when it is broken (the check checks)', async () => {
    const broken = structuredClone(document) as unknown as {
      paths: { '/documents/{id}': { get: { parameters: Json[] } } };
    };
    const [parameter] = broken.paths['/documents/{id}'].get.parameters;
    if (parameter) parameter.in = 'body';
    assert.equal((await validate(broken as never)).valid, false);
    const dangling = structuredClone(document) as unknown as { components: { schemas: Json } };
    delete dangling.components.schemas.Problem;
    assert.equal((await validate(dangling as never)).valid, false);
  });

  it('should give every operation a unique operationId and a tag the document declares', () => {
    const declared = new Set(document.tags.map((tag) => tag.name));
    const ids = new Set<string>();
    for (const { route, operation } of operations) {
      assert.match(String(operation.operationId), /^[a-z][A-Za-z0-9]+$/, route);
      assert.ok(!ids.has(String(operation.operationId)), `${route}: operationId ${operation.operationId} twice`);
      ids.add(String(operation.operationId));
      const tags = operation.tags as string[];
      assert.ok(tags.length > 0 && tags.every((tag) => declared.has(tag)), route);
    }
    assert.ok(ids.has('uploadDocument') && ids.has('getDocument') && ids.has('getVerification'));
    for (const tag of document.tags) assert.ok(tag.description, tag.name);
  });

  it('should say where it is served, and how to authenticate', () => {
    assert.ok(document.servers.length > 0);
    const schemes = document.components.securitySchemes;
    assert.equal(schemes.bearer.scheme, 'bearer');
    assert.equal(schemes.bearer.bearerFormat, 'JWT');
    assert.equal(schemes.metricsToken.scheme, 'bearer');
    for (const [name, scheme] of Object.entries(schemes)) assert.ok(scheme.description, name);
    assert.match(document.info.description, /Authorization: Bearer/);
    const used = new Set(
      operations.flatMap(({ operation }) =>
        ((operation.security ?? []) as Json[]).flatMap((entry) => Object.keys(entry)),
      ),
    );
    for (const name of Object.keys(schemes)) assert.ok(used.has(name), `${name} is declared and never used`);
  });

  it('should name its main schemas and refer to them', () => {
    const schemas = document.components.schemas as Json;
    for (const name of ['Document', 'Verification', 'Problem', 'Reason', 'ReasonCode', 'UploadAccepted'])
      assert.ok(isObject(schemas[name]), name);
    const text = JSON.stringify(document);
    assert.ok(!text.includes('"$defs"'), 'every named schema is under components');
    for (const [path, node] of nodes(document))
      if (typeof node.$ref === 'string') {
        assert.match(node.$ref, /^#\/components\/schemas\//, path);
        assert.ok(isObject(schemas[node.$ref.split('/').pop() ?? '']), `${path}: ${node.$ref}`);
      }
  });

  it('should describe every field and every parameter', () => {
    const undescribed: string[] = [];
    for (const [path, node] of nodes(document)) {
      if (isObject(node.properties))
        for (const [name, property] of Object.entries(node.properties))
          if (!isObject(property) || typeof property.description !== 'string' || property.description === '')
            undescribed.push(`${path}/properties/${name}`);
      if (typeof node.in === 'string' && typeof node.name === 'string' && !node.description)
        undescribed.push(`${path} (parameter ${node.name})`);
    }
    assert.deepEqual(undescribed, []);
  });

  it('should give examples of what the main answers look like', () => {
    const schemas = document.components.schemas as Record<string, Json>;
    for (const name of ['Problem', 'UploadAccepted', 'Document']) {
      const examples = schemas[name]?.examples;
      assert.ok(Array.isArray(examples) && examples.length > 0, name);
    }
  });

  it('should list the reason codes as an enum, each with its meaning', () => {
    const reasonCode = (document.components.schemas as Record<string, Json>).ReasonCode as Json;
    assert.deepEqual(reasonCode.enum, Object.keys(REASONS));
    const meanings = reasonCode['x-enumDescriptions'] as Record<string, string>;
    for (const [code, { severity, message }] of Object.entries(REASONS)) {
      assert.equal(meanings[code], `${severity}: ${message}`);
      assert.ok(String(reasonCode.description).includes(`\`${code}\``), code);
    }
    const reason = (document.components.schemas as Record<string, Json>).Reason as { properties: Json };
    assert.deepEqual((reason.properties.code as Json).$ref, '#/components/schemas/ReasonCode');
  });

  it('should hold none of zod’s leftovers: safe-integer bounds, date-time regular expressions', () => {
    for (const [path, node] of nodes(document)) {
      assert.notEqual(node.minimum, Number.MIN_SAFE_INTEGER, path);
      assert.notEqual(node.maximum, Number.MAX_SAFE_INTEGER, path);
      if (node.format === 'date-time') assert.equal(node.pattern, undefined, path);
      // A UUID keeps its pattern (about 210 characters): `format: uuid` alone admits UUIDs of no
      // version or variant, which the API refuses, and a generator (schemathesis) would send them.
      if (typeof node.pattern === 'string')
        assert.ok(node.pattern.length < 250, `${path}: a ${node.pattern.length}-character pattern`);
    }
    assert.ok(!JSON.stringify(document).includes('9007199254740991'));
  });

  it('should give every problem answer the Problem schema and name the kinds it may carry', () => {
    for (const { route, operation } of operations)
      for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
        const content = response.content as Record<string, { schema: Json }> | undefined;
        if (!content?.['application/problem+json']) continue;
        assert.equal(content['application/problem+json'].schema.$ref, '#/components/schemas/Problem', route);
        assert.match(String(response.description), /`[a-z_]+`/, `${route} ${status}`);
      }
  });
});
