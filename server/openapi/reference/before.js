// Runs before Scalar's bundle: the zod inside it would otherwise probe `Function('')` to see whether
// it may compile its parsers, which the app's Content-Security-Policy (no 'unsafe-eval') refuses
// and reports as a violation. Told to parse without compiling, it never asks.
globalThis.__zod_globalConfig = { ...globalThis.__zod_globalConfig, jitless: true };
