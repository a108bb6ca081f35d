import type { Money } from '@bazaar/contracts/common';

/** The locale emails are written in; one for now (the shop speaks English). */
export const MAIL_LOCALE = 'en-US';

/** One formatter per currency, with its minor-unit digits (resolvedOptions() builds a new object from ICU on each call). */
const formatters = new Map<string, { fmt: Intl.NumberFormat; digits: number }>();

function formatterFor(currency: string): { fmt: Intl.NumberFormat; digits: number } {
  let found = formatters.get(currency);
  if (!found) {
    const fmt = new Intl.NumberFormat(MAIL_LOCALE, { style: 'currency', currency });
    found = { fmt, digits: fmt.resolvedOptions().maximumFractionDigits ?? 2 };
    formatters.set(currency, found);
  }
  return found;
}

/**
 * Money for people: integer minor units shown in the currency's own digits
 * ({2599, EUR} → "€25.99", {500, JPY} → "¥500"). Display only; never
 * computed with.
 */
export function formatMoney(money: Money): string {
  const { fmt, digits } = formatterFor(money.currency);
  return fmt.format(money.amount / 10 ** digits);
}
