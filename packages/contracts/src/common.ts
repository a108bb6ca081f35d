import { Type, type Static } from 'typebox';

/**
 * The one money bound of Bazaar, in minor units: no price, cart total, order
 * total or payment may exceed it (10^11 minor units, 1,000,000,000.00 in a
 * two-decimal currency). Sums of up to ~90,000 such amounts stay exact in a
 * double, so a report's total never rounds. Enforced where money enters:
 * catalog (prices), cart (CART_TOTAL_TOO_LARGE), orders and payments (their schemas).
 */
export const MAX_MONEY_AMOUNT = 100_000_000_000;

/** Money: integer minor units (cents) and an ISO 4217 currency code. Never floats. */
export const Money = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, maximum: MAX_MONEY_AMOUNT, description: 'Amount in minor units (e.g. cents), at most MAX_MONEY_AMOUNT' }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217 code', examples: ['EUR'] }),
  },
  { additionalProperties: false },
);
export type Money = Static<typeof Money>;

/**
 * A sum of money amounts (a report's revenue over many orders): integer minor
 * units that may pass MAX_MONEY_AMOUNT, exact up to 2^53 − 1. Not for prices,
 * totals or payments, which stay within MAX_MONEY_AMOUNT.
 */
export const MoneySum = Type.Object(
  {
    amount: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Sum in minor units (exact up to 2^53 - 1)' }),
    currency: Money.properties.currency,
  },
  { additionalProperties: false },
);
export type MoneySum = Static<typeof MoneySum>;

/** Money that is charged for something: a price or a payment, at least one minor unit. */
export const PositiveMoney = Type.Object(
  {
    amount: Type.Integer({ minimum: 1, maximum: MAX_MONEY_AMOUNT, description: 'Amount in minor units, from 1 to MAX_MONEY_AMOUNT' }),
    currency: Money.properties.currency,
  },
  { additionalProperties: false },
);

/** RFC 9457 problem details, as every Bazaar error body looks. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    code: Type.String(),
    requestId: Type.Optional(Type.String()),
  },
  { additionalProperties: true },
);
export type Problem = Static<typeof Problem>;

/** Standard error responses, for route schemas. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, { ...Problem, description: 'Problem details (RFC 9457)' }]));

/** A postal address to ship an order to; `name` is the recipient. */
export const ShippingAddress = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 200 }),
    line1: Type.String({ minLength: 1, maxLength: 200 }),
    city: Type.String({ minLength: 1, maxLength: 100 }),
    postalCode: Type.String({ minLength: 1, maxLength: 20 }),
    country: Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2' }),
  },
  { additionalProperties: false },
);
export type ShippingAddress = Static<typeof ShippingAddress>;
