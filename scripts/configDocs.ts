/**
 * `node scripts/configDocs.ts`: writes `docs/configuration.md`, the environment reference, from the
 * zod schema (`config/schema.ts`: every variable, its type, bounds, enum values, pattern and default)
 * and the descriptions (`config/descriptions.ts`: what each one means, in sections). The production
 * column is found by asking the schema: each variable is left out of, or given the development value
 * in, an environment production accepts. `--check` writes nothing and exits 1 when the file is stale.
 * `test/unit/configDocs.test.ts` fails when the committed file differs from what this writes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { CONFIG_SECTIONS, VARIABLE_DESCRIPTIONS, type VariableDescription } from '../config/descriptions.ts';
import { DEVELOPMENT_SECRETS, environmentSchema } from '../config/schema.ts';

export const CONFIGURATION_DOC = new URL('../docs/configuration.md', import.meta.url);

/** The parts of a zod 4 schema's internals this reads (`schema._zod.def`). */
type Def = {
  type: string;
  innerType?: Schema;
  defaultValue?: unknown;
  in?: Schema;
  out?: Schema;
  entries?: Record<string, string | number>;
  checks?: { _zod: { def: CheckDef } }[];
  format?: string;
  protocol?: RegExp;
};
type CheckDef = {
  check: string;
  format?: string;
  value?: number;
  minimum?: number;
  maximum?: number;
  inclusive?: boolean;
  pattern?: RegExp;
  error?: (issue: unknown) => unknown;
};
type Schema = { _zod: { def: Def; bag?: Record<string, unknown> } };

/** What the schema says about one variable. */
export type SchemaFacts = {
  name: string;
  /** The type column, or null where the schema parses with a transform it cannot describe. */
  type: string | null;
  /** True where the schema's own type is a bare string or a transform: a description may then state the type. */
  opaque: boolean;
  /** The schema's default, or undefined when it has none. */
  defaultValue: unknown;
  optional: boolean;
};

const code = (text: string) => `\`${text}\``;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** The unit a variable's name gives its number: `_MS` milliseconds, `_S` seconds, `_HOURS` hours. */
function unitOf(name: string): { label: string; ms: number } | null {
  if (name.endsWith('_MS')) return { label: 'ms', ms: 1 };
  if (name.endsWith('_S')) return { label: 's', ms: 1000 };
  if (name.endsWith('_HOURS')) return { label: 'h', ms: 3_600_000 };
  return null;
}

/** A custom check's message, as a type: `must be a redis:// URL` reads `a redis:// URL`. */
function messageOf(check: CheckDef): string | null {
  const message = check.error?.({ code: 'custom', input: undefined });
  return typeof message === 'string' ? message.replace(/^must be /, '') : null;
}

function numberType(name: string, def: Def): string {
  let min: number | undefined;
  let max: number | undefined;
  let integer = false;
  for (const { _zod } of def.checks ?? []) {
    const check = _zod.def;
    if (check.check === 'number_format' && (check.format === 'safeint' || check.format === 'int32')) integer = true;
    else if (check.check === 'greater_than') min = check.value;
    else if (check.check === 'less_than') max = check.value;
    else throw new Error(`${name}: a number check the generator does not know (${check.check})`);
  }
  const kind = integer ? 'integer' : 'number';
  const bounds =
    min !== undefined && max !== undefined && max < MAX_SAFE
      ? `${min}–${max}`
      : min !== undefined
        ? `≥ ${min}`
        : max !== undefined && max < MAX_SAFE
          ? `≤ ${max}`
          : '';
  const unit = unitOf(name);
  return [kind, bounds, unit ? `(${unit.label})` : ''].filter(Boolean).join(' ');
}

/** `/^https?$/` reads "`http` or `https`". */
function protocols(pattern: RegExp): string {
  const optionalLast = /^\^([a-z]+)([a-z])\?\$$/.exec(pattern.source);
  if (optionalLast) return `${code(optionalLast[1] as string)} or ${code(`${optionalLast[1]}${optionalLast[2]}`)}`;
  return `protocol matching ${code(pattern.source)}`;
}

function stringType(name: string, def: Def): { type: string; opaque: boolean } {
  if (def.format === 'url') return { type: def.protocol ? `${protocols(def.protocol)} URL` : 'URL', opaque: false };
  let minimum: number | undefined;
  let maximum: number | undefined;
  const parts: string[] = [];
  for (const { _zod } of def.checks ?? []) {
    const check = _zod.def;
    if (check.check === 'min_length') minimum = check.minimum;
    else if (check.check === 'max_length') maximum = check.maximum;
    else if (check.check === 'string_format' && check.format === 'regex' && check.pattern)
      parts.push(messageOf(check) ?? `matching ${code(check.pattern.source)}`);
    else if (check.check === 'custom') {
      const message = messageOf(check);
      if (!message) throw new Error(`${name}: a refinement without a message; give it one`);
      parts.push(message);
    } else throw new Error(`${name}: a string check the generator does not know (${check.check})`);
  }
  if (minimum !== undefined && maximum !== undefined) parts.unshift(`${minimum}–${maximum} characters`);
  else if (minimum === 1) parts.unshift('non-empty string');
  else if (minimum !== undefined) parts.unshift(`at least ${minimum} characters`);
  else if (maximum !== undefined) parts.unshift(`at most ${maximum} characters`);
  return parts.length > 0 ? { type: parts.join('; '), opaque: false } : { type: 'string', opaque: true };
}

/** Reads one variable's schema: unwraps optional and default, then describes the type inside. */
export function schemaFacts(name: string, schema: Schema): SchemaFacts {
  let current = schema;
  let optional = false;
  let defaultValue: unknown;
  for (;;) {
    const def = current._zod.def;
    if (def.type === 'optional' && def.innerType) {
      optional = true;
      current = def.innerType;
    } else if (def.type === 'default' && def.innerType) {
      defaultValue = def.defaultValue;
      current = def.innerType;
    } else break;
  }
  const def = current._zod.def;
  if (def.type === 'enum' && def.entries)
    return {
      name,
      type: Object.values(def.entries).map(String).map(code).join(' | '),
      opaque: false,
      defaultValue,
      optional,
    };
  if (def.type === 'number') return { name, type: numberType(name, def), opaque: false, defaultValue, optional };
  if (def.type === 'string') return { name, ...stringType(name, def), defaultValue, optional };
  if (def.type === 'pipe' && def.out?._zod.def.type === 'boolean') {
    // z.stringbool(): the words it takes for true and false.
    const bag = current._zod.bag as { truthy?: string[]; falsy?: string[] } | undefined;
    const pairs = (bag?.truthy ?? ['true']).map((word, index) => `${word}/${bag?.falsy?.[index] ?? '?'}`);
    return {
      name,
      type: `boolean: ${code('true')} or ${code('false')} (also ${pairs.slice(1).join(', ')})`,
      opaque: false,
      defaultValue,
      optional,
    };
  }
  if (def.type === 'pipe') return { name, type: null, opaque: true, defaultValue, optional };
  throw new Error(`${name}: a schema type the generator does not know (${def.type})`);
}

/** A default as the table shows it: durations get their larger unit beside them. */
function renderValue(name: string, value: unknown): string {
  const text =
    value instanceof Set || Array.isArray(value)
      ? [...value].join(',')
      : typeof value === 'string'
        ? value
        : JSON.stringify(value);
  const unit = unitOf(name);
  if (typeof value !== 'number' || !unit) return code(text);
  const ms = value * unit.ms;
  const larger =
    ms >= 2 * 86_400_000 && ms % 86_400_000 === 0
      ? `${ms / 86_400_000} days`
      : ms >= 3_600_000 && ms % 3_600_000 === 0
        ? `${ms / 3_600_000} h`
        : ms >= 60_000 && ms % 60_000 === 0
          ? `${ms / 60_000} min`
          : null;
  return larger && larger !== `${value} ${unit.label}` ? `${code(text)} (${larger})` : code(text);
}

const secretNames = new Set(Object.keys(DEVELOPMENT_SECRETS));

/** An environment production accepts: every secret set to a value of its kind, every required address. */
function productionEnvironment(): Record<string, string> {
  const secret = (letter: string) => letter.repeat(40);
  return {
    NODE_ENV: 'production',
    PII_ENCRYPTION_KEYS: `prod1:${Buffer.alloc(32, 7).toString('base64')}`,
    NIK_HASH_KEY: secret('n'),
    JWT_SECRET: secret('j'),
    BULI2_API_KEY: secret('b'),
    BULI2_WEBHOOK_SECRETS: `${secret('w')},${secret('v')}`,
    IMAGE_LINK_SECRET: secret('i'),
    TEMPORAL_ADDRESS: 'temporal.internal:7233',
    BULI2_URL: 'https://buli2.internal/api',
    PUBLIC_URL: 'https://kyc.internal',
  };
}

/** What production asks of one variable, found by asking the schema. */
export function productionRules(name: string): string[] {
  const base = productionEnvironment();
  const refused = (env: Record<string, string>) => {
    const result = environmentSchema.safeParse(env);
    return result.success ? [] : result.error.issues.filter((issue) => issue.path[0] === name);
  };
  const baseIssues = environmentSchema.safeParse(base);
  if (!baseIssues.success)
    throw new Error(
      `scripts/configDocs.ts: production refuses the environment the generator builds; add a value for ${baseIssues.error.issues
        .map((issue) => issue.path.join('.'))
        .join(', ')} to productionEnvironment()`,
    );
  const rules: string[] = [];
  const { [name]: _left, ...without } = base;
  if (refused(without).length > 0) rules.push('required');
  const developmentValue = (DEVELOPMENT_SECRETS as Record<string, string>)[name];
  if (developmentValue !== undefined && refused({ ...base, [name]: developmentValue }).length > 0)
    rules.push('not the development value');
  const value = base[name];
  if (value?.startsWith('https:')) {
    const plain = value.replace(/^https:/, 'http:');
    const accepted = environmentSchema.safeParse({ [name]: plain }).success;
    if (accepted && refused({ ...base, [name]: plain }).length > 0) rules.push(`${code('https')} only`);
  }
  return rules;
}

/** A table cell: pipes escaped (also inside code), no line breaks. */
const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function row(name: string, description: VariableDescription): string {
  const schema = (environmentSchema.shape as unknown as Record<string, Schema>)[name];
  if (!schema) throw new Error(`config/descriptions.ts describes ${name}, which config/schema.ts does not have`);
  const facts = schemaFacts(name, schema);
  const type = description.type ?? facts.type;
  if (type === null)
    throw new Error(`${name}: the schema cannot say its type (a transform); give one in config/descriptions.ts`);
  const defaultText =
    facts.defaultValue !== undefined
      ? renderValue(name, facts.defaultValue)
      : secretNames.has(name)
        ? 'development default'
        : (description.unset ?? 'unset');
  const production = productionRules(name).map((rule) =>
    rule === 'required' && description.productionNote ? `required ${description.productionNote}` : rule,
  );
  return `| ${[code(name), type, defaultText, production.length > 0 ? production.join('; ') : '—', description.meaning]
    .map(cell)
    .join(' | ')} |`;
}

const HEADER = `# Configuration

<!-- Generated by \`node scripts/configDocs.ts\` from config/schema.ts and config/descriptions.ts: edit those, not this file. test/unit/configDocs.test.ts fails when this file is stale. -->

Every setting comes from an environment variable. \`config/schema.ts\` holds the one zod schema;
\`config/index.ts\` (\`loadConfig()\`) reads \`process.env\` once at start-up — no other code reads it (a
unit test checks). This reference is generated from that schema: the type, default and production
columns are the schema's own, the meanings are kept in \`config/descriptions.ts\`.
\`.env.example\` lists exactly the same variables with a comment each; a unit test keeps the two
identical, so change both together, then run \`node scripts/configDocs.ts\`.

Rules that apply to all variables:

- An empty string counts as unset, and unset takes the default.
- All problems are reported at once: \`Invalid configuration (N problem(s)):\` followed by one
  \`  - NAME: message\` line per bad variable. Secret values never appear in the message.
- Variables the schema does not know are ignored (a misspelt name is silently ignored).
- \`npm start\` reads a \`.env\` file in the working directory when there is one (\`node main.ts --dotenv=.env\`, read by \`config/envFile.ts\`); exported variables win over it.
- "development default": the variable is a secret; unset outside production, a built-in value
  stands in for it so a fresh checkout starts. Production refuses to start without a real one.

The production column (\`NODE_ENV=production\`): "required" means start-up fails without it, "not the
development value" that the built-in development secret is refused, "\`https\` only" that a plain
\`http\` URL is refused.`;

const FOOTER = `## Not configuration

\`TEST_DATABASE_SERVER_URL\`, \`TEST_REDIS_URL\`, \`FILOT_TEST_LOGS\`, \`FILOT_TEST_WORKER\`,
\`FILOT_TEST_CRASH\` and \`BENCH_*\` are read by the tests and benchmarks only, never by the engine
([testing.md](testing.md)).
\`npm test\` starts one in-memory Temporal dev server for the whole run (\`test/support/globalSetup.ts\`)
and sets \`TEMPORAL_ADDRESS\` to it in the test processes; a test file run alone starts its own.
\`npm run buli2:sim\` also reads \`BULI2_SIM_PORT\`, \`BULI2_SIM_DECIDE_AFTER_MS\` and \`FILOT_CALLBACK_URL\`
([buli2.md](buli2.md#the-simulator)), and \`npm run inspect\` \`INSPECT_PORT\`.`;

/** The production rules of every variable that has one, as a list. */
function productionSection(names: readonly string[]): string {
  const lines = names
    .map((name) => {
      const note = VARIABLE_DESCRIPTIONS[name]?.productionNote;
      return [
        name,
        productionRules(name).map((rule) => (rule === 'required' && note ? `required ${note}` : rule)),
      ] as const;
    })
    .filter(([, rules]) => rules.length > 0)
    .map(([name, rules]) => `- ${code(name)}: ${rules.join('; ')}.`);
  return [
    '## Production rules',
    '',
    'With `NODE_ENV=production` start-up refuses an environment that breaks any of these (read from the',
    "schema's checks, as in the tables' production column):",
    '',
    ...lines,
    '',
    'Besides, in every mode: `JWT_SECRET` and `JWT_PUBLIC_KEY` are not both set; `JWT_ALGORITHMS` fits',
    'the key (HS256 with a secret, RS256/ES256 with a public key); `PII_ACTIVE_KEY_ID` is one of',
    '`PII_ENCRYPTION_KEYS`, and required when that holds several keys; `REVIEW_ESCALATION_MS` is greater',
    'than `REVIEW_REMINDER_MS`; `S3_BUCKET` is set when `STORAGE_DRIVER=s3`; `S3_ACCESS_KEY_ID` and',
    '`S3_SECRET_ACCESS_KEY` come together or not at all. Every other variable may keep its default in',
    'production: `DATABASE_URL` and `REDIS_URL` still default to localhost, and plain `redis://` is',
    'accepted, so set them. The steps from secrets to the first real document are in',
    '[production-checklist.md](production-checklist.md).',
  ].join('\n');
}

/** The whole of docs/configuration.md. */
export function configurationMarkdown(): string {
  const schemaNames = Object.keys(environmentSchema.shape);
  const described = new Set(CONFIG_SECTIONS.flatMap((section) => Object.keys(section.variables)));
  const undescribed = schemaNames.filter((name) => !described.has(name));
  if (undescribed.length > 0)
    throw new Error(`config/descriptions.ts has no description for ${undescribed.join(', ')}`);
  const sections = CONFIG_SECTIONS.map((section) => {
    const rows = Object.entries(section.variables)
      // A description may come before its variable reaches the schema; it is shown once it does.
      .filter(([name]) => schemaNames.includes(name))
      .map(([name, description]) => row(name, description));
    return [
      `### ${section.title}`,
      ...(section.intro ? ['', section.intro] : []),
      '',
      '| variable | type | default | production | meaning |',
      '|---|---|---|---|---|',
      ...rows,
      ...(section.notes ? ['', section.notes] : []),
    ].join('\n');
  });
  return `${[HEADER, '## Variables', ...sections, productionSection(schemaNames), FOOTER].join('\n\n')}\n`;
}

if (import.meta.main) {
  const text = configurationMarkdown();
  if (process.argv.includes('--check')) {
    const current = await readFile(CONFIGURATION_DOC, 'utf8').catch(() => '');
    if (current !== text) {
      console.error('docs/configuration.md is stale: run node scripts/configDocs.ts');
      process.exitCode = 1;
    }
  } else {
    await writeFile(CONFIGURATION_DOC, text);
    console.log('wrote docs/configuration.md');
  }
}
