/** Milliseconds per pipeline stage of one image (decode, detect, recognize, …). */
export type Timings = Record<string, number>;

/** Stage timings to a tenth of a millisecond, for a log line. */
export function roundTimings(timings: Timings): Timings {
  return Object.fromEntries(Object.entries(timings).map(([stage, ms]) => [stage, Math.round(ms * 10) / 10]));
}
