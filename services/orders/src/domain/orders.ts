import type { Order } from '@bazaar/contracts/orders';
import { errors } from '../errors.ts';
import type { OrderRecord, OrderRepository } from './model.ts';

/** Reading orders: a user sees their own; an admin sees any. */
export function createOrderQueries(deps: { orders: OrderRepository }) {
  const toOrder = (r: OrderRecord): Order => ({
    id: r.id,
    status: r.status,
    items: r.items,
    total: r.total,
    ...(r.reason === null ? {} : { reason: r.reason }),
    createdAt: r.createdAt,
    customer: { email: r.email, ...(r.customerName === undefined ? {} : { name: r.customerName }) },
    ...(r.shippingAddress === undefined ? {} : { shippingAddress: r.shippingAddress }),
  });

  return {
    async list(userId: string): Promise<{ items: Order[] }> {
      return { items: (await deps.orders.listByUser(userId)).map(toOrder) };
    },

    /** Someone else's order is 404, not 403: its existence is not disclosed. */
    async get(id: string, viewer: { id: string; roles: string[] }): Promise<Order> {
      const order = await deps.orders.get(id);
      if (!order || (order.userId !== viewer.id && !viewer.roles.includes('admin'))) throw errors.ORDER_NOT_FOUND(`You have no order with id ${id}.`);
      return toOrder(order);
    },
  };
}

export type OrderQueries = ReturnType<typeof createOrderQueries>;
