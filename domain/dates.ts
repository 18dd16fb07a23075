/**
 * Calendar dates as ISO `YYYY-MM-DD` strings. Strings rather than `Date` objects: they compare with
 * `<`, they carry no time zone (a KTP date is a calendar day, not an instant), and "today" is an
 * argument, so every function here is deterministic.
 */

/** `YYYY-MM-DD` from numbers (not validated; see `isRealDate`). */
export function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Whether `text` is `YYYY-MM-DD` naming a day that exists (1900–2199: outside it is a misread). */
export function isRealDate(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return year >= 1900 && year < 2200 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month);
}

/** Throws when `today` is not a real ISO date: a caller bug, not a property of the document. */
export function assertToday(today: string): void {
  if (!isRealDate(today)) throw new TypeError(`today must be an ISO date (YYYY-MM-DD), got ${JSON.stringify(today)}`);
}

/** Whole years from `birth` to `today` (both ISO dates); the birthday itself counts. */
export function ageOn(birth: string, today: string): number {
  const years = Number(today.slice(0, 4)) - Number(birth.slice(0, 4));
  return today.slice(5) >= birth.slice(5) ? years : years - 1;
}

/**
 * Today's calendar date in `timeZone` (Indonesia's western zone by default) as ISO: the one place
 * where a caller turns the clock into the `today` the domain functions take.
 */
export function todayIn(now: Date, timeZone = 'Asia/Jakarta'): string {
  // en-CA formats dates as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}
