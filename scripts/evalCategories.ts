/**
 * The evaluation's figures per category of card (pure): each generated card belongs to `all`, to
 * every treatment its label records as applied under `expect.variation.real` (photocopy, watermark,
 * cast, resent, perspective, fingers, glare, fading, lowres, and whatever is added later), to
 * `untreated` when it is a `real` card with none of them, and to `layout:<name>` when the label
 * names its layout (`expect.variation.layout`). A legitimate card is one without `expect.defect`.
 */

export type CategorisedLabel = {
  expect?: { defect?: unknown; variation?: { real?: Record<string, unknown> | null; layout?: unknown } };
};

/** One evaluated card: its label, the decision, and how many of its fields (and whether its NIK) were read right. */
export type EvaluatedCard = {
  label: CategorisedLabel;
  decision: string;
  fieldsCorrect: number;
  fieldsTotal: number;
  /** null when the card has no NIK field. */
  nikCorrect: boolean | null;
};

export type CategoryFigures = {
  category: string;
  n: number;
  fields: { correct: number; total: number };
  nik: { correct: number; total: number };
  legitimate: { n: number; auto_approve: number; needs_review: number; auto_reject: number };
  defective: { n: number; approved: number };
};

/** The categories a card belongs to, `all` first. */
export function categoriesOf(label: CategorisedLabel): string[] {
  const out = ['all'];
  const variation = label.expect?.variation;
  const real = variation?.real;
  if (real && typeof real === 'object') {
    const treatments = Object.entries(real)
      .filter(([, value]) => applied(value))
      .map(([name]) => name);
    out.push(...(treatments.length > 0 ? treatments : ['untreated']));
  }
  if (typeof variation?.layout === 'string' && variation.layout !== '') out.push(`layout:${variation.layout}`);
  return out;
}

/** A treatment is applied when its record is true, a non-zero number, a non-empty string or list, or an object. */
function applied(value: unknown): boolean {
  if (value === null || value === undefined || value === false || value === '' || value === 0) return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/** Figures for every category present: `all` first, then the treatments, `untreated`, and the layouts, each by name. */
export function categoryFigures(cards: readonly EvaluatedCard[]): CategoryFigures[] {
  const byCategory = new Map<string, CategoryFigures>();
  for (const card of cards) {
    for (const category of new Set(categoriesOf(card.label))) {
      let figures = byCategory.get(category);
      if (!figures) {
        figures = {
          category,
          n: 0,
          fields: { correct: 0, total: 0 },
          nik: { correct: 0, total: 0 },
          legitimate: { n: 0, auto_approve: 0, needs_review: 0, auto_reject: 0 },
          defective: { n: 0, approved: 0 },
        };
        byCategory.set(category, figures);
      }
      figures.n++;
      figures.fields.correct += card.fieldsCorrect;
      figures.fields.total += card.fieldsTotal;
      if (card.nikCorrect !== null) {
        figures.nik.total++;
        if (card.nikCorrect) figures.nik.correct++;
      }
      if (card.label.expect?.defect === undefined) {
        figures.legitimate.n++;
        if (card.decision === 'auto_approve' || card.decision === 'needs_review' || card.decision === 'auto_reject')
          figures.legitimate[card.decision]++;
      } else {
        figures.defective.n++;
        if (card.decision === 'auto_approve') figures.defective.approved++;
      }
    }
  }
  const rank = (category: string) =>
    category === 'all' ? 0 : category.startsWith('layout:') ? 3 : category === 'untreated' ? 2 : 1;
  return [...byCategory.values()].sort(
    (a, b) => rank(a.category) - rank(b.category) || a.category.localeCompare(b.category),
  );
}

/** One line of the report, e.g. `perspective  n=18  fields 150/240 (62.5%)  nik 15/18  legitimate 12: approve 3, review 9, reject 0  defective approved 0/6`. */
export function formatCategory(figures: CategoryFigures, nameWidth = 16): string {
  const { fields, nik, legitimate, defective } = figures;
  const share = fields.total === 0 ? '-' : `${((100 * fields.correct) / fields.total).toFixed(1)}%`;
  return [
    `  ${figures.category.padEnd(nameWidth)}`,
    `n=${String(figures.n).padEnd(4)}`,
    `fields ${`${fields.correct}/${fields.total}`.padStart(9)} (${share.padStart(6)})`,
    `nik ${`${nik.correct}/${nik.total}`.padStart(7)}`,
    `legitimate ${String(legitimate.n).padStart(3)}: approve ${legitimate.auto_approve}, review ${legitimate.needs_review}, reject ${legitimate.auto_reject}`,
    `defective approved ${defective.approved}/${defective.n}`,
  ].join('  ');
}
