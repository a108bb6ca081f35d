import { randomUUID } from 'node:crypto';
import { Role } from '@bazaar/contracts/identity';
import { errors } from '../errors.ts';
import type { Clock, User, UserRepository } from './model.ts';
import { assertStrongPassword } from './password-policy.ts';
import { hashPassword } from './passwords.ts';

/** What callers may see of an account. */
export interface Account {
  id: string;
  email: string;
  name: string;
  roles: string[];
}

/** Emails are compared case-insensitively: stored and looked up trimmed and lowercased. */
export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export type AdminOutcome = 'created' | 'exists' | 'exists-without-admin-role';

/** Account rules: registration, profile lookup, the seeded admin. */
export function createAccounts(deps: { users: UserRepository; clock: Clock }) {
  const { users, clock } = deps;

  async function create(input: { email: string; password: string; name: string; roles: string[] }): Promise<Account | 'email-taken'> {
    const now = new Date(clock()).toISOString();
    const user = {
      id: randomUUID(),
      email: input.email,
      name: input.name,
      roles: input.roles,
      passwordHash: await hashPassword(input.password),
      createdAt: now,
    };
    if ((await users.create(user)) === 'email-taken') return 'email-taken';
    return toAccount(user);
  }

  return {
    /**
     * Create a customer account (WEAK_PASSWORD or INVALID_NAME otherwise).
     * An email that already has an account is answered exactly like a new
     * one, after the same hashing work, so registration does not tell who
     * has an account: 'created' or 'exists' is for logs only.
     */
    async register(input: { email: string; password: string; name: string }): Promise<{ email: string; outcome: 'created' | 'exists' }> {
      const email = normalizeEmail(input.email);
      const name = input.name.trim();
      if (name === '') throw errors.INVALID_NAME('The name must not be blank.');
      assertStrongPassword(input.password, email);
      const taken = await users.findByEmail(email);
      if (taken) {
        // The same argon2 work as a real registration, so timing does not tell either.
        await hashPassword(input.password);
        return { email, outcome: 'exists' };
      }
      const created = await create({ email, password: input.password, name, roles: [Role.customer] });
      return { email, outcome: created === 'email-taken' ? 'exists' : 'created' };
    },

    /** The current state of an account a valid token names; USER_NOT_FOUND once it is gone. */
    async profile(id: string): Promise<Account> {
      const user = await users.findById(id);
      if (!user) throw errors.USER_NOT_FOUND('The account this token was issued for no longer exists; log in again.');
      return toAccount(user);
    },

    /**
     * Make sure the configured admin account exists. An existing account is
     * never changed: not its password, and not its roles (promoting whoever
     * registered that email first would hand them admin rights).
     */
    async ensureAdmin(input: { email: string; password: string; name: string }): Promise<AdminOutcome> {
      const email = normalizeEmail(input.email);
      const existing = await users.findByEmail(email);
      if (existing) return existing.roles.includes(Role.admin) ? 'exists' : 'exists-without-admin-role';
      const created = await create({ email, password: input.password, name: input.name, roles: [Role.admin, Role.customer] });
      // Lost a race with another instance seeding at the same moment.
      return created === 'email-taken' ? 'exists' : 'created';
    },
  };
}

export type Accounts = ReturnType<typeof createAccounts>;

function toAccount(user: Pick<User, 'id' | 'email' | 'name' | 'roles'>): Account {
  return { id: user.id, email: user.email, name: user.name, roles: [...user.roles] };
}
