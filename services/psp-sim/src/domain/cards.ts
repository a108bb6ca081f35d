import { TEST_CARDS, type PspAuthorizeRequest } from '@bazaar/contracts/psp';

/** Why the network refuses a card it could read. */
export type DeclineCode = 'card_declined' | 'insufficient_funds' | 'expired_card';

/** What the simulated issuer says about a card. */
export type CardVerdict = { kind: 'invalid_number' } | { kind: 'approve' } | { kind: 'decline'; code: DeclineCode };

/** The Luhn (mod 10) check digit test every real card number passes (ISO/IEC 7812-1). */
export function luhnValid(number: string): boolean {
  if (!/^[0-9]+$/.test(number)) return false;
  let sum = 0;
  for (let i = 0; i < number.length; i++) {
    let digit = Number(number[number.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/** A card is valid through the last day of its expiry month. */
export function isExpired(card: { expMonth: number; expYear: number }, now: Date): boolean {
  const year = now.getUTCFullYear();
  const month = now.getUTCMonth() + 1;
  return card.expYear < year || (card.expYear === year && card.expMonth < month);
}

/** The issuer's verdict: test cards behave as documented; any other Luhn-valid, unexpired card approves. */
export function assessCard(card: PspAuthorizeRequest['card'], now: Date): CardVerdict {
  if (!luhnValid(card.number)) return { kind: 'invalid_number' };
  if (isExpired(card, now)) return { kind: 'decline', code: 'expired_card' };
  if (card.number === TEST_CARDS.declined) return { kind: 'decline', code: 'card_declined' };
  if (card.number === TEST_CARDS.insufficientFunds) return { kind: 'decline', code: 'insufficient_funds' };
  return { kind: 'approve' };
}
