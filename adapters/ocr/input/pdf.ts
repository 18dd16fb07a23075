import { ocrError } from '../errors.ts';
import type { Raster } from '../raster.ts';
import { loadMupdf, type Mupdf } from './mupdfModule.ts';
import { inspectPdfDocument, PDF_LIMITS } from './pdfStructure.ts';

/**
 * Renders the first page of a PDF in-process with MuPDF (WebAssembly: no external binary, no
 * temporary files), after the structure check (pdfStructure.ts) has found it cheap enough to draw.
 *
 * MuPDF runs synchronously and cannot be interrupted from JavaScript. `onRender` is told when the
 * work in MuPDF (open, check, draw) starts and ends, so that whoever owns the thread can stop one
 * that stays in it too long (engine/threadedEngine.ts): nothing inside the thread can.
 */

export type PdfRenderWatch = { onRender?: (phase: 'start' | 'end') => void };

/** Long side of the rendered page: ID-card text stays readable without a large bitmap. */
export const PDF_RENDER_LONG_SIDE = 1500;

/** As deep as the structure check lets forms nest: no image a renderer would draw goes unchecked. */
const MAX_RESOURCE_DEPTH = PDF_LIMITS.formDepth;

export async function renderPdfFirstPage(
  bytes: Uint8Array,
  maxPixels: number,
  watch: PdfRenderWatch = {},
): Promise<Raster> {
  const mupdf = await loadMupdf();
  watch.onRender?.('start');
  try {
    return render(mupdf, bytes, maxPixels);
  } finally {
    watch.onRender?.('end');
  }
}

function render(mupdf: Mupdf, bytes: Uint8Array, maxPixels: number): Raster {
  const owned: { destroy(): void }[] = [];
  const own = <T extends { destroy(): void }>(value: T): T => {
    owned.push(value);
    return value;
  };
  try {
    let document: ReturnType<Mupdf['Document']['openDocument']>;
    try {
      document = own(mupdf.Document.openDocument(bytes, 'application/pdf'));
    } catch (error) {
      throw ocrError('image_unreadable', 'the PDF could not be opened', error);
    }
    if (document.needsPassword()) throw ocrError('image_unreadable', 'the PDF is encrypted');
    if (document.countPages() < 1) throw ocrError('image_unreadable', 'the PDF has no pages');
    // Also checked at upload; checked again here for files stored before that check existed.
    const pdf = document.asPDF();
    const verdict = pdf ? inspectPdfDocument(pdf) : undefined;
    if (verdict && !verdict.ok) {
      throw verdict.code === 'pdf_unreadable'
        ? ocrError('image_unreadable', verdict.detail)
        : ocrError('pdf_too_complex', verdict.detail);
    }

    let page: ReturnType<typeof document.loadPage>;
    try {
      page = own(document.loadPage(0));
    } catch (error) {
      throw ocrError('image_unreadable', 'the first PDF page could not be loaded', error);
    }
    // MuPDF decodes embedded images at full size whatever the render scale, so a small PDF can
    // still carry a decompression bomb: check the declared image sizes before drawing anything.
    if (page.isPDF()) refuseLargeImages((page as import('mupdf').PDFPage).getObject(), maxPixels);

    const [x0, y0, x1, y1] = page.getBounds();
    const pageWidth = x1 - x0;
    const pageHeight = y1 - y0;
    if (!(pageWidth > 0 && pageHeight > 0)) throw ocrError('image_unreadable', 'the PDF page has no area');
    const scale = PDF_RENDER_LONG_SIDE / Math.max(pageWidth, pageHeight);
    const width = Math.max(1, Math.round(pageWidth * scale));
    const height = Math.max(1, Math.round(pageHeight * scale));
    if (width * height > maxPixels) throw ocrError('image_too_large', 'the PDF page would render too large');

    let pixmap: import('mupdf').Pixmap;
    try {
      pixmap = own(page.toPixmap(mupdf.Matrix.scale(scale, scale), mupdf.ColorSpace.DeviceRGB, false, true));
    } catch (error) {
      throw ocrError('image_unreadable', 'the PDF page could not be rendered', error);
    }
    return pixmapToRaster(pixmap);
  } finally {
    // WASM memory is not garbage-collected promptly: free page, document and pixmap now.
    for (const value of owned.reverse()) value.destroy();
  }
}

function pixmapToRaster(pixmap: import('mupdf').Pixmap): Raster {
  const width = pixmap.getWidth();
  const height = pixmap.getHeight();
  const stride = pixmap.getStride();
  // MuPDF's n counts the alpha channel too; we render without alpha, so it is 3 for DeviceRGB.
  const components = pixmap.getNumberOfComponents();
  const pixels = pixmap.getPixels();
  const data = new Uint8Array(width * height * 3);
  if (components === 3 && stride === width * 3) {
    data.set(pixels.subarray(0, data.length));
  } else {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const src = y * stride + x * components;
        const dst = (y * width + x) * 3;
        data[dst] = pixels[src] as number;
        data[dst + 1] = pixels[src + (components > 1 ? 1 : 0)] as number;
        data[dst + 2] = pixels[src + (components > 2 ? 2 : 0)] as number;
      }
    }
  }
  return { data, width, height };
}

function refuseLargeImages(pageObject: import('mupdf').PDFObject, maxPixels: number) {
  // Each object once per depth at most: ten names for the same form on every level would otherwise
  // cost 10^depth visits. Seen again higher up, it is visited again, as its images may lie deeper.
  const shallowest = new Map<number, number>();
  const visit = (resources: import('mupdf').PDFObject, depth: number) => {
    if (depth > MAX_RESOURCE_DEPTH || resources.isNull()) return;
    const xObjects = resources.get('XObject');
    if (!xObjects.isDictionary()) return;
    xObjects.forEach((value) => {
      if (value.isIndirect()) {
        if ((shallowest.get(value.asIndirect()) ?? Number.POSITIVE_INFINITY) <= depth) return;
        shallowest.set(value.asIndirect(), depth);
      }
      const xObject = value.resolve();
      const subtype = xObject.get('Subtype');
      const kind = subtype.isName() ? subtype.asName() : '';
      if (kind === 'Image') {
        const width = xObject.get('Width').asNumber();
        const height = xObject.get('Height').asNumber();
        if (!(width > 0 && height > 0) || width * height > maxPixels) {
          throw ocrError('image_too_large', 'an image inside the PDF is too large');
        }
      } else if (kind === 'Form') {
        visit(xObject.get('Resources'), depth + 1);
      }
    });
  };
  visit(pageObject.getInheritable('Resources'), 0);
}
