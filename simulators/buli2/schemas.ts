import { readFile } from 'node:fs/promises';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import type { ReviewCallback, ReviewForward } from '../../adapters/buli2/contract.ts';
import type { DecideOptions } from './callbacks.ts';
import { FAULT_MODES, FAULT_OPERATIONS, type Fault } from './faults.ts';

/**
 * The validators the simulator checks requests with. The contract's two schemas are read from
 * docs/buli2/ when a simulator starts, so the written contract is what the engine is tested against;
 * the /sim/ control bodies have small schemas of their own here.
 */

export type Validators = {
  forward: ValidateFunction<ReviewForward>;
  callback: ValidateFunction<ReviewCallback>;
  decideOptions: ValidateFunction<DecideOptions>;
  fault: ValidateFunction<Fault>;
};

/** One problem in a request body: where and what, never the offending value (it may be PII). */
export type SchemaIssue = { path: string; keyword: string; message: string };

const SCHEMA_DIR = new URL('../../docs/buli2/', import.meta.url);
/** Enough for a client to fix its request; a hostile body cannot make the answer large. */
const MAX_ISSUES = 20;
const MAX_PATH_CHARS = 200;

const decision = { enum: ['approve', 'reject'] };

const decideOptionsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    decision,
    // Lengths are checked on the callback built from them, against callback.schema.json.
    reviewer: { type: 'string', maxLength: 4096 },
    notes: { type: 'string', maxLength: 4096 },
    duplicate: { type: 'boolean' },
    badSignature: { type: 'boolean' },
    staleTimestamp: { type: 'boolean' },
    unsigned: { type: 'boolean' },
    secretIndex: { type: 'integer', minimum: 0, maximum: 100 },
    followedBy: {
      type: 'object',
      additionalProperties: false,
      properties: { decision, reviewer: { type: 'string', maxLength: 4096 } },
    },
  },
};

const faultSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['operation', 'mode'],
  properties: {
    operation: { enum: [...FAULT_OPERATIONS] },
    mode: { enum: [...FAULT_MODES] },
    count: { type: 'integer', minimum: 1, maximum: 1_000_000 },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    retryAfterS: { type: 'integer', minimum: 0, maximum: 86_400 },
    delayMs: { type: 'integer', minimum: 0, maximum: 600_000 },
  },
};

async function contractSchema(name: string): Promise<object> {
  return JSON.parse(await readFile(new URL(name, SCHEMA_DIR), 'utf8')) as object;
}

/** Reads docs/buli2/*.schema.json and compiles every validator (strict: a mistake in a schema throws here). */
export async function loadValidators(): Promise<Validators> {
  const [forwardSchema, callbackSchema] = await Promise.all([
    contractSchema('forward.schema.json'),
    contractSchema('callback.schema.json'),
  ]);
  // `type: ["string", "null"]` is how the contract writes a field that was not read.
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  return {
    forward: ajv.compile<ReviewForward>(forwardSchema),
    callback: ajv.compile<ReviewCallback>(callbackSchema),
    decideOptions: ajv.compile<DecideOptions>(decideOptionsSchema),
    fault: ajv.compile<Fault>(faultSchema),
  };
}

const pointerPart = (name: unknown) => String(name).replaceAll('~', '~0').replaceAll('/', '~1');

/**
 * ajv's errors as paths and rules. ajv's messages quote the schema (a limit, a pattern), never the
 * data; a property name is part of the path, cut short, since a hostile one may be long.
 */
export function schemaIssues(errors: readonly ErrorObject[] | null | undefined): SchemaIssue[] {
  return (errors ?? []).slice(0, MAX_ISSUES).map((error) => {
    const params = error.params as Record<string, unknown>;
    const property = params.additionalProperty ?? params.missingProperty;
    const path =
      property === undefined || error.keyword === 'propertyNames'
        ? error.instancePath
        : `${error.instancePath}/${pointerPart(property)}`;
    return {
      path: (path || '/').slice(0, MAX_PATH_CHARS),
      keyword: error.keyword,
      message: error.message ?? 'is invalid',
    };
  });
}
