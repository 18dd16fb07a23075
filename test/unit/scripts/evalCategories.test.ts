import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type CategorisedLabel,
  categoriesOf,
  categoryFigures,
  type EvaluatedCard,
  formatCategory,
} from '../../../scripts/evalCategories.ts';

const real = (treatments: Record<string, unknown>, extra: Record<string, unknown> = {}): CategorisedLabel => ({
  expect: {
    ...extra,
    variation: {
      real: {
        photocopy: false,
        watermark: null,
        cast: null,
        resent: null,
        perspective: null,
        fingers: null,
        ...treatments,
      },
    },
  },
});

const card = (label: CategorisedLabel, decision: string, correct: number, total = 10, nik: boolean | null = true) =>
  ({ label, decision, fieldsCorrect: correct, fieldsTotal: total, nikCorrect: nik }) satisfies EvaluatedCard;

describe('evaluation categories', () => {
  it('should put a card in all and in every treatment its label records as applied, by the name recorded', () => {
    const label = real({
      photocopy: true,
      watermark: 'COPY',
      resent: { max_side: 800, square: false },
      fingers: [{ edge: 'bottom' }],
      glare: { cx: 1 },
      // A treatment this module has never heard of is a category all the same.
      smudge: { amount: 0.3 },
    });
    assert.deepEqual(categoriesOf(label), ['all', 'photocopy', 'watermark', 'resent', 'fingers', 'glare', 'smudge']);
  });

  it('should not count a treatment recorded as absent: null, false, an empty list or string, zero', () => {
    const label = real({ fingers: [], watermark: '', lowres: 0, fading: undefined });
    assert.deepEqual(categoriesOf(label), ['all', 'untreated']);
  });

  it('should group by whatever layout the label names, and leave cards outside the real preset in all only', () => {
    assert.deepEqual(categoriesOf({ expect: { variation: { real: null, layout: 'ktp_old_blue' } } }), [
      'all',
      'layout:ktp_old_blue',
    ]);
    assert.deepEqual(categoriesOf(real({ cast: [1, 1, 1] }, {})).slice(1), ['cast']);
    assert.deepEqual(categoriesOf({ expect: { variation: { real: null } } }), ['all']);
    assert.deepEqual(categoriesOf({}), ['all'], 'a label without expect (a specimen) is in all');
    assert.deepEqual(categoriesOf({ expect: { variation: { layout: 42 } } }), ['all'], 'a layout that is not a name');
    assert.deepEqual(categoriesOf({ expect: { variation: { layout: '' } } }), ['all']);
  });

  it('should count fields, NIKs, the decisions on legitimate cards and the defective cards approved, per category', () => {
    const figures = categoryFigures([
      card(real({ perspective: { pitch: 10 } }), 'auto_approve', 10),
      card(real({ perspective: { pitch: 5 }, glare: { cx: 1 } }), 'needs_review', 6, 10, false),
      card(real({ glare: { cx: 2 } }), 'auto_reject', 4, 5, null),
      card(real({ perspective: { pitch: 3 } }, { defect: 'expired' }), 'auto_approve', 9),
      card(real({}, { defect: 'underage' }), 'auto_reject', 8),
      card({ expect: { variation: { real: null, layout: 'npwp_2024' } } }, 'needs_review', 5, 5),
    ]);
    assert.deepEqual(
      figures.map((f) => f.category),
      ['all', 'glare', 'perspective', 'untreated', 'layout:npwp_2024'],
    );
    const byName = new Map(figures.map((f) => [f.category, f]));
    assert.deepEqual(byName.get('all'), {
      category: 'all',
      n: 6,
      fields: { correct: 42, total: 50 },
      nik: { correct: 4, total: 5 },
      legitimate: { n: 4, auto_approve: 1, needs_review: 2, auto_reject: 1 },
      defective: { n: 2, approved: 1 },
    });
    assert.deepEqual(byName.get('perspective'), {
      category: 'perspective',
      n: 3,
      fields: { correct: 25, total: 30 },
      nik: { correct: 2, total: 3 },
      legitimate: { n: 2, auto_approve: 1, needs_review: 1, auto_reject: 0 },
      defective: { n: 1, approved: 1 },
    });
    assert.deepEqual(byName.get('glare')?.legitimate, { n: 2, auto_approve: 0, needs_review: 1, auto_reject: 1 });
    assert.deepEqual(byName.get('glare')?.nik, { correct: 0, total: 1 }, 'a card without a NIK is not counted');
    assert.deepEqual(byName.get('untreated')?.defective, { n: 1, approved: 0 });
  });

  it('should count a card once per category even if its label repeats one, and give nothing for no cards', () => {
    assert.deepEqual(categoryFigures([]), []);
    const [all] = categoryFigures([card({}, 'a decision nobody knows', 1)]);
    assert.deepEqual(all?.legitimate, { n: 1, auto_approve: 0, needs_review: 0, auto_reject: 0 });
  });

  it('should print a category on one line with its counts', () => {
    const [figures] = categoryFigures([card(real({ lowres: { max_side: 500 } }), 'needs_review', 7)]).slice(1);
    assert.ok(figures);
    const line = formatCategory(figures);
    assert.match(
      line,
      /^ {2}lowres\s+n=1\s+fields\s+7\/10 \( 70\.0%\)\s+nik\s+1\/1\s+legitimate\s+1: approve 0, review 1, reject 0\s+defective approved 0\/0$/,
    );
    assert.equal(line.includes('\n'), false);
  });
});
