import { todayIn } from '../../../domain/dates.ts';
import type { DocumentType } from '../../../domain/documentType.ts';
import type { DefectKind } from '../../../synthetic/defects.ts';
import { generateCard, generateSet } from '../../../synthetic/generate.ts';

/**
 * The cards the load uploads: synthetic only (never a real card), JPEG under 2 MB like a phone
 * photo, a mix of clean and defective ones so that some documents are approved, some rejected and
 * some sent to review.
 */
export type Card = { type: DocumentType; image: Buffer };

/** Two in five defective: enough documents reach review for the reviewers to race on. */
const DEFECT_RATE = 0.4;
const MAX_BYTES = 2 * 1024 * 1024;

export async function syntheticCards(count: number, seed: number): Promise<Card[]> {
  const today = todayIn(new Date());
  const cards: Card[] = [];
  // Some descriptors render as PNG (or too large); ask for more than needed and keep the JPEGs.
  for (const descriptor of generateSet({ count: count * 2 + 10, seed, defectRate: DEFECT_RATE, today })) {
    if (cards.length === count) break;
    const { image, mime } = await generateCard(descriptor.seed, descriptor.options);
    if (mime === 'image/jpeg' && image.length < MAX_BYTES) cards.push({ type: descriptor.options.type, image });
  }
  return cards;
}

/** One clean-looking card (`mild`, JPEG), or one with `defect`: a document whose route is known. */
export async function syntheticCard(seed: number, type: DocumentType, defect?: DefectKind): Promise<Card> {
  for (let attempt = seed; ; attempt += 1000) {
    const { image, mime } = await generateCard(attempt, {
      type,
      today: todayIn(new Date()),
      difficulty: 'mild',
      ...(defect ? { defect } : {}),
    });
    if (mime === 'image/jpeg' && image.length < MAX_BYTES) return { type, image };
  }
}
