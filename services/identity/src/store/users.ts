import { sql, type Kysely } from 'kysely';
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
    async page(opts) {
      let query = db.selectFrom('users').select(['id', 'email', 'name', 'created_at']);
      if (opts.q !== undefined && opts.q !== '') {
        // LIKE with the wildcards of the search text escaped; lower() on both sides, as PostgreSQL's LIKE is case-sensitive.
        const pattern = `%${opts.q.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        query = query.where((eb) => eb.or([eb('email', 'like', sql<string>`${pattern} escape '\\'`), eb(eb.fn('lower', ['name']), 'like', sql<string>`${pattern} escape '\\'`)]));
      }
      const after = opts.after;
      if (after !== undefined) {
        query = query.where((eb) => eb.or([eb('created_at', '<', after.createdAt), eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)])]));
      }
      const rows = await query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(opts.limit + 1).execute();
      const items = rows.slice(0, opts.limit);
      // One query for the roles of the whole page, not one per account.
      const roles = items.length === 0 ? [] : await db.selectFrom('user_roles').select(['user_id', 'role']).where('user_id', 'in', items.map((r) => r.id)).orderBy('role').execute();
      return {
        items: items.map((r) => ({ id: r.id, email: r.email, name: r.name, createdAt: r.created_at, roles: roles.filter((x) => x.user_id === r.id).map((x) => x.role) })),
        more: rows.length > opts.limit,
      };
    },
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
