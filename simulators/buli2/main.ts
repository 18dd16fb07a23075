/**
 * `npm run buli2:sim`: the BULI2 simulator (simulator.ts) on its own, for running the engine against
 * it by hand (BULI2_URL=http://127.0.0.1:4010). The API key and webhook secrets come from the
 * engine's configuration (loadConfig), so both sides agree on them with or without a .env file.
 *
 * Its own settings: BULI2_SIM_PORT (default 4010), FILOT_CALLBACK_URL (default
 * http://localhost:3000/internal/buli2/callback), BULI2_SIM_DECIDE_AFTER_MS (unset: decisions only
 * through POST /sim/reviews/:id/decide). It prints one line once it listens and stops on SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig } from '../../config/index.ts';
import { createBuli2Simulator } from './simulator.ts';

const DEFAULT_PORT = 4010;
const DEFAULT_CALLBACK_URL = 'http://localhost:3000/internal/buli2/callback';

function integerSetting(name: string, min: number, max: number): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) {
    console.error(`${name} must be a whole number from ${min} to ${max}.`);
    process.exit(2);
  }
  return value;
}

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig();
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
if (config.nodeEnv === 'production') {
  console.error('The BULI2 simulator does not run with NODE_ENV=production: production talks to the real BULI2.');
  process.exit(1);
}

const port = integerSetting('BULI2_SIM_PORT', 0, 65_535) ?? DEFAULT_PORT;
const decideAfterMs = integerSetting('BULI2_SIM_DECIDE_AFTER_MS', 0, 86_400_000) ?? null;
const callbackUrl = process.env.FILOT_CALLBACK_URL || DEFAULT_CALLBACK_URL;

const simulator = await createBuli2Simulator({
  apiKey: config.buli2.apiKey,
  webhookSecrets: config.buli2.webhookSecrets,
  callbackUrl,
  decideAfterMs,
  port,
}).catch((error: unknown) => {
  // A port in use or a callback URL that is not one: the reason is enough, the stack says nothing more.
  console.error(`The BULI2 simulator did not start: ${error instanceof Error ? error.message : String(error)}`);
  return process.exit(1);
});
const decides = decideAfterMs === null ? 'on demand' : `after ${decideAfterMs} ms`;
console.log(`BULI2 simulator listening on ${simulator.url} (callbacks to ${callbackUrl}, decides ${decides})`);

const stop = () => {
  simulator.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('The BULI2 simulator did not stop cleanly:', error);
      process.exit(1);
    },
  );
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
