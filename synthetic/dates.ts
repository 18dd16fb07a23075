/**
 * Calendar dates as ISO `YYYY-MM-DD` strings and UTC day numbers, so that no time zone and no clock
 * is involved: every date is derived from the `today` the caller passes.
 */

export type IsoDate = string;

const ISO = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_MS = 86_400_000;

export function parseIsoDate(iso: IsoDate): { year: number; month: number; day: number } {
  const m = ISO.exec(iso);
  if (!m) throw new Error(`expected a date as YYYY-MM-DD, got ${JSON.stringify(iso)}`);
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (!isRealDate(year, month, day)) throw new Error(`${iso} is not a calendar date`);
  return { year, month, day };
}

export function isRealDate(year: number, month: number, day: number): boolean {
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

export function isoDate(year: number, month: number, day: number): IsoDate {
  return `${String(year).padStart(4, '0')}-${pad2(month)}-${pad2(day)}`;
}

/** Days since 1970-01-01. */
export function toDayNumber(iso: IsoDate): number {
  const { year, month, day } = parseIsoDate(iso);
  return Date.UTC(year, month - 1, day) / DAY_MS;
}

export function fromDayNumber(days: number): IsoDate {
  const d = new Date(days * DAY_MS);
  return isoDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}

export function addDays(iso: IsoDate, days: number): IsoDate {
  return fromDayNumber(toDayNumber(iso) + days);
}

/** Same month and day `years` later (29 February becomes 28 February in a common year). */
export function addYears(iso: IsoDate, years: number): IsoDate {
  const { year, month, day } = parseIsoDate(iso);
  const y = year + years;
  return isoDate(y, month, Math.min(day, daysInMonth(y, month)));
}

/** Completed years between `birth` and `on`. */
export function ageOn(birth: IsoDate, on: IsoDate): number {
  const b = parseIsoDate(birth);
  const t = parseIsoDate(on);
  const beforeBirthday = t.month < b.month || (t.month === b.month && t.day < b.day);
  return t.year - b.year - (beforeBirthday ? 1 : 0);
}

/** `YYYY-MM-DD` → `DD-MM-YYYY`, as printed on the cards. */
export function printedDate(iso: IsoDate): string {
  const { year, month, day } = parseIsoDate(iso);
  return `${pad2(day)}-${pad2(month)}-${year}`;
}

export function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
