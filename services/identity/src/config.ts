import { Type, type Static } from 'typebox';
import { configSchema } from '@bazaar/kit';

/** Default admin password: only for a first local run; set ADMIN_PASSWORD anywhere else. */
export const DEFAULT_ADMIN_PASSWORD = 'bazaar-admin-password';

/** Identity configuration, from the environment. */
export const IdentityConfig = configSchema({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8081 }),
  IDENTITY_DATABASE_URL: Type.Optional(Type.String({ pattern: '^postgres(ql)?://', description: "This service's own PostgreSQL database; wins over BAZAAR_POSTGRES_URL" })),
  ADMIN_EMAIL: Type.String({ format: 'email', maxLength: 254, default: 'admin@bazaar.local', description: 'The admin account ensured at every start' }),
  ADMIN_PASSWORD: Type.String({
    minLength: 10,
    maxLength: 128,
    default: DEFAULT_ADMIN_PASSWORD,
    description: 'Password given to the admin account when it is created (never changes an existing account). The default is for local runs only: change it.',
  }),
  ADMIN_NAME: Type.String({ minLength: 1, maxLength: 200, default: 'Administrator' }),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 86_400, default: 300, description: 'Access token lifetime; also how long a logged-out session stays on the revocation list' }),
  REFRESH_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 60, maximum: 31_536_000, default: 1_209_600, description: 'Sliding: an unused refresh token expires after this long' }),
  SESSION_MAX_SECONDS: Type.Integer({ minimum: 60, maximum: 31_536_000, default: 2_592_000, description: 'Absolute: a session ends this long after the login, however often it is refreshed' }),
});

export type IdentityConfigValues = Static<typeof IdentityConfig>;
