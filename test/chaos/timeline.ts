/**
 * The phases of a fault run, back to back: each request and each decision is counted in the phase
 * in which it started. A phase runs from its fault's injection until the next fault, so it holds
 * the outage and its immediate aftermath.
 */
export const PHASES = [
  'baseline',
  'redis flush',
  'redis down',
  'postgres restart',
  'instance kill',
  'recovery',
  'settle',
] as const;
export type PhaseName = (typeof PHASES)[number];

/** A span during which a dependency was unavailable (a zero-length one for an instant fault). */
export type Outage = { from: number; to: number };
export type PhaseWindow = { name: PhaseName; start: number; end: number; note: string; outages: Outage[] };

export function createTimeline() {
  const windows: PhaseWindow[] = [];
  const open = () => windows.at(-1);
  return {
    /** Ends the phase now running (if any) and starts `name`. */
    enter(name: PhaseName, note = '') {
      const now = Date.now();
      const last = open();
      if (last) last.end = now;
      windows.push({ name, start: now, end: Number.POSITIVE_INFINITY, note, outages: [] });
    },
    /** Records that the running phase's fault made something unavailable from `from` until now. */
    outage(from: number) {
      open()?.outages.push({ from, to: Date.now() });
    },
    /** Adds to the running phase's note (what the fault did, how long it took). */
    note(text: string) {
      const last = open();
      if (last) last.note = last.note ? `${last.note}; ${text}` : text;
    },
    finish() {
      const last = open();
      if (last) last.end = Date.now();
    },
    current: (): PhaseName => open()?.name ?? 'baseline',
    windows: (): readonly PhaseWindow[] => windows,
    outages: (): Outage[] => windows.flatMap((window) => window.outages),
  };
}

export type Timeline = ReturnType<typeof createTimeline>;
