/**
 * One image through the networks (pipeline.ts), in stages: `detection/` (text boxes, the card in the
 * frame), `rectify/` (a card seen at an angle drawn square on), `recognition/` (strips, CTC decoding,
 * digits-only readings of numbers), and beside them orientation, reading order and image quality.
 * The engine (../engine/) uses what is exported here; the stage table is in ../README.md.
 */
export { DEFAULT_CARD_REGION_OPTIONS } from './detection/cardRegion.ts';
export { DEFAULT_DETECT_OPTIONS } from './detection/detect.ts';
export { DEFAULT_ORIENTATION_OPTIONS } from './orientation.ts';
export { type PipelineSettings, runPipeline } from './pipeline.ts';
export { DEFAULT_READING_ORDER } from './readingOrder.ts';
export { type CtcOptions, createCtcDecoder, DEFAULT_CTC_OPTIONS } from './recognition/ctc.ts';
export { DEFAULT_RECOGNIZE_OPTIONS, type RecognizeOptions } from './recognition/recognize.ts';
export { DEFAULT_RECTIFY_OPTIONS } from './rectify/rectify.ts';
export { roundTimings, type Timings } from './timings.ts';
