/**
 * One-page PDFs written byte by byte (uncompressed, so a test can see what is in them) for the PDF
 * limits: Form XObjects nested `depth` deep, each drawing the level below `fanOut` times. Depth 0 is
 * a plain scan: the page draws one grey image, as a scanner's PDF does.
 *
 * The bytes are written by hand rather than with MuPDF's writer so that shapes a writer would
 * refuse or tidy away (a form that draws itself) can be made too.
 */
export type NestedFormPdfOptions = {
  /** Form XObjects between the page and the image; 0 draws the image from the page itself. */
  depth: number;
  /** How many times each level (the page included) draws the level below. */
  fanOut: number;
  /** The deepest form draws the first one again instead of the image. */
  cycle?: boolean;
  /**
   * Who draws the first form: the page's content (`fanOut` times), or an annotation's appearance
   * (once), which renderers draw with the page too.
   */
  drawnBy?: 'page' | 'annotation';
};

const PAGE_WIDTH = 500;
const PAGE_HEIGHT = 315;
/** The scan: a small grey gradient, raw 8-bit samples. */
const IMAGE_WIDTH = 50;
const IMAGE_HEIGHT = 32;

export function nestedFormPdf(options: NestedFormPdfOptions): Buffer {
  const { depth, fanOut } = options;
  // Object numbers: 1 catalog, 2 page tree, 3 page, 4 page content, 5 image, 6.. the forms (level 1 first).
  const formNumber = (level: number) => 5 + level;
  const objects: Buffer[] = [];
  const add = (number: number, body: Buffer | string) => {
    objects[number] = Buffer.concat([Buffer.from(`${number} 0 obj\n`), Buffer.from(body), Buffer.from('\nendobj\n')]);
  };
  const stream = (dictionary: string, content: Buffer | string) =>
    Buffer.concat([
      Buffer.from(`<< ${dictionary} /Length ${Buffer.byteLength(content)} >>\nstream\n`),
      Buffer.from(content),
      Buffer.from('\nendstream'),
    ]);
  /** `count` scaled-down copies of the named XObject, spread over the box. */
  const draws = (name: string, count: number) => {
    const parts: string[] = [];
    for (let index = 0; index < count; index++) {
      const offset = (index % 10) * 0.05;
      parts.push(
        `q 0.5 0 0 0.5 ${(offset * PAGE_WIDTH).toFixed(1)} ${(offset * PAGE_HEIGHT).toFixed(1)} cm /${name} Do Q`,
      );
    }
    return parts.join('\n');
  };
  const leaf = `q ${PAGE_WIDTH} 0 0 ${PAGE_HEIGHT} 0 0 cm /Im0 Do Q`;
  const byAnnotation = options.drawnBy === 'annotation' && depth > 0;
  const annotationNumber = formNumber(depth + 1);

  add(1, '<< /Type /Catalog /Pages 2 0 R >>');
  add(2, '<< /Type /Pages /Kids [3 0 R] /Count 1 >>');
  const pageXObject = depth === 0 ? '/Im0 5 0 R' : `/Fm ${formNumber(1)} 0 R`;
  add(
    3,
    `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] ` +
      `/Resources << /XObject << ${pageXObject} >> >> /Contents 4 0 R` +
      `${byAnnotation ? ` /Annots [${annotationNumber} 0 R]` : ''} >>`,
  );
  add(4, stream('', depth === 0 ? leaf : byAnnotation ? '' : draws('Fm', fanOut)));
  const samples = Buffer.alloc(IMAGE_WIDTH * IMAGE_HEIGHT);
  for (let index = 0; index < samples.length; index++) samples[index] = 96 + ((index * 7) % 128);
  add(
    5,
    stream(
      `/Type /XObject /Subtype /Image /Width ${IMAGE_WIDTH} /Height ${IMAGE_HEIGHT} /ColorSpace /DeviceGray /BitsPerComponent 8`,
      samples,
    ),
  );
  for (let level = 1; level <= depth; level++) {
    const deepest = level === depth;
    const resources =
      deepest && !options.cycle
        ? '/XObject << /Im0 5 0 R >>'
        : `/XObject << /Fm ${deepest ? formNumber(1) : formNumber(level + 1)} 0 R >>`;
    const content = deepest && !options.cycle ? leaf : draws('Fm', fanOut);
    add(
      formNumber(level),
      stream(
        `/Type /XObject /Subtype /Form /BBox [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /Resources << ${resources} >>`,
        content,
      ),
    );
  }

  if (byAnnotation) {
    add(
      annotationNumber,
      `<< /Type /Annot /Subtype /Stamp /Rect [0 0 ${PAGE_WIDTH} ${PAGE_HEIGHT}] /AP << /N ${formNumber(1)} 0 R >> >>`,
    );
  }

  const header = Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1');
  const parts: Buffer[] = [header];
  const offsets: number[] = [];
  let offset = header.length;
  for (let number = 1; number < objects.length; number++) {
    const object = objects[number] as Buffer;
    offsets[number] = offset;
    parts.push(object);
    offset += object.length;
  }
  const xref = [`xref\n0 ${objects.length}\n`, '0000000000 65535 f \n'];
  for (let number = 1; number < objects.length; number++) {
    xref.push(`${String(offsets[number]).padStart(10, '0')} 00000 n \n`);
  }
  parts.push(
    Buffer.from(
      `${xref.join('')}trailer\n<< /Size ${objects.length} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`,
      'latin1',
    ),
  );
  return Buffer.concat(parts);
}
