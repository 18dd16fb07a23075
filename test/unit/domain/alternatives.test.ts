import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onlyPassingNumberReading, onlyPassingReading } from '../../../domain/checks/alternatives.ts';
import type { OcrResult } from '../../../domain/ocrResult.ts';
import { evaluateDocument } from '../../../domain/policy.ts';
import { codes, decide, KTP_FIELDS, ktpLines, NPWP_FIELDS, npwpLines, ocrOf, regions, TODAY } from './support.ts';

type Line = OcrResult['lines'][number];

/** `text` read surely except at `doubts`: each a character read at 0.6 with a second choice. */
function doubtfulLine(text: string, doubts: { at: number; second: string }[]): Line {
  const doubtful = new Set(doubts.map((doubt) => doubt.at));
  return {
    text,
    confidence: 0.95,
    chars: [...text].map((_, index) => (doubtful.has(index) ? 0.6 : 0.99)),
    alternatives: doubts.map((doubt) => [doubt.at, doubt.second, 0.35]),
  };
}

/** The clean card's lines with the NIK line replaced. */
function ktpWithNikLine(nikLine: Line, changes: Partial<Record<keyof typeof KTP_FIELDS, string>> = {}): OcrResult {
  const ocr = ocrOf(ktpLines({ ...KTP_FIELDS, ...changes }));
  const lines = ocr.lines.map((line) => (line.text.startsWith('NIK') ? nikLine : line));
  return { ...ocr, text: lines.map((line) => line.text).join('\n'), lines };
}

const evaluate = (ocr: OcrResult, type: 'KTP' | 'NPWP' = 'KTP') =>
  evaluateDocument({ uploadedType: type, ocr, regions, today: TODAY, duplicateIdentity: false });

describe('second choices for a failing number', () => {
  // KTP_FIELDS.nik is 3171014101900001: born 1990-01-01, a woman (day + 40).
  const misread = 'NIK : 3171014101800001'; // the year's 9 read as 8: the NIK says 1980
  const yearDigit = misread.indexOf('8');

  it("should take the recogniser's second choice when it is the only reading that agrees with the card, and say so", () => {
    const evaluation = evaluate(ktpWithNikLine(doubtfulLine(misread, [{ at: yearDigit, second: '9' }])));
    assert.equal(evaluation.fields.nik, KTP_FIELDS.nik);
    assert.deepEqual(codes(evaluation.reasons), ['NUMBER_READ_CORRECTED']);
    assert.match(evaluation.reasons[0]?.message ?? '', /Field: nik\./);
    assert.equal(decide('KTP', evaluation), 'auto_approve');
  });

  it('should keep the number as read when no second choice, or more than one, passes', () => {
    const unhelpful = evaluate(ktpWithNikLine(doubtfulLine(misread, [{ at: yearDigit, second: '3' }])));
    assert.equal(unhelpful.fields.nik, '3171014101800001');
    assert.deepEqual(
      codes(unhelpful.reasons),
      ['UNCERTAIN_CHECK_FAILED'],
      'and the doubtful digit keeps it from rejecting',
    );

    // The last serial digit doubtful too, with any digit passing: two readings pass, so neither is chosen.
    const serialDigit = misread.length - 1;
    const ambiguous = evaluate(
      ktpWithNikLine(
        doubtfulLine(misread, [
          { at: yearDigit, second: '9' },
          { at: serialDigit, second: '7' },
        ]),
      ),
    );
    assert.equal(ambiguous.fields.nik, '3171014101800001');
  });

  it('should try only digits the recogniser offered, and only where each digit maps to one character', () => {
    const letter = evaluate(ktpWithNikLine(doubtfulLine(misread, [{ at: yearDigit, second: 'A' }])));
    assert.equal(letter.fields.nik, '3171014101800001');
    // The month's 0 read as 6 (month 61), with the letter O as second choice.
    const badMonth = 'NIK : 3171014161900001';
    const lookalike = evaluate(ktpWithNikLine(doubtfulLine(badMonth, [{ at: 14, second: 'O' }])));
    assert.equal(lookalike.fields.nik, KTP_FIELDS.nik, 'a letter that stands for a digit counts as that digit');

    const line = doubtfulLine('NIK : 3171 01410180 0001 S', [{ at: 15, second: '9' }]); // 17 digit-like characters
    assert.equal(
      onlyPassingReading('3171014101800001', line, () => true),
      null,
      'positions do not map one to one',
    );
  });

  it('should leave a number that passes alone, and fix an NPWP check digit the same way', () => {
    const clean = evaluate(ktpWithNikLine(doubtfulLine(`NIK : ${KTP_FIELDS.nik}`, [{ at: 8, second: '2' }])));
    assert.deepEqual(codes(clean.reasons), []);

    const npwp = NPWP_FIELDS.npwp; // 01.234.567.c-407.000 with a valid Luhn check digit c
    const checkAt = npwp.indexOf('-') - 1;
    const wrongCheck = `${npwp.slice(0, checkAt)}${(Number(npwp[checkAt]) + 1) % 10}${npwp.slice(checkAt + 1)}`;
    const npwpOcr = ocrOf(npwpLines({ ...NPWP_FIELDS, npwp: wrongCheck }));
    const lines = npwpOcr.lines.map((line) => {
      if (!line.text.startsWith('NPWP')) return line;
      const at = line.text.indexOf(wrongCheck) + checkAt;
      return doubtfulLine(line.text, [{ at, second: npwp[checkAt] as string }]);
    });
    const evaluation = evaluate({ ...npwpOcr, lines }, 'NPWP');
    assert.equal(evaluation.fields.npwp, npwp);
    assert.deepEqual(codes(evaluation.reasons), ['NUMBER_READ_CORRECTED']);
  });

  it('should fix a 16-digit NPWP, which is a NIK, the same way', () => {
    const nik = KTP_FIELDS.nik;
    const misreadNik = '3171014161900001'; // the month's 0 read as 6: month 61 does not exist
    const npwpOcr = ocrOf(npwpLines({ ...NPWP_FIELDS, npwp: misreadNik }));
    const lines = npwpOcr.lines.map((line) => {
      if (!line.text.startsWith('NPWP')) return line;
      return doubtfulLine(line.text, [{ at: line.text.indexOf(misreadNik) + misreadNik.indexOf('6'), second: '0' }]);
    });
    const evaluation = evaluate({ ...npwpOcr, lines }, 'NPWP');
    assert.equal(evaluation.fields.npwp, nik);
    assert.ok(codes(evaluation.reasons).includes('NUMBER_READ_CORRECTED'), `${codes(evaluation.reasons)}`);
  });
});

describe("digits-only readings at a number's length", () => {
  /** `text` read surely, with the OCR's digits-only readings of its number. */
  function lineWithReadings(text: string, digits: readonly string[]): Line {
    const start = text.indexOf(':') + 2;
    return {
      text,
      confidence: 0.95,
      chars: [...text].map(() => 0.99),
      numbers: digits.map((reading) => ({
        start,
        end: text.length,
        digits: reading,
        chars: [...reading].map((_, index) => (index === 6 ? 0.3 : 0.98)),
      })),
    };
  }

  it('should give back a NIK that lost a digit to a watermark, when its reading at 16 digits agrees with the card', () => {
    const short = 'NIK : 317101101900001'; // the fourth 1 of 3171014101… lost: 15 digits
    const evaluation = evaluate(ktpWithNikLine(lineWithReadings(short, ['317101101900001', KTP_FIELDS.nik])));
    assert.equal(evaluation.fields.nik, KTP_FIELDS.nik);
    assert.deepEqual(codes(evaluation.reasons), ['NUMBER_READ_CORRECTED']);
  });

  it('should keep a short NIK as read when its reading at 16 digits fails the checks too, and never reject on it', () => {
    const short = 'NIK : 317101101900001';
    const wrongYear = '3171014101800001'; // says 1980: the card says 1990
    const evaluation = evaluate(ktpWithNikLine(lineWithReadings(short, [wrongYear])));
    assert.equal(evaluation.fields.nik, '317101101900001');
    assert.notEqual(decide('KTP', evaluation), 'auto_reject');
  });

  it('should choose none when two readings pass', () => {
    const line = lineWithReadings('NIK : 317101101900001', ['3171014101900001', '3171014101900002']);
    assert.equal(
      onlyPassingNumberReading(
        '317101101900001',
        line,
        (digits) => digits,
        () => true,
      ),
      null,
    );
    assert.equal(
      onlyPassingNumberReading(
        '317101101900001',
        { ...line, numbers: [] },
        (digits) => digits,
        () => true,
      ),
      null,
    );
  });

  it('should give back an NPWP that lost a digit, written with its separators', () => {
    const npwp = NPWP_FIELDS.npwp;
    const digits = npwp.replace(/\D/g, '');
    const lost = `${digits.slice(0, 3)}${digits.slice(4)}`; // 14 digits
    const npwpOcr = ocrOf(npwpLines({ ...NPWP_FIELDS, npwp: lost }));
    const lines = npwpOcr.lines.map((line) =>
      line.text.startsWith('NPWP') ? lineWithReadings(line.text, [digits]) : line,
    );
    const evaluation = evaluate({ ...npwpOcr, lines }, 'NPWP');
    assert.equal(evaluation.fields.npwp, npwp);
    assert.deepEqual(codes(evaluation.reasons), ['NUMBER_READ_CORRECTED']);
  });
});
