/**
 * The OCR adapter as the rest of the service sees it: the only module of adapters/ocr that code
 * outside it imports (tests excepted). The service runs the threaded engine; scripts that read
 * cards on their own thread (`npm run eval`) use the engine directly. Calibration is not here:
 * only `npm run calibrate` needs it, from calibration/. What each folder holds: README.md.
 */
export {
  createOnnxOcrEngine,
  type OcrDevicePreference,
  type OnnxOcrEngine,
  type OnnxOcrEngineOptions,
} from './engine/engine.ts';
export {
  createThreadedOcrEngine,
  type ThreadedOcrEngine,
  type ThreadedOcrEngineOptions,
} from './engine/threadedEngine.ts';
export { inspectPdf, PDF_LIMITS, type PdfVerdict } from './input/pdfStructure.ts';
export { type Precision, type PrecisionSetting, resolvePrecision } from './models/precision.ts';
