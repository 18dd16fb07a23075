/**
 * Faults the simulator can be told to inject into the contract endpoints, to show how FiLot copes
 * with an unwell BULI2. They queue: a request takes the first one that applies to its operation,
 * and a fault with a `count` leaves the queue once it has been applied that many times.
 */

export const FAULT_OPERATIONS = ['forward', 'withdraw', 'any'] as const;
export const FAULT_MODES = ['error', 'hang', 'rate_limit', 'slow', 'refuse'] as const;

export type FaultOperation = (typeof FAULT_OPERATIONS)[number];
export type ContractOperation = Exclude<FaultOperation, 'any'>;

export type Fault = {
  operation: FaultOperation;
  /**
   * error: answer `status` (default 500) · hang: never answer; the client must give up ·
   * rate_limit: 429 with `Retry-After: retryAfterS` (default 1) · slow: answer as usual after
   * `delayMs` (default 1000) · refuse: a 4xx that says "never", `status` (default 400).
   */
  mode: (typeof FAULT_MODES)[number];
  /** How many requests it applies to; without it, every one until the faults are cleared. */
  count?: number;
  status?: number;
  retryAfterS?: number;
  delayMs?: number;
};

/** What a request that drew a fault does instead of (or before) its usual handling. */
export type FaultEffect =
  | { kind: 'answer'; status: number; headers: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'delay'; ms: number };

type QueuedFault = Fault & { remaining: number };

export type FaultQueue = {
  add(fault: Fault): void;
  clear(): void;
  /** The faults still queued, in order, with how many requests each has left (null: until cleared). */
  list(): (Fault & { remaining: number | null })[];
  /** The effect of the first queued fault for `operation`, counting it as applied; none: handle as usual. */
  take(operation: ContractOperation): FaultEffect | undefined;
};

/** A fault's `status` fits its mode: `refuse` is a 4xx, and `rate_limit` always 429. */
export function faultProblem(fault: Fault): string | undefined {
  if (fault.mode === 'refuse' && fault.status !== undefined && (fault.status < 400 || fault.status > 499))
    return 'a refuse fault answers a 4xx status';
  if (fault.mode === 'rate_limit' && fault.status !== undefined && fault.status !== 429)
    return 'a rate_limit fault always answers 429';
  return undefined;
}

function effectOf(fault: Fault): FaultEffect {
  switch (fault.mode) {
    case 'error':
      return { kind: 'answer', status: fault.status ?? 500, headers: {} };
    case 'refuse':
      return { kind: 'answer', status: fault.status ?? 400, headers: {} };
    case 'rate_limit':
      return { kind: 'answer', status: 429, headers: { 'Retry-After': String(fault.retryAfterS ?? 1) } };
    case 'hang':
      return { kind: 'hang' };
    case 'slow':
      return { kind: 'delay', ms: fault.delayMs ?? 1000 };
  }
}

export function createFaultQueue(): FaultQueue {
  let queue: QueuedFault[] = [];
  return {
    add(fault) {
      queue.push({ ...fault, remaining: fault.count ?? Number.POSITIVE_INFINITY });
    },
    clear() {
      queue = [];
    },
    list() {
      return queue.map(({ remaining, ...fault }) => ({
        ...fault,
        remaining: Number.isFinite(remaining) ? remaining : null,
      }));
    },
    take(operation) {
      const index = queue.findIndex((fault) => fault.operation === operation || fault.operation === 'any');
      const fault = queue[index];
      if (fault === undefined) return undefined;
      fault.remaining -= 1;
      if (fault.remaining <= 0) queue.splice(index, 1);
      return effectOf(fault);
    },
  };
}
