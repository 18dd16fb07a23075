import type { Logger } from './ports.ts';

/**
 * The process's last resort for an error nothing else caught (an uncaught exception, an unhandled
 * rejection, an 'error' event with no listener). The process may be in a state no code planned
 * for, so it does not carry on: it logs what happened, stops as it would on SIGTERM (stop taking
 * requests, give leases back, close connections) within `graceMs`, and exits with code 1 so that
 * the orchestrator starts a fresh one. A second failure during that shutdown exits at once.
 *
 * Nothing is lost by exiting: every state change is committed in Postgres before it is acknowledged.
 */
export function installLastResort(deps: {
  logger: Logger;
  /** The graceful shutdown; the process exits after it, or after graceMs, whichever comes first. */
  shutdown: (reason: string) => Promise<void>;
  graceMs: number;
  exit?: (code: number) => void;
  on?: (event: 'uncaughtException' | 'unhandledRejection', listener: (error: unknown) => void) => void;
}): void {
  const exit = deps.exit ?? ((code: number) => process.exit(code));
  const on = deps.on ?? ((event, listener) => process.on(event, listener));
  let crashed = false;
  const crash = (origin: string) => (error: unknown) => {
    const fields = {
      origin,
      errorClass: error instanceof Error ? error.name : typeof error,
      error: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    };
    if (crashed) {
      deps.logger.error('process.crashed_again', fields);
      exit(1);
      return;
    }
    crashed = true;
    process.exitCode = 1;
    deps.logger.error('process.crashed', fields);
    setTimeout(() => exit(1), deps.graceMs);
    deps.shutdown(origin).then(
      () => exit(1),
      () => exit(1),
    );
  };
  on('uncaughtException', crash('uncaughtException'));
  on('unhandledRejection', crash('unhandledRejection'));
}
