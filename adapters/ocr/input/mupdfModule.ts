/**
 * MuPDF (WebAssembly) loaded once per thread, on first use: loading its WASM takes a while and most
 * uploads are images, so neither the API nor an OCR thread pays for it until a PDF arrives.
 */
export type Mupdf = typeof import('mupdf');

let loading: Promise<Mupdf> | undefined;

export function loadMupdf(): Promise<Mupdf> {
  loading ??= import('mupdf').then((module) => {
    // MuPDF prints warnings about malformed files to the console; they are not ours to log.
    module.setLog(null);
    return module;
  });
  return loading;
}
