import { positionCursor } from '@bazaar/kit';
import type { Customer, CustomerPage, ListCustomersQuery } from '@bazaar/contracts/identity';
import { errors } from '../errors.ts';
import type { UserPosition, UserRepository, UserSummary } from './model.ts';

/** Pages of accounts end at the last one's creation time and id. */
const cursors = positionCursor('u');

const toCustomer = (u: UserSummary): Customer => ({ id: u.id, email: u.email, name: u.name, roles: u.roles, createdAt: u.createdAt });

/** The back office's view of accounts: list, search, one by id. Password hashes never leave the store's user type. */
export function createCustomers(deps: { users: UserRepository }) {
  return {
    async list(query: ListCustomersQuery): Promise<CustomerPage> {
      let after: UserPosition | undefined;
      if (query.cursor !== undefined) {
        const at = cursors.decode(query.cursor);
        if (at === undefined) throw errors.INVALID_CURSOR('Pass back the nextCursor of a previous page unchanged, or omit it for the first page.');
        after = { createdAt: at.key, id: at.id };
      }
      const q = query.q?.trim();
      const page = await deps.users.page({ limit: query.limit ?? 20, ...(q ? { q } : {}), ...(after === undefined ? {} : { after }) });
      const last = page.items.at(-1);
      return { items: page.items.map(toCustomer), nextCursor: page.more && last ? cursors.encode({ key: last.createdAt, id: last.id }) : null };
    },

    async get(id: string): Promise<Customer> {
      const user = await deps.users.findById(id);
      if (!user) throw errors.CUSTOMER_NOT_FOUND(`No account has id ${id}.`);
      return toCustomer(user);
    },
  };
}

export type Customers = ReturnType<typeof createCustomers>;
