import { readFile } from 'node:fs/promises';
import { rewriteForInference } from './graphRewrite.ts';
import { rangesFor } from './int8Ranges.ts';
import { keepOutputClasses } from './outputClasses.ts';
import { int8KernelsExactHere, type Precision } from './precision.ts';
import { quantizeConvolutions, quantizeMatMulWeights } from './quantize.ts';

/**
 * A published network becomes what a session runs in up to three steps: the graph rewrite
 * (graphRewrite.ts), int8 quantisation (quantize.ts) and, for the recogniser, cutting its output
 * down to the classes the decoder reads (outputClasses.ts). That costs up to a quarter of a second
 * of one core per network here, so an engine prepares its networks once (`prepareModels`) and its
 * threads open their sessions from those bytes instead of each preparing them again.
 */

/** One network, prepared one way. */
export type Preparation = {
  path: string;
  precision: Precision;
  /** The output cut down to these classes (outputClasses.ts); all when absent. */
  outputClasses?: readonly number[] | undefined;
};

/**
 * Prepared networks by `preparationKey`. The bytes live in SharedArrayBuffers, so threads handed
 * them in `workerData` share one copy rather than each receiving its own.
 */
export type PreparedModels = ReadonlyMap<string, Uint8Array>;

export const preparationKey = ({ path, precision, outputClasses }: Preparation): string =>
  JSON.stringify([path, precision, outputClasses ?? null]);

/** A model file as the sessions run it. */
export async function modelBytes(
  path: string,
  precision: Precision,
  outputClasses?: readonly number[],
): Promise<Uint8Array> {
  const published = await readFile(path);
  const { bytes } = rewriteForInference(published);
  const cut = (model: Uint8Array) => (outputClasses ? keepOutputClasses(model, outputClasses) : model);
  if (precision === 'fp32') return cut(bytes);
  if (!(await int8KernelsExactHere())) {
    throw new Error(
      'OCR_PRECISION=int8 needs a CPU with AVX-512 VNNI or AVX-VNNI on x86-64: without it onnxruntime sums int8 products in 16 bits, which can saturate, and its accuracy was never measured there; use fp32',
    );
  }
  return cut(quantizeMatMulWeights(quantizeConvolutions(bytes, await rangesFor(path, published)).bytes).bytes);
}

export type Prepare = (preparation: Preparation) => Promise<Uint8Array>;

const prepareFromFile: Prepare = ({ path, precision, outputClasses }) => modelBytes(path, precision, outputClasses);

/** Each distinct preparation once, one after another (each is a stretch of synchronous work). */
export async function prepareModels(
  preparations: readonly Preparation[],
  prepare: Prepare = prepareFromFile,
): Promise<PreparedModels> {
  const prepared = new Map<string, Uint8Array>();
  for (const preparation of preparations) {
    const key = preparationKey(preparation);
    if (!prepared.has(key)) prepared.set(key, shared(await prepare(preparation)));
  }
  return prepared;
}

/** The prepared bytes when `prepared` has them; otherwise prepared here and now. */
export function preparedBytes(preparation: Preparation, prepared?: PreparedModels): Promise<Uint8Array> {
  const bytes = prepared?.get(preparationKey(preparation));
  return bytes ? Promise.resolve(bytes) : prepareFromFile(preparation);
}

function shared(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  copy.set(bytes);
  return copy;
}
