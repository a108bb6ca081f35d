/** Money for people: integer minor units in, a localized price out. Never floats in arithmetic. */
const formats = new Map<string, Intl.NumberFormat>();

/** Format minor units of a currency, e.g. 1999 EUR -> "€19.99". */
export function formatMoney(money: { amount: number; currency: string }): string {
  let format = formats.get(money.currency);
  if (!format) {
    format = new Intl.NumberFormat('en-IE', { style: 'currency', currency: money.currency });
    formats.set(money.currency, format);
  }
  const digits = format.resolvedOptions().maximumFractionDigits ?? 2;
  return format.format(money.amount / 10 ** digits);
}

/** Parse a price typed by a person ("12", "12.5", "12,50") into minor units; undefined when it is not a price. */
export function parseMinorUnits(text: string): number | undefined {
  const m = /^\s*(\d{1,9})(?:[.,](\d{1,2}))?\s*$/.exec(text);
  if (!m) return undefined;
  return Number(m[1]) * 100 + Number((m[2] ?? '0').padEnd(2, '0'));
}
