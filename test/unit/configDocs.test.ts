import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { CONFIG_SECTIONS, VARIABLE_DESCRIPTIONS } from '../../config/descriptions.ts';
import { DEVELOPMENT_SECRETS, environmentSchema } from '../../config/schema.ts';
import { CONFIGURATION_DOC, configurationMarkdown, productionRules, schemaFacts } from '../../scripts/configDocs.ts';

/**
 * docs/configuration.md is generated from the zod schema and config/descriptions.ts
 * (scripts/configDocs.ts). It fails here when it is stale, when a variable has no description, or
 * when a description names a variable the schema does not have.
 */

type Schema = Parameters<typeof schemaFacts>[1];
const shape = environmentSchema.shape as unknown as Record<string, Schema>;
const schemaNames = Object.keys(shape).sort();
const factsOf = (name: string) => schemaFacts(name, shape[name] as Schema);

describe('the configuration reference', () => {
  it('should be what node scripts/configDocs.ts writes', async () => {
    const committed = await readFile(CONFIGURATION_DOC, 'utf8');
    assert.ok(committed === configurationMarkdown(), 'docs/configuration.md is stale: run node scripts/configDocs.ts');
  });

  it('should describe every variable of the schema, and no other', () => {
    const described = Object.keys(VARIABLE_DESCRIPTIONS).sort();
    assert.deepEqual(
      schemaNames.filter((name) => !described.includes(name)),
      [],
      'in config/schema.ts without a description in config/descriptions.ts',
    );
    assert.deepEqual(
      described.filter((name) => !schemaNames.includes(name)),
      [],
      'described in config/descriptions.ts but not in config/schema.ts',
    );
  });

  it('should list each variable in one section only, each with a meaning', () => {
    const listed = CONFIG_SECTIONS.flatMap((section) => Object.keys(section.variables));
    assert.equal(new Set(listed).size, listed.length, 'a variable is listed in two sections');
    for (const [name, description] of Object.entries(VARIABLE_DESCRIPTIONS))
      assert.ok(description.meaning.trim().length > 0, `${name} has a meaning`);
  });

  it('should take from a description only what the schema cannot say', () => {
    for (const [name, description] of Object.entries(VARIABLE_DESCRIPTIONS)) {
      if (!shape[name]) continue;
      const facts = factsOf(name);
      if (description.type !== undefined)
        assert.ok(facts.opaque, `${name}: the schema states its type (${facts.type}); drop the description's type`);
      if (facts.type === null)
        assert.ok(description.type, `${name}: the schema parses it with a transform; give its type`);
      if (description.unset !== undefined) {
        assert.equal(facts.defaultValue, undefined, `${name}: the schema has a default; drop the description's unset`);
        assert.ok(!(name in DEVELOPMENT_SECRETS), `${name}: a secret's default reads "development default"`);
      }
      if (description.productionNote !== undefined)
        assert.ok(productionRules(name).includes('required'), `${name}: a production note where nothing is required`);
    }
  });

  it("should read types, bounds and defaults from the schema's checks", () => {
    assert.deepEqual(factsOf('PORT'), {
      name: 'PORT',
      type: 'integer 0–65535',
      opaque: false,
      defaultValue: 3000,
      optional: false,
    });
    assert.equal(factsOf('NODE_ENV').type, '`development` | `test` | `production`');
    assert.equal(factsOf('OCR_LEASE_MS').type, 'integer ≥ 500 (ms)');
    assert.equal(factsOf('DECISION_APPROVE_THRESHOLD').type, 'number 0–1');
    assert.equal(factsOf('S3_BUCKET').type, '3–63 characters');
    assert.equal(factsOf('BULI2_URL').type, '`http` or `https` URL');
    assert.equal(factsOf('REDIS_URL').type, 'a redis:// or rediss:// URL');
    assert.equal(factsOf('WORKER_ID').type, 'matching `^[A-Za-z0-9._-]{1,64}$`');
    assert.equal(factsOf('PII_ENCRYPTION_KEYS').type, null);
    assert.deepEqual([...(factsOf('PROCESS_ROLES').defaultValue as Set<string>)], ['api', 'ocr', 'review']);
    assert.equal(factsOf('TEMPORAL_ADDRESS').optional, true);
  });

  it('should find the production rules by asking the schema', () => {
    assert.deepEqual(productionRules('BULI2_URL'), ['required', '`https` only']);
    assert.deepEqual(productionRules('PII_ENCRYPTION_KEYS'), ['required', 'not the development value']);
    assert.deepEqual(productionRules('TEMPORAL_ADDRESS'), ['required']);
    assert.deepEqual(productionRules('PORT'), []);
    for (const name of Object.keys(DEVELOPMENT_SECRETS))
      assert.ok(productionRules(name).includes('not the development value'), name);
  });

  it('should show no development secret, only that there is one', async () => {
    const committed = await readFile(CONFIGURATION_DOC, 'utf8');
    for (const [name, value] of Object.entries(DEVELOPMENT_SECRETS)) {
      assert.ok(!committed.includes(value), `${name}'s development value is not in the document`);
      assert.match(committed, new RegExp(`\\| \`${name}\` \\| [^\\n]* \\| development default \\|`), name);
    }
  });
});
