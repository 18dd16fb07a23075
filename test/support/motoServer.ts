import { type ChildProcess, spawn } from 'node:child_process';
import { freePort } from './freePort.ts';

/**
 * A real S3-protocol server for tests: `moto_server` from PyPI (`pip install "moto[server]"`;
 * .ci/run installs it). Started on a free port, stopped by `stop()`.
 */
export type MotoServer = { endpoint: string; stop(): Promise<void> };

export async function startMotoServer(): Promise<MotoServer> {
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const spawnFailed = new Promise<never>((_, reject) => {
    child.once('error', (error) =>
      reject(new Error(`moto_server could not start (pip install "moto[server]"): ${error.message}`)),
    );
    child.once('exit', (code) => reject(new Error(`moto_server exited with ${code}: ${stderr.slice(-500)}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    const up = await Promise.race([
      fetch(`${endpoint}/moto-api/`).then(
        () => true,
        () => false,
      ),
      spawnFailed,
    ]);
    if (up) break;
    if (Date.now() > deadline) throw new Error('moto_server did not answer within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  spawnFailed.catch(() => {});
  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
