import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type ort from 'onnxruntime-node';
import { type CalibrationFile, sha256 } from '../models/int8Ranges.ts';
import { createOrtSession, locateModels, openOrtSession, type SessionFactory } from '../models/models.ts';
import { modelBytes } from '../models/prepare.ts';
import { convolutionValues, createValueSampler, exposeValues } from './calibration.ts';

export type WatchingSessions = {
  /** fp32 sessions; the detector's and the recogniser's also sample every convolution's input and output. */
  createSession: SessionFactory;
  /** Each watched network's ranges, from what its sessions saw so far (calibration.ts). */
  ranges(percentile: number): CalibrationFile['models'];
};

/** The sessions `npm run calibrate` reads its cards with, and the ranges they measure. */
export function watchingSessions(): WatchingSessions {
  const models: CalibrationFile['models'] = {};
  /** Run once all cards are read: each turns a model's samples into its ranges. */
  const finishes: ((percentile: number) => void)[] = [];

  const createSession: SessionFactory = async (path, device, threads, _precision, outputClasses) => {
    const { detection, recognition } = locateModels();
    if (path !== detection && path !== recognition) return createOrtSession(path, device, threads);
    const published = await readFile(path);
    // One sampler per network: their value names overlap (both read an `x`).
    const sampler = createValueSampler();
    const bytes = await modelBytes(path, 'fp32', outputClasses);
    const watched = convolutionValues(bytes);
    const entry = { sha256: sha256(published), ranges: {} as Record<string, [number, number]> };
    models[basename(path)] = entry;
    const session = await openOrtSession(exposeValues(bytes, watched), device, threads);
    const primary = session.outputNames[0] as string;
    const inputs = new Set(session.inputNames);
    finishes.push((percentile) => {
      entry.ranges = sampler.ranges(percentile, inputs);
    });
    const fetches = [...new Set([primary, ...watched.filter((name) => !inputs.has(name))])];
    return {
      outputNames: [primary],
      async run(feeds: Record<string, ort.Tensor>) {
        const outputs = await session.run(feeds, fetches);
        for (const name of watched) {
          const value = name in feeds ? feeds[name] : outputs[name];
          if (value) sampler.add(name, value.data as Float32Array);
        }
        return { [primary]: outputs[primary] as ort.Tensor };
      },
      release: () => session.release(),
    };
  };

  return {
    createSession,
    ranges(percentile) {
      for (const finish of finishes) finish(percentile);
      return models;
    },
  };
}
