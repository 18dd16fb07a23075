import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import * as mupdf from 'mupdf';
import { countXObjectDraws } from '../../../../adapters/ocr/input/pdfDraws.ts';
import { inspectPdf, PDF_LIMITS, type PdfVerdict } from '../../../../adapters/ocr/input/pdfStructure.ts';
import { nestedFormPdf } from '../../../support/nestedFormPdf.ts';
import { pdfWithImage } from '../fixtures.ts';
import { renderCardJpeg } from '../syntheticCard.ts';

const refusal = (verdict: PdfVerdict) => (verdict.ok ? 'ok' : verdict.code);

/** The same document written again by MuPDF, every stream Flate-compressed: what producers write. */
function recompressed(pdf: Buffer): Buffer {
  const document = mupdf.Document.openDocument(pdf, 'application/pdf') as mupdf.PDFDocument;
  try {
    return Buffer.from(document.saveToBuffer('compress').asUint8Array());
  } finally {
    document.destroy();
  }
}

/** A one-page PDF whose page content is `content`, stored raw with the stream dictionary `filter` says. */
function pdfWithRawContent(content: Uint8Array, filter: string[], pages = 1): Buffer {
  const document = new mupdf.PDFDocument();
  try {
    const image = document.addRawStream(Buffer.alloc(16 * 16, 0x80), {
      Type: document.newName('XObject'),
      Subtype: document.newName('Image'),
      Width: 16,
      Height: 16,
      ColorSpace: document.newName('DeviceGray'),
      BitsPerComponent: 8,
    });
    const resources = document.addObject({ XObject: { Im0: image } });
    for (let index = 0; index < pages; index++) {
      const page = document.addPage([0, 0, 500, 315], 0, resources, '');
      if (index === 0) {
        const contents = document.addRawStream(content, { Filter: filter.map((name) => document.newName(name)) });
        page.put('Contents', contents);
      }
      document.insertPage(-1, page);
    }
    return Buffer.from(document.saveToBuffer('').asUint8Array());
  } finally {
    document.destroy();
  }
}

describe('the PDF structure check', () => {
  it('should accept a scanned card and report what it measured', async () => {
    const verdict = await inspectPdf(nestedFormPdf({ depth: 0, fanOut: 1 }));
    assert.deepEqual(verdict, {
      ok: true,
      shape: { pages: 1, objects: 6, formDepth: 0, paints: 1, contentBytes: 'q 500 0 0 315 0 0 cm /Im0 Do Q'.length },
    });
    const written = await inspectPdf(pdfWithImage(await renderCardJpeg(), 500, 315));
    assert.equal(refusal(written), 'ok');
  });

  it('should count paints with their multiplicity, once per form', async () => {
    // Page → 10 × form 1 → 10 × form 2 → 10 × form 3 → 1 image each: 10 + 100 + 1000 forms, 1000 images.
    const verdict = await inspectPdf(nestedFormPdf({ depth: 3, fanOut: 10 }));
    assert.ok(verdict.ok);
    assert.equal(verdict.shape.paints, 2110);
    assert.equal(verdict.shape.formDepth, 3);
    // Each form's content is read once, however many times it is drawn.
    assert.ok(verdict.shape.contentBytes < 2000, `${verdict.shape.contentBytes} bytes read`);
    const binary = await inspectPdf(nestedFormPdf({ depth: 6, fanOut: 2 }));
    assert.ok(binary.ok);
    assert.equal(binary.shape.paints, 2 + 4 + 8 + 16 + 32 + 64 + 64);
  });

  it('should refuse forms nested 7 or 8 deep, each drawing the level below 10 times', async () => {
    for (const depth of [7, 8]) {
      const pdf = nestedFormPdf({ depth, fanOut: 10 });
      assert.ok(pdf.length < 8 * 1024, `${pdf.length} bytes`);
      const verdict = await inspectPdf(pdf);
      assert.equal(refusal(verdict), 'pdf_forms_too_deep', `depth ${depth}`);
      assert.ok(!verdict.ok && verdict.detail === `The PDF nests forms more than ${PDF_LIMITS.formDepth} deep.`);
      assert.equal(refusal(await inspectPdf(recompressed(pdf))), 'pdf_forms_too_deep', `depth ${depth}, compressed`);
    }
  });

  it('should refuse a shallow file that paints too much', async () => {
    for (const pdf of [nestedFormPdf({ depth: 4, fanOut: 10 }), nestedFormPdf({ depth: 6, fanOut: 10 })]) {
      const verdict = await inspectPdf(pdf);
      assert.equal(refusal(verdict), 'pdf_too_many_paints');
      assert.ok(!verdict.ok && /more than 10000 images and forms/.test(verdict.detail));
    }
  });

  it('should refuse forms that draw themselves instead of following them', async () => {
    assert.equal(refusal(await inspectPdf(nestedFormPdf({ depth: 1, fanOut: 1, cycle: true }))), 'pdf_form_cycle');
    assert.equal(refusal(await inspectPdf(nestedFormPdf({ depth: 3, fanOut: 2, cycle: true }))), 'pdf_form_cycle');
  });

  it('should follow forms drawn by an annotation too', async () => {
    const verdict = await inspectPdf(nestedFormPdf({ depth: 8, fanOut: 10, drawnBy: 'annotation' }));
    assert.equal(refusal(verdict), 'pdf_forms_too_deep');
    const shallow = await inspectPdf(nestedFormPdf({ depth: 2, fanOut: 10, drawnBy: 'annotation' }));
    assert.ok(shallow.ok);
    assert.equal(shallow.shape.paints, 1 + 10 + 10);
  });

  it('should stop decompressing content at the byte limit', async () => {
    const bomb = deflateSync(Buffer.alloc(PDF_LIMITS.contentBytes + 1024, 0x20), { level: 9 });
    assert.ok(bomb.length < 16 * 1024);
    const verdict = await inspectPdf(pdfWithRawContent(bomb, ['FlateDecode']));
    assert.equal(refusal(verdict), 'pdf_content_too_large');
    const twice = deflateSync(bomb);
    assert.equal(
      refusal(await inspectPdf(pdfWithRawContent(twice, ['FlateDecode', 'FlateDecode']))),
      'pdf_content_too_large',
    );
  });

  it('should read content under other filters within what they can expand to', async () => {
    const draws = Buffer.from('/Im0 Do '.repeat(PDF_LIMITS.paints + 1));
    const hex = Buffer.from(deflateSync(draws).toString('hex'));
    assert.equal(
      refusal(await inspectPdf(pdfWithRawContent(hex, ['ASCIIHexDecode', 'FlateDecode']))),
      'pdf_too_many_paints',
    );
    const few = Buffer.from(deflateSync(Buffer.from('/Im0 Do /Im0 Do')).toString('hex'));
    const verdict = await inspectPdf(pdfWithRawContent(few, ['ASCIIHexDecode', 'FlateDecode']));
    assert.ok(verdict.ok);
    assert.equal(verdict.shape.paints, 2);
    assert.equal(refusal(await inspectPdf(pdfWithRawContent(few, ['DCTDecode']))), 'pdf_unreadable');
  });

  it('should refuse too many pages or objects, and what cannot be opened', async () => {
    const pages = await inspectPdf(pdfWithRawContent(Buffer.from(''), [], PDF_LIMITS.pages + 1));
    assert.equal(refusal(pages), 'pdf_too_many_pages');
    const scan = nestedFormPdf({ depth: 0, fanOut: 1 });
    assert.equal(refusal(await inspectPdf(scan, { ...PDF_LIMITS, objects: 5 })), 'pdf_too_many_objects');
    assert.equal(refusal(await inspectPdf(Buffer.from('%PDF-1.7\nnot really'))), 'pdf_unreadable');
  });
});

describe('counting XObject draws in content', () => {
  const count = (content: string) => Object.fromEntries(countXObjectDraws(Buffer.from(content, 'latin1')).draws);

  it('should pair each Do with the name just before it', () => {
    assert.deepEqual(count('q /Fm0 Do Q /Fm0 Do\n/Im1 Do /A /B Do 1 0 0 1 0 0 cm'), { Fm0: 2, Im1: 1, B: 1 });
  });

  it('should not count a Do without a name, or one inside a string, comment or inline image', () => {
    assert.deepEqual(
      count(
        '(/Fm0 Do \\) (nested (/Fm0 Do)) still string) Tj <2F466D3020446F> Tj % /Fm0 Do\n' +
          'BI /W 4 /H 1 /BPC 8 /CS /G ID /Fm0 Do EI /Fm1 Do 12 Do /Fm2 [/x] Do',
      ),
      { Fm1: 1 },
    );
  });

  it('should stop after the most draws asked for', () => {
    assert.deepEqual(countXObjectDraws(Buffer.from('/A Do /B Do /C Do'), 2), {
      draws: new Map([
        ['A', 1],
        ['B', 1],
      ]),
      exceeded: true,
    });
    assert.equal(countXObjectDraws(Buffer.from('/A Do /B Do /C Do'), 3).exceeded, false);
  });

  it('should read #-escaped names', () => {
    assert.deepEqual(count('/Form#20One Do /F#2f1 Do'), { 'Form One': 1, 'F/1': 1 });
  });
});
