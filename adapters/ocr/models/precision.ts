import { readFile } from 'node:fs/promises';
import { int8KernelsExact } from './quantize.ts';

/**
 * `fp32` runs a network as published (after graphRewrite.ts); `int8` also quantises the costly
 * convolutions of the detector and the recogniser, with the ranges in int8-ranges.json, and the
 * recogniser's products by constant matrices (quantize.ts). The angle classifier, a few
 * milliseconds a card, stays fp32, as do CUDA sessions.
 */
export type Precision = 'fp32' | 'int8';

/** `auto`: int8 where this CPU runs it exactly, fp32 elsewhere. */
export type PrecisionSetting = Precision | 'auto';

let int8Here: Promise<boolean> | undefined;

/** Whether this machine's CPU runs int8 exactly (quantize.ts); /proc/cpuinfo is read once. */
export function int8KernelsExactHere(): Promise<boolean> {
  int8Here ??= readFile('/proc/cpuinfo', 'utf8')
    .catch(() => '')
    .then((cpuinfo) => int8KernelsExact(process.arch, cpuinfo));
  return int8Here;
}

/** The precision a setting means on this machine. */
export async function resolvePrecision(setting: PrecisionSetting): Promise<Precision> {
  if (setting !== 'auto') return setting;
  return (await int8KernelsExactHere()) ? 'int8' : 'fp32';
}
