import { CLIENT_TIMEOUT_MS, type Outcome } from '../budgets.ts';
import type { ServiceInstance } from '../stack/serviceInstance.ts';
import type { PhaseName, Timeline } from '../timeline.ts';

/** Every request the load makes, timed, classified and put in the phase in which it started. */

export type Route = 'upload' | 'verification' | 'review queue' | 'decision';
export const ROUTES: readonly Route[] = ['upload', 'verification', 'review queue', 'decision'];

export type Sample = {
  route: Route;
  phase: PhaseName;
  instance: string;
  startedAt: number;
  ms: number;
  status: number | null;
  outcome: Outcome;
  /** Problem title or network error code of a failure, for the report. */
  detail?: string;
};

export type Answer = { sample: Sample; body: unknown };

export function createRecorder(timeline: Timeline) {
  const samples: Sample[] = [];
  let next = 0;

  /** The live instances in turn, as a load balancer with instant health checks would pick them. */
  const pick = (instances: readonly ServiceInstance[]): ServiceInstance => {
    const live = instances.filter((instance) => instance.up);
    const pool = live.length > 0 ? live : instances;
    return pool[next++ % pool.length] as ServiceInstance;
  };

  async function request(
    route: Route,
    instance: ServiceInstance,
    path: string,
    init: RequestInit & { conflictExpected?: boolean },
  ): Promise<Answer> {
    const startedAt = Date.now();
    const phase = timeline.current();
    const started = performance.now();
    const base = { route, phase, instance: instance.name, startedAt };
    try {
      const response = await fetch(`${instance.baseUrl}${path}`, {
        ...init,
        signal: AbortSignal.timeout(CLIENT_TIMEOUT_MS),
      });
      const text = await response.text();
      const ms = performance.now() - started;
      const problem = (response.headers.get('content-type') ?? '').startsWith('application/problem+json');
      const body = parse(text);
      const outcome = classify(response.status, problem, init.conflictExpected === true);
      const sample: Sample = { ...base, ms, status: response.status, outcome };
      if (outcome !== 'ok') sample.detail = titleOf(body) ?? `HTTP ${response.status}`;
      samples.push(sample);
      return { sample, body };
    } catch (error) {
      const ms = performance.now() - started;
      const name = (error as Error).name;
      const timedOut = name === 'TimeoutError' || name === 'AbortError';
      const killedDuring =
        instance.killedAt !== undefined && instance.killedAt >= startedAt - 50 && instance.killedAt <= Date.now();
      const outcome: Outcome = timedOut ? 'timeout' : killedDuring ? 'lost' : 'reset';
      const sample: Sample = {
        ...base,
        ms: timedOut ? CLIENT_TIMEOUT_MS : ms,
        status: null,
        outcome,
        detail: timedOut ? 'timeout' : networkCode(error),
      };
      samples.push(sample);
      return { sample, body: undefined };
    }
  }

  return { samples, pick, request };
}

export type Recorder = ReturnType<typeof createRecorder>;

function classify(status: number, problem: boolean, conflictExpected: boolean): Outcome {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 409 && conflictExpected) return 'conflict';
  if (status === 503 && problem) return 'unavailable';
  if (status === 429 && problem) return 'limited';
  if (status >= 500 || status === 503 || status === 429) return 'server_error';
  return 'client_error';
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function titleOf(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const { status, title, detail } = body as { status?: unknown; title?: unknown; detail?: unknown };
  if (typeof title !== 'string') return undefined;
  return `${status ?? ''} ${title}${typeof detail === 'string' ? `: ${detail.slice(0, 120)}` : ''}`.trim();
}

function networkCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return (error as Error).message;
}
