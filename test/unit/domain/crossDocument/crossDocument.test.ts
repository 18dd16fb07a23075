import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CardReading,
  type CrossCheckOutcome,
  crossCheck,
  NIK_MISREAD_DISTANCE,
} from '../../../../domain/checks/crossDocument.ts';
import { MIN_EVIDENCE_CONFIDENCE } from '../../../../domain/checks/evidence.ts';
import { REASONS } from '../../../../domain/reasons.ts';
import { KTP_FIELDS, NPWP_FIELDS } from '../support.ts';
import { randomName, seededRandom } from './nameGenerator.ts';

/** Synthetic people: the support fixtures' NIK and names like CONTOH. */
const NIK = KTP_FIELDS.nik;
const NAME = 'SITI CONTOH';
const OTHER_NIK = '3273024506850003';

const ktp = (fields: Record<string, string | null> = {}, confidence?: Record<string, number>): CardReading => ({
  fields: { ...KTP_FIELDS, nama: NAME, ...fields },
  ...(confidence ? { confidence } : {}),
});
/** An NPWP card of the current layout: a 15-digit number and a NIK line. */
const npwp = (fields: Record<string, string | null> = {}, confidence?: Record<string, number>): CardReading => ({
  fields: { ...NPWP_FIELDS, nama: NAME, nik: NIK, ...fields },
  ...(confidence ? { confidence } : {}),
});

const nikOf = (k: CardReading, n: CardReading) => crossCheck({ ktp: k, npwp: n }).nik;
const nameOf = (k: CardReading, n: CardReading) => crossCheck({ ktp: k, npwp: n }).name;

/** One digit of `nik` changed at `index`. */
const changed = (nik: string, index: number) =>
  `${nik.slice(0, index)}${(Number(nik[index]) + 1) % 10}${nik.slice(index + 1)}`;

describe('crossCheck', () => {
  it('should match an NPWP card whose NIK line and name are the KTP’s', () => {
    const result = crossCheck({ ktp: ktp(), npwp: npwp() });
    assert.equal(result.outcome, 'match');
    assert.equal(result.nik.outcome, 'match');
    assert.equal(result.name.outcome, 'match');
    assert.equal(result.name.agreement, 'exact');
    assert.deepEqual(
      result.reasons.map((reason) => [reason.code, reason.severity]),
      [
        ['CROSS_NIK_MATCH', 'info'],
        ['CROSS_NAME_MATCH', 'info'],
      ],
    );
  });

  it('should give every outcome a catalogue reason whose message quotes no value', () => {
    const cases: [CardReading, CardReading][] = [
      [ktp(), npwp()],
      [ktp(), npwp({ nik: OTHER_NIK, nama: 'AGUS WIBOWO' })],
      [ktp({ nik: null, nama: null }), npwp()],
      [ktp({ nama: 'M. CONTOH' }), npwp({ nama: 'MUHAMMAD CONTOH' })],
    ];
    for (const [k, n] of cases)
      for (const reason of crossCheck({ ktp: k, npwp: n }).reasons) {
        assert.ok(reason.code in REASONS, reason.code);
        assert.equal(reason.severity, REASONS[reason.code as keyof typeof REASONS].severity);
        for (const value of [NIK, OTHER_NIK, 'CONTOH', 'AGUS']) assert.equal(reason.message.includes(value), false);
      }
  });

  describe('NIK', () => {
    it('should take the 16-digit NPWP, which is the NIK since PMK 112/2022, when there is no NIK line', () => {
      assert.equal(nikOf(ktp(), npwp({ npwp: NIK, nik: null })).outcome, 'match');
      assert.equal(nikOf(ktp(), npwp({ npwp: OTHER_NIK, nik: null })).outcome, 'mismatch');
    });

    it('should not take a converted 15-digit NPWP (16 digits starting with 0) for a NIK', () => {
      const result = nikOf(ktp(), npwp({ npwp: '0012345678901000', nik: null }));
      assert.equal(result.outcome, 'unsure');
      assert.equal(result.reason.code, 'CROSS_NIK_UNVERIFIED');
    });

    it('should be unsure, not mismatched, for an older NPWP card that prints no NIK', () => {
      const result = nikOf(ktp(), npwp({ nik: null }));
      assert.equal(result.outcome, 'unsure');
      assert.equal(result.reason.severity, 'review');
    });

    it('should match when either the NIK line or the 16-digit number agrees (the other misread)', () => {
      assert.equal(nikOf(ktp(), npwp({ npwp: NIK, nik: changed(NIK, 3) })).outcome, 'match');
      assert.equal(nikOf(ktp(), npwp({ npwp: changed(NIK, 3), nik: NIK })).outcome, 'match');
    });

    it('should read separators and look-alike letters in a number as digits', () => {
      assert.equal(nikOf(ktp({ nik: '3171 0141 0190 0001' }), npwp()).outcome, 'match');
      assert.equal(nikOf(ktp(), npwp({ nik: '317IO14IO19OOOOI' })).outcome, 'match');
    });

    it('should be unsure when either NIK is missing or not 16 digits', () => {
      for (const [k, n] of [
        [ktp({ nik: null }), npwp()],
        [ktp({ nik: '' }), npwp()],
        [ktp({ nik: NIK.slice(0, 15) }), npwp()],
        [ktp(), npwp({ nik: `${NIK}7` })],
        [ktp(), npwp({ nik: 'NIK TIDAK TERBACA' })],
      ] as const)
        assert.equal(nikOf(k, n).outcome, 'unsure');
      const absent: CardReading = { fields: { nama: NAME } };
      assert.equal(nikOf(absent, npwp()).outcome, 'unsure');
    });

    it('should reject a different NIK read with confidence on both cards, even one digit apart', () => {
      const sure = { nik: 0.99 };
      const result = nikOf(ktp({}, sure), npwp({ nik: changed(NIK, 15) }, sure));
      assert.equal(result.outcome, 'mismatch');
      assert.equal(result.reason.code, 'CROSS_NIK_MISMATCH');
      assert.equal(result.reason.severity, 'reject');
    });

    it('should never reject on a NIK read with low confidence on either card', () => {
      const weak = { nik: MIN_EVIDENCE_CONFIDENCE - 0.01 };
      const sure = { nik: 0.99 };
      for (const [k, n] of [
        [ktp({}, weak), npwp({ nik: OTHER_NIK }, sure)],
        [ktp({}, sure), npwp({ nik: OTHER_NIK }, weak)],
        [ktp({}, weak), npwp({ nik: changed(NIK, 0) }, weak)],
      ] as const)
        assert.equal(nikOf(k, n).outcome, 'unsure');
    });

    it('should, without confidences, take a NIK one or two digits off for a misread and a NIK further off for another', () => {
      assert.equal(nikOf(ktp(), npwp({ nik: changed(NIK, 7) })).outcome, 'unsure');
      assert.equal(nikOf(ktp(), npwp({ nik: changed(changed(NIK, 2), 9) })).outcome, 'unsure');
      // A lost digit and a gained one: two edits.
      assert.equal(nikOf(ktp(), npwp({ nik: `${NIK.slice(1)}9` })).outcome, 'unsure');
      assert.equal(nikOf(ktp(), npwp({ nik: changed(changed(changed(NIK, 2), 9), 12) })).outcome, 'mismatch');
      assert.equal(nikOf(ktp(), npwp({ nik: OTHER_NIK })).outcome, 'mismatch');
    });

    it('should use the confidence that is known and the distance for the side that is not', () => {
      // The KTP side is sure, the NPWP side unknown: a one-digit difference may still be a misread.
      assert.equal(nikOf(ktp({}, { nik: 0.99 }), npwp({ nik: changed(NIK, 4) })).outcome, 'unsure');
      assert.equal(nikOf(ktp({}, { nik: 0.99 }), npwp({ nik: OTHER_NIK })).outcome, 'mismatch');
    });

    it('should match identical NIKs however doubtful each read was', () => {
      const weak = { nik: 0.3 };
      assert.equal(nikOf(ktp({}, weak), npwp({}, weak)).outcome, 'match');
    });

    it('should honour a caller’s confidence threshold', () => {
      const fair = { nik: 0.8 };
      const k = ktp({}, fair);
      const n = npwp({ nik: changed(NIK, 1) }, fair);
      assert.equal(crossCheck({ ktp: k, npwp: n }).nik.outcome, 'unsure');
      assert.equal(crossCheck({ ktp: k, npwp: n }, { minConfidence: 0.75 }).nik.outcome, 'mismatch');
    });

    it('property: a NIK one edit or two away without confidences is never a mismatch, further away always is', () => {
      const random = seededRandom(7);
      for (let trial = 0; trial < 500; trial++) {
        const base = Array.from({ length: 16 }, () => Math.floor(random() * 10)).join('');
        let other = base;
        const edits = 1 + Math.floor(random() * 6);
        const positions = new Set<number>();
        while (positions.size < edits) positions.add(Math.floor(random() * 16));
        for (const position of positions) other = changed(other, position);
        const outcome = nikOf(ktp({ nik: base }), npwp({ nik: other, npwp: '01.234.567.8-901.000' })).outcome;
        assert.equal(outcome, edits <= NIK_MISREAD_DISTANCE ? 'unsure' : 'mismatch', `${edits} edits`);
      }
    });
  });

  describe('name', () => {
    it('should match names that differ by reading noise, titles and abbreviations, and say how', () => {
      const cases: [string, string, string][] = [
        ['SITI CONTOH', 'SITI C0NT0H', 'close'],
        ['HJ. SITI CONTOH, S.KOM', 'SITI CONTOH', 'exact'],
        ['MUHAMMAD RIZKY CONTOH', 'M. RIZKY CONTOH', 'abbreviated'],
        ['MUHAMMAD RIZKY CONTOH', 'MOHD RIZKY CONTOH', 'abbreviated'],
        ['RIZKY ADI CONTOH', 'RIZKY CONTOH', 'abbreviated'],
        ['SOEWARNO CONTOH', 'SUWARNO CONTOH', 'close'],
      ];
      for (const [onKtp, onNpwp, agreement] of cases) {
        const result = nameOf(ktp({ nama: onKtp }), npwp({ nama: onNpwp }));
        assert.equal(result.outcome, 'match', `${onKtp} | ${onNpwp}`);
        assert.equal(result.agreement, agreement, `${onKtp} | ${onNpwp}`);
        assert.equal(result.reason.code, 'CROSS_NAME_MATCH');
      }
      // How they agreed is told in words.
      assert.match(
        nameOf(ktp({ nama: 'M. CONTOH WATI' }), npwp({ nama: 'MUHAMMAD CONTOH WATI' })).reason.message,
        /abbreviates/,
      );
    });

    it('should send different names to a person (review), never reject on a name', () => {
      const result = nameOf(ktp({ nama: 'SITI CONTOH' }), npwp({ nama: 'AGUS WIBOWO' }));
      assert.equal(result.outcome, 'mismatch');
      assert.equal(result.reason.code, 'CROSS_NAME_MISMATCH');
      assert.equal(result.reason.severity, 'review');
    });

    it('should be unsure when a name is missing, unreadable, or differs on a read with low confidence', () => {
      assert.equal(nameOf(ktp({ nama: null }), npwp()).outcome, 'unsure');
      assert.equal(nameOf(ktp(), npwp({ nama: '  ' })).outcome, 'unsure');
      assert.equal(nameOf(ktp(), npwp({ nama: 'M. R.' })).outcome, 'unsure');
      const weak = { nama: 0.5 };
      assert.equal(nameOf(ktp({}, weak), npwp({ nama: 'AGUS WIBOWO' })).outcome, 'unsure');
      assert.equal(nameOf(ktp(), npwp({ nama: 'AGUS WIBOWO' }, weak)).outcome, 'unsure');
      assert.equal(nameOf(ktp({}, weak), npwp({ nama: 'SITI CONTOH' }, weak)).outcome, 'match');
    });
  });

  describe('summary', () => {
    it('should be a mismatch when either check is, else unsure when either is, else a match', () => {
      const outcome = (k: CardReading, n: CardReading) => crossCheck({ ktp: k, npwp: n }).outcome;
      assert.equal(outcome(ktp(), npwp({ nik: OTHER_NIK })), 'mismatch');
      assert.equal(outcome(ktp(), npwp({ nama: 'AGUS WIBOWO' })), 'mismatch');
      assert.equal(outcome(ktp(), npwp({ nik: null })), 'unsure');
      assert.equal(outcome(ktp({ nama: null }), npwp()), 'unsure');
      assert.equal(outcome(ktp({ nama: null }), npwp({ nik: OTHER_NIK })), 'mismatch');
      assert.equal(outcome(ktp(), npwp()), 'match');
    });

    it('should list the most severe reason first', () => {
      const { reasons } = crossCheck({ ktp: ktp(), npwp: npwp({ nik: null, nama: 'AGUS WIBOWO' }) });
      assert.deepEqual(
        reasons.map((reason) => reason.code),
        ['CROSS_NIK_UNVERIFIED', 'CROSS_NAME_MISMATCH'],
      );
      const rejected = crossCheck({ ktp: ktp(), npwp: npwp({ nik: OTHER_NIK }) }).reasons;
      assert.equal(rejected[0]?.code, 'CROSS_NIK_MISMATCH');
    });

    it('property: a weak read on any field that differs never yields a mismatch', () => {
      const random = seededRandom(23);
      const weak = (field: string) => ({ [field]: random() * MIN_EVIDENCE_CONFIDENCE * 0.99 });
      for (let trial = 0; trial < 300; trial++) {
        const k = ktp({ nama: randomName(random) }, { ...weak('nik'), ...weak('nama') });
        const n = npwp({ nama: randomName(random), nik: OTHER_NIK }, { ...weak('nik'), ...weak('nama') });
        const result = crossCheck({ ktp: k, npwp: n });
        const outcomes: CrossCheckOutcome[] = [result.nik.outcome, result.name.outcome];
        assert.equal(outcomes.includes('mismatch'), false);
        assert.equal(
          result.reasons.some((reason) => reason.severity === 'reject'),
          false,
        );
      }
    });
  });
});
