/**
 * A small seeded PRNG for the synthetic card generator: sfc32 (Chris Doty-Humphrey's Small Fast
 * Counter, 128-bit state), seeded through a string hash so that `(seed, 'identity')` and
 * `(seed, 'variation')` give independent streams. The same seed gives the same sequence on every
 * machine: only 32-bit integer arithmetic (`Math.imul`, `>>>`) is involved, and `normal` uses a
 * Box–Muller transform whose inputs are those integers.
 */

export type Rng = {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  uint32(): number;
  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number;
  /** Uniform float in [min, max). */
  float(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** Picks by relative weight: `weighted([['A', 3], ['B', 1]])` returns 'A' three times as often. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T;
  chance(probability: number): boolean;
  /** Normally distributed (Box–Muller). */
  normal(mean?: number, sd?: number): number;
  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[];
  /** An independent stream derived from this one's seed and `label`; does not advance this stream. */
  fork(label: string): Rng;
};

/** A 32-bit seed from any number of parts (cyrb53-style string hash, folded to 32 bits). */
export function deriveSeed(...parts: readonly (string | number)[]): number {
  const text = parts.map(String).join('\u0000');
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h1 ^ h2) >>> 0;
}

export function createRng(seed: number | string): Rng {
  const base = typeof seed === 'number' ? String(seed) : seed;
  let a = deriveSeed(base, 'a');
  let b = deriveSeed(base, 'b');
  let c = deriveSeed(base, 'c');
  let d = 1;

  const uint32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  // Warm-up: the first outputs of sfc32 correlate with the seed words.
  for (let i = 0; i < 12; i++) uint32();

  const next = (): number => uint32() / 4294967296;

  const int = (min: number, max: number): number => {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max < min) {
      throw new Error(`rng.int needs integers with min <= max, got ${min}..${max}`);
    }
    return min + Math.floor(next() * (max - min + 1));
  };

  const rng: Rng = {
    next,
    uint32,
    int,
    float: (min, max) => min + next() * (max - min),
    pick(items) {
      if (items.length === 0) throw new Error('rng.pick needs a non-empty list');
      return items[int(0, items.length - 1)] as (typeof items)[number];
    },
    weighted(entries) {
      const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
      if (!(total > 0)) throw new Error('rng.weighted needs a positive total weight');
      let point = next() * total;
      for (const [value, weight] of entries) {
        point -= weight;
        if (point < 0) return value;
      }
      return (entries[entries.length - 1] as (typeof entries)[number])[0];
    },
    chance: (probability) => next() < probability,
    normal(mean = 0, sd = 1) {
      // 1 - next() is in (0, 1], so the logarithm is finite.
      const u = 1 - next();
      const v = next();
      return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    shuffle(items) {
      const out = items.slice();
      for (let i = out.length - 1; i > 0; i--) {
        const j = int(0, i);
        [out[i], out[j]] = [out[j] as (typeof out)[number], out[i] as (typeof out)[number]];
      }
      return out;
    },
    fork: (label) => createRng(`${base}/${label}`),
  };
  return rng;
}

/** Rounds to `digits` decimals, so a recorded variation is exactly what was applied. */
export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
