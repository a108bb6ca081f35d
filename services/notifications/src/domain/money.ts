import type { Money } from '@bazaar/contracts/common';

/** The locale emails are written in; one for now (the shop speaks English). */
export const MAIL_LOCALE = 'en-US';

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(currency: string): Intl.NumberFormat {
  let fmt = formatters.get(currency);
  if (!fmt) {
    fmt = new Intl.NumberFormat(MAIL_LOCALE, { style: 'currency', currency });
    formatters.set(currency, fmt);
  }
  return fmt;
}

/**
 * Money for people: integer minor units shown in the currency's own digits
 * ({2599, EUR} → "€25.99", {500, JPY} → "¥500"). Display only; never
 * computed with.
 */
export function formatMoney(money: Money): string {
  const fmt = formatterFor(money.currency);
  const digits = fmt.resolvedOptions().maximumFractionDigits ?? 2;
  return fmt.format(money.amount / 10 ** digits);
}
