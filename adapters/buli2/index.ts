export {
  type Buli2CircuitState,
  type Buli2Client,
  type Buli2ClientMetrics,
  type Buli2ClientOptions,
  createBuli2Client,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
} from './client.ts';
export type { ReviewCallback, ReviewForward } from './contract.ts';
export {
  type Buli2CallTarget,
  type Buli2Error,
  type Buli2Operation,
  Buli2RefusedError,
  type Buli2UnavailableCause,
  Buli2UnavailableError,
  isBuli2Refused,
  isBuli2Unavailable,
} from './errors.ts';
