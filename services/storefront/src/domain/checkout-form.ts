/**
 * The checkout form: what the shopper typed, checked field by field so each
 * message can stand next to its field. The orders service validates again;
 * this is for people, not for safety.
 */
import type { CheckoutRequest } from '@bazaar/contracts/orders';

export const CHECKOUT_FIELDS = ['name', 'line1', 'city', 'postalCode', 'country', 'cardNumber', 'expiry', 'cvc'] as const;
export type CheckoutField = (typeof CHECKOUT_FIELDS)[number];
export type CheckoutValues = Record<CheckoutField, string>;
export type FieldErrors = Partial<Record<CheckoutField, string>>;

/** Countries the shop ships to (ISO 3166-1 alpha-2), for the select. */
export const COUNTRIES: readonly { code: string; name: string }[] = [
  { code: 'AT', name: 'Austria' },
  { code: 'BE', name: 'Belgium' },
  { code: 'DE', name: 'Germany' },
  { code: 'DK', name: 'Denmark' },
  { code: 'ES', name: 'Spain' },
  { code: 'FI', name: 'Finland' },
  { code: 'FR', name: 'France' },
  { code: 'GB', name: 'United Kingdom' },
  { code: 'IE', name: 'Ireland' },
  { code: 'IT', name: 'Italy' },
  { code: 'NL', name: 'Netherlands' },
  { code: 'PL', name: 'Poland' },
  { code: 'PT', name: 'Portugal' },
  { code: 'SE', name: 'Sweden' },
  { code: 'US', name: 'United States' },
];

/** Test cards of the simulated card network, listed on the checkout page. */
export const TEST_CARDS: readonly { number: string; label: string }[] = [
  { number: '4242 4242 4242 4242', label: 'approved' },
  { number: '4000 0000 0000 0002', label: 'declined' },
  { number: '4000 0000 0000 9995', label: 'insufficient funds' },
];

/** The form's values from a posted body (missing fields are empty). */
export function checkoutValues(body: Record<string, unknown>): CheckoutValues {
  const out = {} as CheckoutValues;
  for (const field of CHECKOUT_FIELDS) {
    const v = body[field];
    out[field] = typeof v === 'string' ? v.trim().slice(0, 300) : '';
  }
  return out;
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Check every field; answers the request for the orders service, or a message per wrong field. */
export function validateCheckout(values: CheckoutValues, now: Date): { ok: true; request: CheckoutRequest } | { ok: false; errors: FieldErrors } {
  const errors: FieldErrors = {};
  if (values.name === '') errors.name = 'Enter the name of the person receiving the parcel.';
  else if (values.name.length > 200) errors.name = 'Use at most 200 characters.';
  if (values.line1 === '') errors.line1 = 'Enter the street and house number.';
  else if (values.line1.length > 200) errors.line1 = 'Use at most 200 characters.';
  if (values.city === '') errors.city = 'Enter the town or city.';
  else if (values.city.length > 100) errors.city = 'Use at most 100 characters.';
  if (values.postalCode === '') errors.postalCode = 'Enter the postal code.';
  else if (!/^[A-Za-z0-9 -]{2,12}$/.test(values.postalCode)) errors.postalCode = 'A postal code has 2 to 12 letters, digits, spaces or dashes.';
  if (!COUNTRIES.some((c) => c.code === values.country)) errors.country = 'Choose a country we ship to.';

  const digits = values.cardNumber.replace(/[\s-]/g, '');
  if (digits === '') errors.cardNumber = 'Enter the card number (try a test card listed below).';
  else if (!/^\d{12,19}$/.test(digits)) errors.cardNumber = 'A card number has 12 to 19 digits.';
  else if (!luhn(digits)) errors.cardNumber = 'This card number has a typo: check the digits.';

  const expiry = /^\s*(\d{1,2})\s*\/\s*(\d{2}|\d{4})\s*$/.exec(values.expiry);
  let expMonth = 0;
  let expYear = 0;
  if (!expiry) errors.expiry = 'Enter the expiry date as MM/YY, e.g. 12/30.';
  else {
    expMonth = Number(expiry[1]);
    expYear = Number(expiry[2]) + ((expiry[2] as string).length === 2 ? 2000 : 0);
    const month = now.getUTCFullYear() * 12 + now.getUTCMonth() + 1;
    if (expMonth < 1 || expMonth > 12) errors.expiry = 'The month must be 01 to 12.';
    else if (expYear * 12 + expMonth < month) errors.expiry = 'This card has expired.';
    else if (expYear > 2100) errors.expiry = 'Check the year.';
  }
  if (!/^\d{3,4}$/.test(values.cvc)) errors.cvc = 'The security code is the 3 or 4 digits on the back of the card.';

  if (Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    request: {
      shippingAddress: { name: values.name, line1: values.line1, city: values.city, postalCode: values.postalCode.toUpperCase(), country: values.country },
      card: { number: digits, expMonth, expYear, cvc: values.cvc },
    },
  };
}
