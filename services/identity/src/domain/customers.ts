import type { Customer, CustomerPage, ListCustomersQuery } from '@bazaar/contracts/identity';
import { errors } from '../errors.ts';
import type { UserPosition, UserRepository, UserSummary } from './model.ts';

/**
 * Cursors are opaque to clients: base64url of the last account's creation
 * time and id. Paging by that unique, immutable key means an account created
 * between two pages never shifts them.
 */
export function encodeCustomerCursor(at: UserPosition): string {
  return Buffer.from(`u:${at.createdAt}|${at.id}`, 'utf8').toString('base64url');
}

/** The position a cursor stands for, or undefined if it is not one of ours. */
export function decodeCustomerCursor(cursor: string): UserPosition | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return undefined;
  const match = /^u:([^|]+)\|(.+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return match ? { createdAt: match[1] as string, id: match[2] as string } : undefined;
}

const toCustomer = (u: UserSummary): Customer => ({ id: u.id, email: u.email, name: u.name, roles: u.roles, createdAt: u.createdAt });

/** The back office's view of accounts: list, search, one by id. Password hashes never leave the store's user type. */
export function createCustomers(deps: { users: UserRepository }) {
  return {
    async list(query: ListCustomersQuery): Promise<CustomerPage> {
      let after: UserPosition | undefined;
      if (query.cursor !== undefined) {
        after = decodeCustomerCursor(query.cursor);
        if (after === undefined) throw errors.INVALID_CURSOR('Pass back the nextCursor of a previous page unchanged, or omit it for the first page.');
      }
      const q = query.q?.trim();
      const page = await deps.users.page({ limit: query.limit ?? 20, ...(q ? { q } : {}), ...(after === undefined ? {} : { after }) });
      const last = page.items.at(-1);
      return { items: page.items.map(toCustomer), nextCursor: page.more && last ? encodeCustomerCursor(last) : null };
    },

    async get(id: string): Promise<Customer> {
      const user = await deps.users.findById(id);
      if (!user) throw errors.CUSTOMER_NOT_FOUND(`No account has id ${id}.`);
      return toCustomer(user);
    },
  };
}

export type Customers = ReturnType<typeof createCustomers>;
