import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { generate } from 'orval';
import sharp from 'sharp';
import type { ComposedRuntime } from '../../../composition/runtime.ts';
import { openApiDocument } from '../../../server/openapi/openapi.ts';
import { startApi } from '../../support/api.ts';
import { createWorld, type World } from '../../support/harness.ts';

/**
 * The OpenAPI document is usable as client developers use it: a TypeScript client is generated
 * from it (orval's fetch client, into a temporary directory), compiled with the project's
 * TypeScript in strict mode together with a small program that uses it, and that program then
 * uploads a card, reads it back and lists it against the running API through the generated
 * functions. The program also holds calls the types must refuse (`@ts-expect-error`): a client
 * typed as `any` would not compile.
 */

const TSC = fileURLToPath(new URL('../../../node_modules/.bin/tsc', import.meta.url));
const run = promisify(execFile);

/** The program that uses the client: the calls a lending app makes, typed by the generated code. */
const USAGE = `import { getDocument, getVerification, listDocuments, uploadDocument } from './client.ts';

export async function exercise(token: string, file: Blob, unknownId: string) {
  const init = { headers: { Authorization: \`Bearer \${token}\` } };
  const uploaded = await uploadDocument({ type: 'KTP', file }, init);
  if (uploaded.status !== 202) throw new Error(\`upload answered \${uploaded.status}\`);
  const id: string = uploaded.data.id;
  const selfLink: string = uploaded.data.links.self;
  const read = await getDocument(id, init);
  if (read.status !== 200) throw new Error(\`read answered \${read.status}\`);
  const status: string = read.data.status;
  const verdict = await getVerification(id, init);
  if (verdict.status !== 200) throw new Error(\`verdict answered \${verdict.status}\`);
  const page = await listDocuments({ limit: 10 }, init);
  if (page.status !== 200) throw new Error(\`list answered \${page.status}\`);
  const listed: string[] = page.data.items.map((item) => item.id);
  const missing = await getDocument(unknownId, init);
  const problem = missing.status === 404 ? { code: missing.data.code, type: missing.data.type } : null;
  return { id, selfLink, status, verdict: verdict.data.verdict, listed, problem };
}

/** Never called: what the generated types refuse. */
export async function refused(file: Blob) {
  // @ts-expect-error: the document types are KTP and NPWP
  await uploadDocument({ type: 'PASSPORT', file });
  // @ts-expect-error: an upload needs its file
  await uploadDocument({ type: 'NPWP' });
  const read = await getDocument('id');
  // @ts-expect-error: a field the document does not have
  if (read.status === 200) read.data.passportNumber;
}
`;

describe('a TypeScript client generated from the OpenAPI document', () => {
  let world: World;
  let runtime: ComposedRuntime;
  let api: Awaited<ReturnType<typeof startApi>>;
  let directory: string;

  before(async () => {
    world = await createWorld({ reviews: false });
    runtime = await world.runtime(undefined, { start: false });
    api = await startApi(world, runtime);
    directory = await mkdtemp(join(tmpdir(), 'filot-client-'));
  });
  after(async () => {
    await api?.close();
    await world?.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('should generate, compile, and call the running API', async () => {
    // The document as the service serves it, not as this process builds it.
    const served = await fetch(`${api.url}/openapi.json`);
    assert.equal(served.status, 200);
    await writeFile(join(directory, 'openapi.json'), JSON.stringify(await served.json()));
    assert.deepEqual(
      JSON.parse(JSON.stringify(openApiDocument())).paths['/documents/upload'].post.operationId,
      'uploadDocument',
    );

    await generate({
      input: { target: join(directory, 'openapi.json') },
      output: { target: join(directory, 'client.ts'), client: 'fetch', mode: 'single', baseUrl: api.url },
    });
    await writeFile(join(directory, 'usage.ts'), USAGE);
    await writeFile(join(directory, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(
      join(directory, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2024',
          lib: ['es2024', 'dom'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          types: [],
          strict: true,
          noEmit: true,
          allowImportingTsExtensions: true,
          erasableSyntaxOnly: true,
          verbatimModuleSyntax: true,
          skipLibCheck: true,
        },
        files: ['client.ts', 'usage.ts'],
      }),
    );
    // Compiled as a client developer's project would: an error fails the test with tsc's output.
    await run(TSC, ['-p', join(directory, 'tsconfig.json')]).catch((error: { stdout?: string }) =>
      assert.fail(`the generated client does not compile:\n${error.stdout ?? error}`),
    );

    const usage = (await import(join(directory, 'usage.ts'))) as {
      exercise(token: string, file: Blob, unknownId: string): Promise<Record<string, unknown>>;
    };
    const card = await sharp({
      create: { width: 480, height: 300, channels: 3, background: { r: 40, g: 90, b: 160 } },
    })
      .jpeg()
      .toBuffer();
    const token = api.tokenFor(`client-${crypto.randomUUID().slice(0, 8)}`, 'user');
    const result = await usage.exercise(token, new Blob([card]), crypto.randomUUID());
    assert.equal(result.status, 'uploaded');
    assert.equal(result.verdict, 'pending');
    assert.equal(result.selfLink, `/documents/${result.id}`);
    assert.deepEqual(result.listed, [result.id]);
    assert.deepEqual(result.problem, { code: 'not_found', type: '/problems/not_found' });
  });
});
