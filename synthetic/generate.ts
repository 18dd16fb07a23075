import type { DocumentType } from '../domain/documentType.ts';
import type { ReasonCode } from '../domain/reasons.ts';
import { MAX_UPLOAD_BYTES } from '../domain/uploadLimits.ts';
import { type Card, ktpCard, npwpCard } from './card.ts';
import { type IsoDate, parseIsoDate } from './dates.ts';
import {
  type AppliedDefect,
  applyDefect,
  DEFECTS,
  type DefectKind,
  defectsFor,
  identityOptionsFor,
  shownType,
} from './defects.ts';
import { createIdentity } from './identity.ts';
import { type CardLayout, drawKtpLayout, drawNikFont, drawNpwpLayout, type NikFont, npwpForLayout } from './layouts.ts';
import { createRng, deriveSeed } from './random.ts';
import { loadRegionData, type RegionData } from './regions.ts';
import { renderCard } from './render.ts';
import { type Difficulty, sampleVariation, type Variation } from './variation.ts';

/**
 * The seeded synthetic card generator (issue 3): one card from a seed, or a deterministic set of
 * card descriptors. Labels follow /work/shared/eval/README.md, with four additions under
 * `expect`: `variation` (what was applied to the image), `defect` (the defect kind, if any),
 * `detected_type` (for `wrong_type`: the type of the card actually shown) and `as_of` (the `today`
 * the card was made for).
 *
 * Everything except `generateCard` is pure. The identity, defect and variation each draw from their
 * own stream of the seed, so a clean card and its defective twin show the same person.
 */

export type Decision = 'auto_approve' | 'auto_reject' | 'needs_review';

/** What was applied to the image, and how the card is printed (layouts.ts). */
export type CardVariation = Variation & {
  layout: CardLayout;
  /** KTPs only: the NIK's typeface. */
  nik_font?: NikFont;
};

export type CardLabel = {
  /** The uploaded document type. */
  type: DocumentType;
  fields: Record<string, string>;
  expect: {
    /** Clean `mild` cards: the pipeline should approve. */
    decision?: 'auto_approve';
    /**
     * Defective cards: `['auto_approve']`. Clean `hard` cards: `['auto_reject']` (a review for
     * image quality is acceptable; rejecting a valid identity is not).
     */
    not_decision?: Decision[];
    /** Reason codes the evaluation must raise (at least these). */
    reasons?: ReasonCode[];
    must_flag?: string[];
    /** `wrong_type` only: the type of the card in the image (the fields are that card's). */
    detected_type?: DocumentType;
    defect?: DefectKind;
    /** The `today` the card was generated for: ages, expiry and registration dates are relative to it. */
    as_of: IsoDate;
    variation: CardVariation;
  };
};

export type GeneratedCard = { image: Buffer; mime: 'image/jpeg' | 'image/png'; label: CardLabel };

export type CardOptions = {
  /** The uploaded type (the label's `type`); the card shown is the other type for `wrong_type`. */
  type: DocumentType;
  defect?: DefectKind;
  /** `YYYY-MM-DD`: ages, validity and registration dates are relative to it. */
  today: IsoDate;
  /** Forces the variation tier; by default about 20% of cards are `hard`. */
  difficulty?: Difficulty;
};

export type PlannedCard = { card: Card; label: CardLabel; seed: number };

/** Everything about a card except its pixels (pure). */
export function planCard(seed: number, options: CardOptions, regions: RegionData): PlannedCard {
  const { type, defect, today } = options;
  parseIsoDate(today);
  if (defect && !DEFECTS[defect].types.includes(type)) {
    throw new Error(`defect ${defect} does not apply to ${type}; use one of ${defectsFor(type).join(', ')}`);
  }
  const rng = createRng(seed);
  const shown = shownType(type, defect);
  // The print has a stream of its own, so adding layouts left every other draw of a seed as it was.
  const print = rng.fork('layout');
  const ktpLayout = shown === 'KTP' ? drawKtpLayout(print) : null;
  const npwpLayout = shown === 'NPWP' ? drawNpwpLayout(print, defect) : null;
  const identity = createIdentity(rng.fork('identity'), regions, {
    ...identityOptionsFor(defect, today),
    foreign: ktpLayout === 'ktp_wna',
  });
  let clean: Card;
  if (npwpLayout === null) {
    clean = ktpCard(identity, { layout: ktpLayout ?? 'ktp_standard', nikFont: drawNikFont(print) });
  } else {
    const printed = npwpForLayout(print, npwpLayout, identity);
    clean = npwpCard({ ...identity, npwp: printed.npwp }, printed.layout);
  }
  const applied: AppliedDefect = defect
    ? applyDefect(clean, defect, { rng: rng.fork('defect'), regions, today })
    : { card: clean, mustFlag: [] };
  const variation: CardVariation = {
    ...sampleVariation(rng.fork('variation'), options.difficulty ? { difficulty: options.difficulty } : {}),
    layout: applied.card.layout,
    ...(applied.card.kind === 'KTP' ? { nik_font: applied.card.nikFont } : {}),
  };

  const expect: CardLabel['expect'] = defect
    ? {
        not_decision: ['auto_approve'],
        reasons: [...(applied.reasons ?? DEFECTS[defect].reasons)],
        must_flag: applied.mustFlag,
        ...(defect === 'wrong_type' ? { detected_type: shown } : {}),
        defect,
        as_of: today,
        variation,
      }
    : variation.difficulty === 'mild'
      ? { decision: 'auto_approve', as_of: today, variation }
      : // A legitimate card that is hard to read may go to review, never be rejected.
        { not_decision: ['auto_reject'], as_of: today, variation };

  return {
    card: applied.card,
    label: { type, fields: { ...applied.card.fields }, expect },
    seed,
  };
}

/** The JPEG quality of a frame whose PNG would be larger than the service takes (MAX_UPLOAD_BYTES). */
export const OVERSIZED_PNG_JPEG_QUALITY = 92;

/** One card: its image (JPEG or PNG, at most MAX_UPLOAD_BYTES) and its eval label. Reads idn-area-data once per process. */
export async function generateCard(seed: number, options: CardOptions): Promise<GeneratedCard> {
  const planned = planCard(seed, options, await loadRegionData());
  const rendered = await renderCard(planned.card, planned.label.expect.variation, seed);
  if (rendered.image.length <= MAX_UPLOAD_BYTES) return { ...rendered, label: planned.label };
  // The noise of a large frame defeats PNG's compression: such a frame is saved as a JPEG instead,
  // as a phone would have saved it, so that every card is one the service takes. The label says
  // what the file is.
  const variation = { ...planned.label.expect.variation, format: 'jpeg' as const, quality: OVERSIZED_PNG_JPEG_QUALITY };
  const label = { ...planned.label, expect: { ...planned.label.expect, variation } };
  return { ...(await renderCard(planned.card, variation, seed)), label };
}

export type SetOptions = {
  count: number;
  seed: number;
  /** Share of defective cards, 0–1; the number of defective cards is `round(count × defectRate)`. */
  defectRate: number;
  today: IsoDate;
  /** Uploaded types to mix; default both, KTP:NPWP 70:30. */
  types?: readonly DocumentType[];
  /** `real`: every card photographed as real clients do (variation.ts); default the mild/hard mix. */
  preset?: 'real';
};

export type CardDescriptor = {
  index: number;
  /** File stem, e.g. `syn-0007-ktp` (the uploaded type, never the defect). */
  stem: string;
  seed: number;
  options: CardOptions;
};

/**
 * A deterministic mix of card descriptors: exactly `round(count × 0.7)` KTP uploads when both types
 * are asked for, exactly `round(count × defectRate)` defective cards at shuffled positions, and the
 * defect kinds dealt round-robin (in a shuffled order) over the kinds valid for each type.
 */
export function generateSet(options: SetOptions): CardDescriptor[] {
  const { count, seed, defectRate, today } = options;
  const types = options.types ?? ['KTP', 'NPWP'];
  if (!Number.isInteger(count) || count < 0) throw new Error(`count must be a non-negative integer, got ${count}`);
  if (!(defectRate >= 0 && defectRate <= 1)) throw new Error(`defectRate must be within 0–1, got ${defectRate}`);
  if (types.length === 0) throw new Error('types must name at least one document type');
  parseIsoDate(today);

  const rng = createRng(deriveSeed('set', seed));
  const ktpCount = types.length === 1 ? (types[0] === 'KTP' ? count : 0) : Math.round(count * 0.7);
  const typeOf = rng.shuffle(Array.from({ length: count }, (_, i): DocumentType => (i < ktpCount ? 'KTP' : 'NPWP')));
  const defective = new Set(
    rng.shuffle(Array.from({ length: count }, (_, i) => i)).slice(0, Math.round(count * defectRate)),
  );
  const kindOrder = {
    KTP: rng.shuffle(defectsFor('KTP')),
    NPWP: rng.shuffle(defectsFor('NPWP')),
  };
  const dealt = { KTP: 0, NPWP: 0 };

  const width = Math.max(4, String(count).length);
  return typeOf.map((type, index) => {
    let defect: DefectKind | undefined;
    if (defective.has(index)) {
      const kinds = kindOrder[type];
      defect = kinds[dealt[type]++ % kinds.length];
    }
    return {
      index,
      stem: `syn-${String(index + 1).padStart(width, '0')}-${type.toLowerCase()}`,
      seed: deriveSeed('card', seed, index),
      options: {
        type,
        today,
        ...(defect ? { defect } : {}),
        ...(options.preset ? { difficulty: 'real' as const } : {}),
      },
    };
  });
}
