/**
 * The Luhn (mod 10) check. The NPWP check digit is the Luhn digit of its first 8 digits; this is
 * reverse-engineered, not published (perl Business::ID::NPWP, python-stdnum id.npwp; see
 * shared/notes/kyc-domain.md §3.2).
 */

/** Whether the digit string `digits`, check digit last, passes Luhn. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  // From the right: the check digit is not doubled, every second digit before it is.
  for (let index = 0; index < digits.length; index++) {
    let digit = Number(digits[digits.length - 1 - index]);
    if (index % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** The digit that, appended to `payload`, makes it pass Luhn. */
export function luhnCheckDigit(payload: string): string {
  if (!/^\d+$/.test(payload)) throw new Error('a Luhn payload is digits only');
  for (let digit = 0; digit <= 9; digit++) if (luhnValid(`${payload}${digit}`)) return String(digit);
  throw new Error('INVARIANT: one of ten digits always completes a Luhn number');
}
