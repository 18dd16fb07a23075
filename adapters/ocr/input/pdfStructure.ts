import { constants, inflateSync } from 'node:zlib';
import type { PDFDocument, PDFObject } from 'mupdf';
import { loadMupdf } from './mupdfModule.ts';
import { countXObjectDraws } from './pdfDraws.ts';

/**
 * Whether a PDF's first page can be drawn at a bounded cost, judged from its structure alone: no
 * rendering. A 4 KB file of Form XObjects nested eight deep, each drawing the level below ten times,
 * asks a renderer for 10^8 paints (minutes of CPU); here it costs a few milliseconds to refuse.
 *
 * What is measured, on the first page (the only one the OCR reads) and its annotations' appearances:
 * - the XObjects painted, counting multiplicity: a page that draws form A 10 times, where A draws
 *   image B 10 times, paints 10 + 100. Computed once per form (memoised), never by walking paths;
 * - how deep Form XObjects nest, and whether a form draws itself (a cycle);
 * - how many bytes the content streams read decompress to, all together.
 * Other ways to make drawing slow (tiling patterns, Type 3 glyphs, soft masks, huge images drawn a
 * few times) are not estimated here; the OCR thread's render budget stops those
 * (engine/threadedEngine.ts).
 *
 * The check is bounded by the limits themselves: decompression stops at the byte limit, the walk
 * stops at the depth and form limits, and a cycle is a refusal, not a loop.
 */
export type PdfLimits = {
  /** Pages in the file (only the first is read: an identity card is one page, two at most). */
  pages: number;
  /** Objects in the file's cross-reference table. */
  objects: number;
  /** Form XObjects inside Form XObjects: the page's own forms are depth 1. */
  formDepth: number;
  /** Distinct forms the first page draws. */
  forms: number;
  /** XObject paints (forms and images) the first page asks for, counting multiplicity. */
  paints: number;
  /** Bytes of decompressed content (page, forms, appearances) read by the check, all together. */
  contentBytes: number;
};

export const PDF_LIMITS: PdfLimits = {
  pages: 20,
  objects: 10_000,
  formDepth: 6,
  forms: 1_000,
  paints: 10_000,
  contentBytes: 1024 * 1024,
};

export type PdfRefusalCode =
  | 'pdf_unreadable'
  | 'pdf_too_many_pages'
  | 'pdf_too_many_objects'
  | 'pdf_forms_too_deep'
  | 'pdf_form_cycle'
  | 'pdf_too_many_paints'
  | 'pdf_content_too_large';

/** What the check measured on a PDF it accepts. */
export type PdfShape = { pages: number; objects: number; formDepth: number; paints: number; contentBytes: number };

/** `detail` is written for the person who uploaded the file; it names limits, never content. */
export type PdfVerdict = { ok: true; shape: PdfShape } | { ok: false; code: PdfRefusalCode; detail: string };

export async function inspectPdf(bytes: Uint8Array, limits: PdfLimits = PDF_LIMITS): Promise<PdfVerdict> {
  // Opening a file whose cross-reference table is broken makes MuPDF rebuild it from every object
  // in the file (~70 ms for 2 MB of them here): count them in the raw bytes first.
  const objects = countObjectKeywords(bytes) / 2;
  if (objects > limits.objects) return tooManyObjects(Math.ceil(objects), limits);
  const mupdf = await loadMupdf();
  let document: InstanceType<typeof mupdf.Document>;
  try {
    document = mupdf.Document.openDocument(bytes, 'application/pdf');
  } catch {
    return { ok: false, code: 'pdf_unreadable', detail: 'The PDF cannot be opened.' };
  }
  try {
    const pdf = document.asPDF();
    if (!pdf) return { ok: false, code: 'pdf_unreadable', detail: 'The file is not a PDF.' };
    return inspectPdfDocument(pdf, limits);
  } finally {
    document.destroy();
  }
}

/** The check on a document already opened (the OCR thread opens it once to check and render). */
export function inspectPdfDocument(document: PDFDocument, limits: PdfLimits = PDF_LIMITS): PdfVerdict {
  try {
    return { ok: true, shape: measure(document, limits) };
  } catch (error) {
    if (isRefusal(error)) return { ok: false, code: error.code, detail: error.detail };
    // MuPDF throws on structure it cannot make sense of; the renderer would fail on it too.
    return { ok: false, code: 'pdf_unreadable', detail: 'The PDF cannot be read.' };
  }
}

function tooManyObjects(objects: number, limits: PdfLimits) {
  const detail = `The PDF has ${objects} objects; at most ${limits.objects} are allowed.`;
  return { ok: false, code: 'pdf_too_many_objects', detail } as const;
}

/** `obj` and `endobj` around every object written in the file itself (not those inside object streams). */
function countObjectKeywords(bytes: Uint8Array): number {
  const file = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let count = 0;
  for (let at = file.indexOf('obj'); at !== -1; at = file.indexOf('obj', at + 3)) count++;
  return count;
}

type Refusal = Error & { code: PdfRefusalCode; detail: string; refusal: true };

function refuse(code: PdfRefusalCode, detail: string): never {
  throw Object.assign(new Error(detail), { code, detail, refusal: true as const }) satisfies Refusal;
}

function isRefusal(error: unknown): error is Refusal {
  return error instanceof Error && (error as Refusal).refusal === true;
}

/** What a piece of content costs: the paints it asks for, and how many form levels sit below it. */
type Cost = { paints: number; depth: number };

function measure(document: PDFDocument, limits: PdfLimits): PdfShape {
  if (document.needsPassword()) refuse('pdf_unreadable', 'The PDF is protected by a password.');
  const objects = document.countObjects();
  if (objects > limits.objects) refuse('pdf_too_many_objects', tooManyObjects(objects, limits).detail);
  const pages = document.countPages();
  if (pages < 1) refuse('pdf_unreadable', 'The PDF has no pages.');
  if (pages > limits.pages)
    refuse('pdf_too_many_pages', `The PDF has ${pages} pages; at most ${limits.pages} are allowed.`);

  const read = contentReader(limits, !document.getTrailer().get('Encrypt').isNull());
  const forms = new Map<string, Cost | 'visiting'>();

  const contentCost = (content: Uint8Array, resources: PDFObject, resourcesKey: string, level: number): Cost => {
    let paints = 0;
    let depth = 0;
    // Without an XObject dictionary no `Do` paints anything, for the renderer either.
    const xObjects = resources.isDictionary() ? resources.get('XObject') : null;
    if (!xObjects?.isDictionary()) return { paints, depth };
    const { draws, exceeded } = countXObjectDraws(content, limits.paints);
    if (exceeded) refuse('pdf_too_many_paints', `The PDF page draws more than ${limits.paints} images and forms.`);
    for (const [name, count] of draws) {
      const xObject = xObjects.get(name);
      if (!xObject.isStream()) continue;
      const subtype = xObject.get('Subtype');
      const kind = subtype.isName() ? subtype.asName() : '';
      if (kind === 'Form') {
        const inner = formCost(xObject, resources, resourcesKey, level + 1);
        paints += count * (1 + inner.paints);
        depth = Math.max(depth, 1 + inner.depth);
      } else if (kind === 'Image') {
        paints += count;
      }
      if (paints > limits.paints)
        refuse('pdf_too_many_paints', `The PDF page draws more than ${limits.paints} images and forms.`);
    }
    return { paints, depth };
  };

  /** A form without resources of its own uses its parent's, so the same form may cost differently. */
  const formCost = (form: PDFObject, inherited: PDFObject, inheritedKey: string, level: number): Cost => {
    const own = form.get('Resources');
    const resources = own.isDictionary() ? own : inherited;
    const resourcesKey = own.isDictionary() ? `${form.asIndirect()}` : inheritedKey;
    const key = `${form.asIndirect()}@${resourcesKey}`;
    const known = forms.get(key);
    if (known === 'visiting') refuse('pdf_form_cycle', 'A form in the PDF draws itself.');
    if (level + (known?.depth ?? 0) > limits.formDepth)
      refuse('pdf_forms_too_deep', `The PDF nests forms more than ${limits.formDepth} deep.`);
    if (known) return known;
    if (forms.size >= limits.forms)
      refuse('pdf_too_many_objects', `The PDF page draws more than ${limits.forms} different forms.`);
    forms.set(key, 'visiting');
    const cost = contentCost(read(form), resources, resourcesKey, level);
    forms.set(key, cost);
    return cost;
  };

  const page = document.findPage(0);
  let total = contentCost(read(page.get('Contents')), page.getInheritable('Resources'), 'page', 0);
  // Annotations are drawn with the page: each normal appearance is a form painted once.
  const annotations = page.get('Annots');
  for (let index = 0; annotations.isArray() && index < annotations.length; index++) {
    const appearance = annotations.get(index).get('AP').get('N');
    const states: PDFObject[] = [];
    if (appearance.isStream()) states.push(appearance);
    else if (appearance.isDictionary())
      appearance.forEach((state) => {
        states.push(state);
      });
    for (const state of states) {
      if (!state.isStream()) continue;
      const inner = formCost(state, document.newNull(), 'none', 1);
      total = { paints: total.paints + 1 + inner.paints, depth: Math.max(total.depth, 1 + inner.depth) };
      if (total.paints > limits.paints)
        refuse('pdf_too_many_paints', `The PDF page draws more than ${limits.paints} images and forms.`);
    }
  }
  return { pages, objects, formDepth: total.depth, paints: total.paints, contentBytes: read.bytes };
}

/** How much a filter can multiply its input, at most; a filter missing here is not read. */
const EXPANSION: Record<string, number> = {
  FlateDecode: 1032,
  Fl: 1032,
  LZWDecode: 4096,
  LZW: 4096,
  RunLengthDecode: 64,
  RL: 64,
  ASCII85Decode: 4,
  A85: 4,
  ASCIIHexDecode: 1,
  AHx: 1,
  Crypt: 1,
};

type ContentReader = ((streams: PDFObject) => Uint8Array) & { readonly bytes: number };

/**
 * Decodes content streams (one, or an array read as one) against a budget shared by all of them.
 * Flate, by far the usual filter, is inflated here with a hard output limit. Anything else (other
 * filters, an encrypted file, whose raw bytes are ciphertext) is decoded by MuPDF, but only when
 * the raw length times the filters' worst-case expansion fits the budget left.
 */
function contentReader(limits: PdfLimits, encrypted: boolean): ContentReader {
  let used = 0;
  const tooLarge = () =>
    refuse('pdf_content_too_large', `The PDF's content decompresses to more than ${limits.contentBytes} bytes.`);

  const decode = (stream: PDFObject): Uint8Array => {
    if (!stream.isStream()) return new Uint8Array(0);
    const left = limits.contentBytes - used;
    const filter = stream.get('Filter');
    const filters = filter.isArray()
      ? Array.from({ length: filter.length }, (_, index) => filter.get(index))
      : filter.isNull()
        ? []
        : [filter];
    const names = filters.map((entry) => (entry.isName() ? entry.asName() : ''));
    const raw = copied(stream.readRawStream());
    let decoded: Uint8Array;
    if (!encrypted && names.every((name) => name === 'FlateDecode' || name === 'Fl') && !hasPredictor(stream)) {
      decoded = raw;
      for (const _ of names) decoded = inflateWithin(decoded, left, tooLarge);
    } else {
      const bound = names.reduce((size, name) => size * (EXPANSION[name] ?? Number.POSITIVE_INFINITY), raw.length);
      if (bound === Number.POSITIVE_INFINITY)
        refuse('pdf_unreadable', 'A content stream in the PDF uses an encoding that is not read here.');
      if (bound > left) tooLarge();
      decoded = copied(stream.readStream());
    }
    if (decoded.length > left) tooLarge();
    used += decoded.length;
    return decoded;
  };

  const read = (streams: PDFObject): Uint8Array => {
    if (!streams.isArray()) return decode(streams);
    // A page's content may be split over several streams; a renderer reads them as one.
    const parts: Uint8Array[] = [];
    for (let index = 0; index < streams.length; index++) parts.push(decode(streams.get(index)), NEWLINE);
    return Buffer.concat(parts);
  };
  return Object.defineProperty(read, 'bytes', { get: () => used }) as ContentReader;
}

const NEWLINE = new Uint8Array([0x0a]);

/** MuPDF's buffer is a view of WASM memory, which moves when it grows: copy it and free it now. */
function copied(buffer: ReturnType<PDFObject['readStream']>): Uint8Array {
  try {
    return buffer.asUint8Array().slice();
  } finally {
    buffer.destroy();
  }
}

function hasPredictor(stream: PDFObject): boolean {
  const parameters = stream.get('DecodeParms');
  const all = parameters.isArray()
    ? Array.from({ length: parameters.length }, (_, index) => parameters.get(index))
    : [parameters];
  return all.some((entry) => entry.isDictionary() && entry.get('Predictor').asNumber() > 1);
}

function inflateWithin(data: Uint8Array, limit: number, tooLarge: () => never): Uint8Array {
  try {
    // A truncated stream is read as far as it goes, as renderers do.
    return inflateSync(data, { maxOutputLength: Math.max(1, limit), finishFlush: constants.Z_SYNC_FLUSH });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') tooLarge();
    return refuse('pdf_unreadable', 'A content stream in the PDF cannot be decompressed.');
  }
}
