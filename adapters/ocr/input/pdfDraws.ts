/**
 * How many times a PDF content stream paints each named XObject: the `Do` operators, by the name
 * they paint. Pure and linear in the content's length, so the structure check (pdfStructure.ts)
 * can run it on untrusted bytes without rendering anything.
 *
 * This is a tokenizer, not a parser: it skips what can hide a stray `Do` (strings, comments,
 * inline image data) and pairs each `Do` with the name operand just before it, as a renderer does.
 * It stops counting after `maxDraws` of them (`exceeded`): the caller refuses such content anyway,
 * and would otherwise look up every name of a stream made of nothing else.
 */
export type XObjectDraws = { draws: Map<string, number>; exceeded: boolean };

export function countXObjectDraws(content: Uint8Array, maxDraws = Number.POSITIVE_INFINITY): XObjectDraws {
  const bytes = Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  const draws = new Map<string, number>();
  const length = bytes.length;
  let total = 0;
  /** Where the last operand's name starts and ends, when the last operand is a name; else -1. */
  let nameStart = -1;
  let nameEnd = -1;
  let index = 0;
  while (index < length) {
    const byte = bytes[index] as number;
    const kind = CLASS[byte] as number;
    if (kind === WHITESPACE) {
      index++;
    } else if (byte === PERCENT) {
      while (index < length && bytes[index] !== LF && bytes[index] !== CR) index++;
    } else if (byte === OPEN_PAREN) {
      index = afterLiteralString(bytes, index);
      nameStart = -1;
    } else if (byte === LESS && bytes[index + 1] !== LESS) {
      const end = bytes.indexOf(GREATER, index + 1);
      index = end === -1 ? length : end + 1;
      nameStart = -1;
    } else if (byte === SLASH) {
      nameStart = index + 1;
      nameEnd = endOfToken(bytes, nameStart);
      index = nameEnd;
    } else if (kind === DELIMITER) {
      // `<<`, `>>`, `[`, `]`, `{`, `}` and stray closers: structure, never an operator.
      index++;
      nameStart = -1;
    } else {
      const end = endOfToken(bytes, index);
      if (end - index === 2) {
        const second = bytes[index + 1];
        if (byte === 0x44 /* D */ && second === 0x6f /* o */ && nameStart !== -1) {
          if (++total > maxDraws) return { draws, exceeded: true };
          const name = decodeName(bytes, nameStart, nameEnd);
          draws.set(name, (draws.get(name) ?? 0) + 1);
        } else if (byte === 0x49 /* I */ && second === 0x44 /* D */) {
          index = afterInlineImageData(bytes, end);
          nameStart = -1;
          continue;
        }
      }
      index = end;
      nameStart = -1;
    }
  }
  return { draws, exceeded: false };
}

const LF = 0x0a;
const CR = 0x0d;
const PERCENT = 0x25;
const OPEN_PAREN = 0x28;
const CLOSE_PAREN = 0x29;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const LESS = 0x3c;
const GREATER = 0x3e;
const HASH = 0x23;

const REGULAR = 0;
const WHITESPACE = 1;
const DELIMITER = 2;
/** PDF's three character classes, by byte: the tokenizer's inner loops read this table. */
const CLASS = new Uint8Array(256);
for (const byte of [0x00, 0x09, LF, 0x0c, CR, 0x20]) CLASS[byte] = WHITESPACE;
for (const character of '()<>[]{}/%') CLASS[character.charCodeAt(0)] = DELIMITER;

function endOfToken(bytes: Buffer, start: number): number {
  let index = start;
  while (index < bytes.length && CLASS[bytes[index] as number] === REGULAR) index++;
  return index;
}

/** Balanced parentheses may nest inside a literal string; a backslash escapes the next byte. */
function afterLiteralString(bytes: Buffer, start: number): number {
  let depth = 0;
  let index = start;
  while (index < bytes.length) {
    const byte = bytes[index] as number;
    if (byte === BACKSLASH) {
      index += 2;
      continue;
    }
    index++;
    if (byte === OPEN_PAREN) depth++;
    else if (byte === CLOSE_PAREN && --depth === 0) break;
  }
  return index;
}

/**
 * Inline image data is binary and may hold any bytes; it ends at `EI` standing alone between
 * whitespace (or the end), which is how renderers find its end too.
 */
function afterInlineImageData(bytes: Buffer, afterId: number): number {
  let index = afterId + 1;
  while (index < bytes.length) {
    const found = bytes.indexOf(0x45 /* E */, index);
    if (found === -1) return bytes.length;
    const after = bytes[found + 2];
    if (
      bytes[found + 1] === 0x49 /* I */ &&
      CLASS[bytes[found - 1] as number] === WHITESPACE &&
      (after === undefined || CLASS[after] === WHITESPACE)
    ) {
      return found + 2;
    }
    index = found + 1;
  }
  return bytes.length;
}

/** `#xx` stands for one byte in a name; names are read as UTF-8, as MuPDF reads dictionary keys. */
function decodeName(bytes: Buffer, start: number, end: number): string {
  if (!bytes.subarray(start, end).includes(HASH)) return bytes.toString('utf8', start, end);
  const decoded: number[] = [];
  for (let index = start; index < end; index++) {
    const byte = bytes[index] as number;
    const hex = byte === HASH ? bytes.toString('latin1', index + 1, Math.min(index + 3, end)) : '';
    if (/^[0-9a-fA-F]{2}$/.test(hex)) {
      decoded.push(Number.parseInt(hex, 16));
      index += 2;
    } else {
      decoded.push(byte);
    }
  }
  return Buffer.from(decoded).toString('utf8');
}
