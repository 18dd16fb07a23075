import type { OcrResult } from '../../../domain/ocrResult.ts';
import type { LogEvent } from '../../../names/index.ts';
import type { PrecisionSetting } from '../models/precision.ts';
import type { PreparedModels } from '../models/prepare.ts';
import type { Timings } from '../pipeline/index.ts';
import type { OcrDevicePreference, OcrTuning } from './engine.ts';

/** The messages between threadedEngine.ts (the JavaScript main thread) and engineThread.ts. */

/** What a thread needs to open its engine; passed as `workerData`, so plain data only. */
export type ThreadSettings = {
  device: OcrDevicePreference;
  threads: number;
  recognitionLanes: number;
  /** Default auto. */
  precision?: PrecisionSetting;
  maxPixels: number;
  tuning?: Partial<OcrTuning>;
  /** The networks, prepared once by the main thread and shared by every thread (models/prepare.ts). */
  prepared?: PreparedModels;
};

export type ToThread =
  | { type: 'recognize'; id: number; bytes: Uint8Array; mime: string }
  | { type: 'abort'; id: number }
  | { type: 'close' };

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Errors cross as data: their message and, for the OCR actor's own errors, the stable code. */
export type ThreadError = { message: string; code?: string };

export type FromThread =
  | { type: 'ready'; device: 'cuda' | 'cpu' }
  | {
      type: 'done';
      id: number;
      result: OcrResult;
      gpuProcessed: boolean;
      timings: Timings;
      device: 'cuda' | 'cpu';
    }
  | { type: 'failed'; id: number; error: ThreadError }
  /** Around the PDF render, which cannot be interrupted inside the thread: the main thread times it. */
  | { type: 'pdf_render'; id: number; phase: 'start' | 'end' }
  | { type: 'log'; level: LogLevel; message: LogEvent; fields?: Record<string, unknown> }
  | { type: 'fallback'; reason: string };
