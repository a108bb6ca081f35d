import { checkerOf } from '@bazaar/kit';
import { EventTypes, type EventData, type EventType } from '@bazaar/contracts/events';
import type { AnyCloudEvent } from '@bazaar/messaging';
import type { ProductIndex } from './domain/product-index.ts';

/** The consumer name: the position of each search instance in each feed. */
export const CONSUMER = 'search';

/** The producers search reads, by source name. */
export const SOURCES = ['catalog', 'inventory'] as const;
export type Source = (typeof SOURCES)[number];

type Handler<T extends EventType> = (index: ProductIndex, data: EventData<T>) => void;

/**
 * Search publishes nothing. It consumes:
 * - catalog.product-created / catalog.product-updated: the product as it now
 *   is, upserted into the index, or removed from it when archived (an
 *   unarchived product comes back with its next update);
 * - inventory.stock-changed: the available units, kept per product id (the
 *   stock of a product search has not seen yet is kept for when it arrives).
 * Each is an upsert of the latest value, so a redelivered event is harmless
 * and no inbox is needed.
 */
const handlers: { [T in EventType]?: Handler<T> } = {
  'catalog.product-created': (index, data) => index.upsertProduct(data),
  'catalog.product-updated': (index, data) => (data.archived === true ? index.removeProduct(data.id) : index.upsertProduct(data)),
  'inventory.stock-changed': (index, data) => index.setStock(data.productId, data.available),
};

export type Applied = 'applied' | 'ignored' | 'malformed';

/**
 * Apply one event to the index. Types search does not use are ignored; data
 * that breaks its contract is reported as malformed (it can never succeed,
 * so the caller logs it and moves on rather than block the feed).
 */
export function applyEvent(index: ProductIndex, event: AnyCloudEvent): Applied {
  const handler = handlers[event.type as EventType] as ((index: ProductIndex, data: unknown) => void) | undefined;
  if (!handler) return 'ignored';
  if (!checkerOf(EventTypes[event.type as EventType]).Check(event.data)) return 'malformed';
  handler(index, event.data);
  return 'applied';
}
