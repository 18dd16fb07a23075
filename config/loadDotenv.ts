import { loadEnvFile } from './envFile.ts';

/**
 * Preloaded by the npm scripts that run a tool (`node --import ./config/loadDotenv.ts …`): the
 * working directory's `.env`, when there is one, read silently as `npm start` reads it
 * (config/envFile.ts); Node's own `--env-file-if-exists` printed "not found" on every run without it.
 */
loadEnvFile('.env');
