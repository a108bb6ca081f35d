import type { Kysely } from 'kysely';
import type { NewUser, User, UserRepository } from '../domain/model.ts';
import { isUniqueViolation } from '@bazaar/store';
import type { IdentityDatabase } from './db.ts';

type UserRow = IdentityDatabase['users'];

/** Users and their roles. */
export function userRepository(db: Kysely<IdentityDatabase>): UserRepository {
  async function withRoles(row: UserRow | undefined): Promise<User | undefined> {
    if (!row) return undefined;
    const roles = await db.selectFrom('user_roles').select('role').where('user_id', '=', row.id).orderBy('role').execute();
    return {
      id: row.id,
      email: row.email,
      name: row.name,
      roles: roles.map((r) => r.role),
      passwordHash: row.password_hash,
      createdAt: row.created_at,
    };
  }

  return {
    async findByEmail(email) {
      return withRoles(await db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst());
    },
    async findById(id) {
      return withRoles(await db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst());
    },
    async create(user: NewUser) {
      try {
        await db.transaction().execute(async (trx) => {
          await trx
            .insertInto('users')
            .values({ id: user.id, email: user.email, name: user.name, password_hash: user.passwordHash, created_at: user.createdAt, updated_at: user.createdAt })
            .execute();
          if (user.roles.length > 0) {
            await trx.insertInto('user_roles').values(user.roles.map((role) => ({ user_id: user.id, role }))).execute();
          }
        });
        return 'created';
      } catch (error) {
        if (isUniqueViolation(error)) return 'email-taken';
        throw error;
      }
    },
  };
}
