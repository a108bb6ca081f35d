import type { Card } from './model.ts';

/**
 * Card details, in memory only, from checkout until the authorization is
 * decided or the saga ends. They are never written to the database or the
 * logs: a restart loses them, and the saga then cancels the order.
 */
export interface CardVault {
  put(orderId: string, card: Card): void;
  get(orderId: string): Card | undefined;
  forget(orderId: string): void;
  readonly size: number;
}

/** An empty vault. */
export function createCardVault(): CardVault {
  const cards = new Map<string, Card>();
  return {
    put: (orderId, card) => void cards.set(orderId, card),
    get: (orderId) => cards.get(orderId),
    forget: (orderId) => void cards.delete(orderId),
    get size() {
      return cards.size;
    },
  };
}
