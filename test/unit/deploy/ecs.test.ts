import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ApplicationProtocol,
  Compatibility,
  CPUArchitecture,
  LogDriver,
  NetworkMode,
  OSFamily,
  type RegisterTaskDefinitionCommandInput,
  RegisterTaskDefinitionRequest$,
  ResourceType,
  TransportProtocol,
} from '@aws-sdk/client-ecs';
import { NormalizedSchema } from '@smithy/core/schema';
import apiJson from '../../../deploy/ecs/api.json' with { type: 'json' };
import gpuWorkerJson from '../../../deploy/ecs/ocr-gpu-worker.json' with { type: 'json' };
import reviewWorkerJson from '../../../deploy/ecs/review-worker.json' with { type: 'json' };
import {
  DEPLOY_PLACEHOLDERS,
  execFormOf,
  keywordIn,
  readText,
  renderTaskDefinition,
  SECRET_NAMES,
  type Stage,
  stagesOf,
  TASK_DEFINITIONS,
  type TaskDefinitionName,
} from './deployFiles.ts';

/**
 * The ECS task definitions (deploy/ecs/*.json) are the input of `aws ecs register-task-definition
 * --cli-input-json`, that is RegisterTaskDefinitionCommandInput. They are checked against it twice:
 * - by `npm run typecheck`: each file, imported as JSON, must fit `Checked<file, input>` below: a key
 *   the SDK's type does not have, or a number where it takes a string, fails to compile;
 * - by this test: against the SDK's own runtime schema of the request (`RegisterTaskDefinitionRequest$`,
 *   what the client serialises with): members, their kinds, required members; enum values against the
 *   SDK's enum constants.
 * Then the rules of the deployment issue. The variables against config/schema.ts: parity.test.ts.
 */

/**
 * `A` (an imported JSON file's type) kept where it fits `S` (the SDK's input type), `never` where it
 * does not: at a key `S` lacks, or a value of another kind. JSON imports widen strings, so enum
 * members are checked as strings here and by value in the test.
 */
type Checked<A, S> = [A] extends [readonly (infer Item)[]]
  ? [S] extends [readonly (infer SItem)[] | undefined]
    ? readonly Checked<Item, NonNullable<SItem>>[]
    : never
  : [A] extends [object]
    ? [S] extends [object]
      ? { [K in keyof A]: K extends keyof S ? Checked<A[K], NonNullable<S[K]>> : never }
      : never
    : [A] extends [string]
      ? [S] extends [string]
        ? A
        : never
      : [A] extends [number]
        ? [S] extends [number]
          ? A
          : never
        : [A] extends [boolean]
          ? [S] extends [boolean]
            ? A
            : never
          : never;

// The type check: these three lines stop `npm run typecheck` when a file strays from the SDK's input.
export const typedApi: Checked<typeof apiJson, RegisterTaskDefinitionCommandInput> = apiJson;
export const typedReviewWorker: Checked<typeof reviewWorkerJson, RegisterTaskDefinitionCommandInput> = reviewWorkerJson;
export const typedGpuWorker: Checked<typeof gpuWorkerJson, RegisterTaskDefinitionCommandInput> = gpuWorkerJson;

type Container = NonNullable<RegisterTaskDefinitionCommandInput['containerDefinitions']>[number];

/** What a value breaks of the SDK's runtime schema for it (member names, kinds, required members). */
function schemaProblems(value: unknown, schema: NormalizedSchema, path: string): string[] {
  const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
  if (schema.isStructSchema()) {
    if (!isObject) return [`${path}: an object (${schema.getName()})`];
    const members = new Map(schema.structIterator());
    // A static structure schema is [kind, namespace, name, traits, members, their schemas, required count]:
    // its first members, that many, are required.
    const requiredCount = ((schema.getSchema() as unknown as unknown[])[6] as number | undefined) ?? 0;
    const required = [...members.keys()].slice(0, requiredCount);
    return [
      ...required.filter((name) => !(name in value)).map((name) => `${path}.${name}: required`),
      ...Object.entries(value).flatMap(([key, member]) => {
        const memberSchema = members.get(key);
        return memberSchema
          ? schemaProblems(member, memberSchema, `${path}.${key}`)
          : [`${path}.${key}: no such member of ${schema.getName()}`];
      }),
    ];
  }
  if (schema.isListSchema())
    return Array.isArray(value)
      ? value.flatMap((item, index) => schemaProblems(item, schema.getValueSchema(), `${path}[${index}]`))
      : [`${path}: a list`];
  if (schema.isMapSchema())
    return isObject
      ? Object.entries(value).flatMap(([key, item]) => schemaProblems(item, schema.getValueSchema(), `${path}.${key}`))
      : [`${path}: a map`];
  if (schema.isStringSchema()) return typeof value === 'string' ? [] : [`${path}: a string`];
  if (schema.isNumericSchema()) return Number.isInteger(value) ? [] : [`${path}: an integer`];
  if (schema.isBooleanSchema()) return typeof value === 'boolean' ? [] : [`${path}: a boolean`];
  return [`${path}: a kind these files do not use`];
}

const oneOf = (enumObject: Record<string, string>, value: string | undefined, what: string) =>
  assert.ok(value !== undefined && Object.values(enumObject).includes(value), `${what}: ${value}`);

/** `${NAME}`, a placeholder of the task definitions. */
const placeholder = (name: keyof typeof DEPLOY_PLACEHOLDERS) => `\${${name}}`;

/** Each task's role, image and log group. */
const EXPECTED: Record<TaskDefinitionName, { roles: string; image: string; logGroup: string; launch: string }> = {
  api: { roles: 'api', image: placeholder('IMAGE'), logGroup: '/ecs/filot-kyc', launch: 'FARGATE' },
  'review-worker': { roles: 'review', image: placeholder('IMAGE'), logGroup: '/ecs/filot-kyc', launch: 'FARGATE' },
  // The seed's log group for the GPU worker; the EMF writer names the same one for an ocr-only process.
  'ocr-gpu-worker': {
    roles: 'ocr',
    image: placeholder('GPU_IMAGE'),
    logGroup: '/ecs/filot-ocr-gpu-worker',
    launch: 'EC2',
  },
};

/** Fargate's task sizes: CPU units → the memory (MiB) each allows. */
const FARGATE_MEMORY: Record<string, (memory: number) => boolean> = {
  '256': (memory) => [512, 1024, 2048].includes(memory),
  '512': (memory) => memory >= 1024 && memory <= 4096 && memory % 1024 === 0,
  '1024': (memory) => memory >= 2048 && memory <= 8192 && memory % 1024 === 0,
  '2048': (memory) => memory >= 4096 && memory <= 16_384 && memory % 1024 === 0,
  '4096': (memory) => memory >= 8192 && memory <= 30_720 && memory % 1024 === 0,
};

const [imageHealthcheckInstruction] = keywordIn(stagesOf('Dockerfile').at(-1) as Stage, 'HEALTHCHECK');
assert.ok(imageHealthcheckInstruction, "Dockerfile's HEALTHCHECK");
const imageHealthcheck = execFormOf(imageHealthcheckInstruction);

for (const name of Object.keys(TASK_DEFINITIONS) as TaskDefinitionName[]) {
  describe(TASK_DEFINITIONS[name], () => {
    const raw = JSON.parse(readText(TASK_DEFINITIONS[name])) as RegisterTaskDefinitionCommandInput;
    const container = raw.containerDefinitions?.[0] as Container;
    const expected = EXPECTED[name];
    const environment = new Map((container.environment ?? []).map((entry) => [entry.name, entry.value]));

    it('fits the SDK schema of RegisterTaskDefinition, filled in as at deploy time', () => {
      const rendered = renderTaskDefinition(name);
      assert.deepEqual(schemaProblems(rendered, NormalizedSchema.of(RegisterTaskDefinitionRequest$), name), []);
      const placeholders = new Set(
        [...readText(TASK_DEFINITIONS[name]).matchAll(/\$\{([A-Z0-9_]+)\}/g)].map((m) => m[1]),
      );
      for (const placeholder of placeholders) assert.ok(placeholder && placeholder in DEPLOY_PLACEHOLDERS, placeholder);
      assert.doesNotMatch(JSON.stringify(rendered), /\$/, 'nothing left for envsubst');
    });

    it("uses only the SDK's enum values", () => {
      oneOf(NetworkMode, raw.networkMode, 'networkMode');
      for (const compatibility of raw.requiresCompatibilities ?? [])
        oneOf(Compatibility, compatibility, 'requiresCompatibilities');
      oneOf(CPUArchitecture, raw.runtimePlatform?.cpuArchitecture, 'cpuArchitecture');
      oneOf(OSFamily, raw.runtimePlatform?.operatingSystemFamily, 'operatingSystemFamily');
      oneOf(LogDriver, container.logConfiguration?.logDriver, 'logDriver');
      for (const port of container.portMappings ?? []) {
        oneOf(TransportProtocol, port.protocol, 'protocol');
        oneOf(ApplicationProtocol, port.appProtocol, 'appProtocol');
      }
      for (const requirement of container.resourceRequirements ?? [])
        oneOf(ResourceType, requirement.type, 'resourceRequirements');
    });

    it(`runs one essential container of the ${expected.image} image with PROCESS_ROLES=${expected.roles}`, () => {
      assert.equal(raw.containerDefinitions?.length, 1);
      assert.equal(container.essential, true);
      assert.equal(container.image, expected.image);
      assert.equal(environment.get('PROCESS_ROLES'), expected.roles);
      assert.equal(environment.get('NODE_ENV'), 'production');
      assert.deepEqual(raw.requiresCompatibilities, [expected.launch]);
      assert.equal(raw.networkMode, 'awsvpc');
      assert.deepEqual(raw.runtimePlatform, { cpuArchitecture: 'X86_64', operatingSystemFamily: 'LINUX' });
      assert.equal(container.linuxParameters?.initProcessEnabled, true, 'an init reaps children and passes on SIGTERM');
    });

    it(`logs to ${expected.logGroup} with the awslogs driver`, () => {
      assert.equal(container.logConfiguration?.logDriver, 'awslogs');
      assert.deepEqual(container.logConfiguration?.options, {
        'awslogs-group': expected.logGroup,
        'awslogs-region': placeholder('AWS_REGION'),
        'awslogs-stream-prefix': container.name,
      });
      assert.equal(environment.get('METRICS_EMF'), 'true', 'metrics as EMF lines in the same log group');
      assert.equal(
        environment.get('METRICS_EMF_LOG_GROUP'),
        undefined,
        'the EMF writer names it by role (parity.test.ts checks)',
      );
    });

    it('takes every secret from Secrets Manager under the names the seed lists', () => {
      const secrets = Object.fromEntries(
        (container.secrets ?? []).map((secret) => {
          const match =
            /^arn:aws:secretsmanager:\$\{AWS_REGION\}:\$\{AWS_ACCOUNT_ID\}:secret:(filot\/[a-z0-9-]+)$/.exec(
              secret.valueFrom ?? '',
            );
          assert.ok(match, `${secret.name}: ${secret.valueFrom}`);
          return [secret.name, match[1]];
        }),
      );
      assert.deepEqual(secrets, SECRET_NAMES);
      for (const secret of Object.keys(SECRET_NAMES))
        assert.equal(environment.has(secret), false, `${secret} only as a secret`);
      assert.match(raw.executionRoleArn ?? '', /^arn:aws:iam::\$\{AWS_ACCOUNT_ID\}:role\//, 'a role to read them with');
      assert.match(raw.taskRoleArn ?? '', /^arn:aws:iam::\$\{AWS_ACCOUNT_ID\}:role\//);
    });

    it("checks /health as the image's HEALTHCHECK does, within ECS's bounds", () => {
      const check = container.healthCheck;
      assert.ok(check);
      assert.deepEqual(check.command, ['CMD', ...imageHealthcheck]);
      assert.ok((check.interval ?? 0) >= 5 && (check.interval ?? 0) <= 300);
      assert.ok(
        (check.timeout ?? 0) >= 2 && (check.timeout ?? 0) <= 60 && (check.timeout ?? 0) < (check.interval ?? 0),
      );
      assert.ok((check.retries ?? 0) >= 1 && (check.retries ?? 0) <= 10);
      assert.ok((check.startPeriod ?? -1) >= 0 && (check.startPeriod ?? 0) <= 300);
    });

    it('gives a graceful shutdown its time before SIGKILL', () => {
      // main.ts forces itself out at twice SHUTDOWN_TIMEOUT_MS (default 15 s); ECS kills at stopTimeout.
      assert.ok((container.stopTimeout ?? 30) >= 30 + 5 && (container.stopTimeout ?? 0) <= 120);
      assert.equal(environment.get('SHUTDOWN_TIMEOUT_MS'), undefined);
    });

    if (expected.launch === 'FARGATE')
      it('is a valid Fargate size with no GPU', () => {
        assert.ok(FARGATE_MEMORY[raw.cpu ?? '']?.(Number(raw.memory)), `${raw.cpu} CPU units with ${raw.memory} MiB`);
        assert.equal(container.resourceRequirements, undefined);
      });
    else
      it('asks for one GPU on an EC2 GPU instance, with its memory and CPU', () => {
        assert.deepEqual(container.resourceRequirements, [{ type: 'GPU', value: '1' }]);
        assert.ok((container.memory ?? 0) > 0 && (container.cpu ?? 0) > 0);
        assert.equal(environment.get('OCR_DEVICE'), 'cuda');
      });

    if (name === 'api')
      it('publishes the HTTP port the process listens on', () => {
        assert.deepEqual(container.portMappings, [
          { name: 'http', containerPort: Number(environment.get('PORT')), protocol: 'tcp', appProtocol: 'http' },
        ]);
      });
  });
}
