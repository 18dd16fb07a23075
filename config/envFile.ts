/**
 * `npm start`'s `.env` file: read into the environment before loadConfig, when there is one. Node's
 * own `--env-file-if-exists` printed "not found" to stderr on every start without one, which reads
 * like a fault; a missing file is normal (production sets the environment itself), so main.ts logs
 * it as info (`config.env_file`). Variables already exported win over the file, as with Node's flag.
 */

/** The path given as `--dotenv=PATH` among `argv`, or null (then no file is read). */
export function dotenvArgument(argv: readonly string[]): string | null {
  for (const argument of argv) if (argument.startsWith('--dotenv=')) return argument.slice('--dotenv='.length);
  return null;
}

/** Reads `path` into process.env; false when there is no such file. A malformed file throws. */
export function loadEnvFile(path: string): boolean {
  try {
    process.loadEnvFile(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
