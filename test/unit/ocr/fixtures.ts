import { crc32, deflateSync } from 'node:zlib';
import * as mupdf from 'mupdf';

/**
 * Files built at test time for the OCR tests: PDFs (with MuPDF's own writer) and a PNG
 * decompression bomb.
 */

/** A one-page PDF whose page is `image` (PNG or JPEG bytes) drawn at `width` × `height` points. */
export function pdfWithImage(image: Uint8Array, width: number, height: number): Buffer {
  const document = new mupdf.PDFDocument();
  try {
    const picture = new mupdf.Image(image);
    const resources = document.addObject({ XObject: { Im0: document.addImage(picture) } });
    const contents = `q ${width} 0 0 ${height} 0 0 cm /Im0 Do Q`;
    document.insertPage(-1, document.addPage([0, 0, width, height], 0, resources, contents));
    picture.destroy();
    return Buffer.from(document.saveToBuffer('compress').asUint8Array());
  } finally {
    document.destroy();
  }
}

/**
 * A one-page PDF embedding an image that declares `width` × `height` pixels but carries almost no
 * data: refusing it must not depend on decoding it.
 */
export function pdfWithDeclaredImage(width: number, height: number): Buffer {
  const document = new mupdf.PDFDocument();
  try {
    const stream = document.addStream(deflateSync(Buffer.alloc(1024)), {
      Type: document.newName('XObject'),
      Subtype: document.newName('Image'),
      Width: width,
      Height: height,
      ColorSpace: document.newName('DeviceGray'),
      BitsPerComponent: 8,
    });
    const resources = document.addObject({ XObject: { Im0: stream } });
    document.insertPage(-1, document.addPage([0, 0, 500, 315], 0, resources, 'q 500 0 0 315 0 0 cm /Im0 Do Q'));
    return Buffer.from(document.saveToBuffer('compress').asUint8Array());
  } finally {
    document.destroy();
  }
}

/**
 * A complete, valid PNG of `width` × `height` black pixels at one bit per pixel: about 50 KB on
 * disk for 20000 × 20000, 400 MB once decoded. Written by hand because having libvips encode it
 * takes many seconds.
 */
export function pngBomb(width: number, height: number): Buffer {
  const rowBytes = 1 + Math.ceil(width / 8); // filter byte + packed bits, all zero
  const chunk = (type: string, data: Buffer) => {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(data.length, 0);
    header.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([header.subarray(4), data])), 0);
    return Buffer.concat([header, data, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.writeUInt8(1, 8); // bit depth
  ihdr.writeUInt8(0, 9); // greyscale
  // The scanlines are packed bits, so the stream to compress is only 50 MB of zeros here.
  const idat = deflateSync(Buffer.alloc(rowBytes * height), { level: 9 });
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
