import { Type, type Static } from 'typebox';

import { access, defineRoute } from './route.ts';
/** Contract of the identity service (routes under /api/identity). */

export const Email = Type.String({ format: 'email', maxLength: 254 });

export const RegisterRequest = Type.Object(
  {
    email: Email,
    password: Type.String({ minLength: 1, maxLength: 1024 }),
    name: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);
export type RegisterRequest = Static<typeof RegisterRequest>;

export const PublicUser = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
});
export type PublicUser = Static<typeof PublicUser>;

/** The answer to a registration, the same whether or not the email already had an account (no enumeration). */
export const RegistrationAccepted = Type.Object({
  status: Type.Literal('accepted'),
  email: Type.String(),
  message: Type.String(),
});
export type RegistrationAccepted = Static<typeof RegistrationAccepted>;

export const Me = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  roles: Type.Array(Type.String()),
});
export type Me = Static<typeof Me>;

export const LoginRequest = Type.Object(
  { email: Type.String({ minLength: 1, maxLength: 254 }), password: Type.String({ minLength: 1, maxLength: 1024 }) },
  { additionalProperties: false },
);
export type LoginRequest = Static<typeof LoginRequest>;

export const RefreshRequest = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false });
export type RefreshRequest = Static<typeof RefreshRequest>;

export const LogoutRequest = Type.Object({ refreshToken: Type.String({ minLength: 1, maxLength: 512 }) }, { additionalProperties: false });
export type LogoutRequest = Static<typeof LogoutRequest>;

/** Sessions (refresh-token families) revoked recently enough that access tokens issued in them may still be live. */
export const RevokedSessions = Type.Object({
  families: Type.Array(Type.String(), { description: 'Family ids (the "fid" claim of access tokens) revoked within the access-token lifetime' }),
  accessTokenTtlSeconds: Type.Integer(),
});
export type RevokedSessions = Static<typeof RevokedSessions>;

export const TokenPair = Type.Object({
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Access token lifetime in seconds' }),
});
export type TokenPair = Static<typeof TokenPair>;

/** Roles carried in access tokens. */
export const Role = { customer: 'customer', admin: 'admin' } as const;
export type Role = (typeof Role)[keyof typeof Role];

/** One public signing key as served by identity's JWKS endpoint (RFC 7517); never carries private parts. */
export const PublicJwk = Type.Object({
  kty: Type.String(),
  crv: Type.String(),
  x: Type.String(),
  kid: Type.String(),
  alg: Type.Literal('EdDSA'),
  use: Type.Literal('sig'),
});
export type PublicJwk = Static<typeof PublicJwk>;

/** GET /.well-known/jwks.json: every public key that may have signed a live access token. */
export const Jwks = Type.Object({ keys: Type.Array(PublicJwk) });
export type Jwks = Static<typeof Jwks>;

/** An account as the back office sees it: never a password hash. */
export const Customer = Type.Object({
  id: Type.String(),
  email: Type.String(),
  name: Type.String(),
  roles: Type.Array(Type.String()),
  createdAt: Type.String({ description: 'When the account was created (ISO 8601)' }),
});
export type Customer = Static<typeof Customer>;

/** One page of accounts, newest first; pass `nextCursor` back as `cursor` for the next page (null: no more). */
export const CustomerPage = Type.Object({ items: Type.Array(Customer), nextCursor: Type.Union([Type.String(), Type.Null()]) });
export type CustomerPage = Static<typeof CustomerPage>;

export const ListCustomersQuery = Type.Object(
  {
    q: Type.Optional(Type.String({ maxLength: 200, description: 'Part of the email or the name, case-insensitive' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 300, description: 'The nextCursor of the previous page, unchanged' })),
  },
  { additionalProperties: false },
);
export type ListCustomersQuery = Static<typeof ListCustomersQuery>;

export const CustomerParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

/** identity's routes. */
export const routes = {
  register: defineRoute({
    service: 'identity', method: 'POST', path: '/api/identity/register', access: access.public,
    summary: 'Create a customer account; answers 202 whether or not the email already had one (log in next)', tags: ['accounts'],
    body: RegisterRequest, responses: { 202: RegistrationAccepted }, errors: [400],
    edge: { limit: 'auth', bodyLimit: 16_384 },
  }),
  me: defineRoute({
    service: 'identity', method: 'GET', path: '/api/identity/me', access: access.user,
    summary: 'The account the access token belongs to', tags: ['accounts'],
    responses: { 200: Me }, errors: [401],
  }),
  login: defineRoute({
    service: 'identity', method: 'POST', path: '/api/identity/login', access: access.public,
    summary: 'Exchange email and password for an access and a refresh token', tags: ['tokens'],
    body: LoginRequest, responses: { 200: TokenPair }, errors: [400, 401],
    edge: { limit: 'auth', login: true, bodyLimit: 8192 },
  }),
  refresh: defineRoute({
    service: 'identity', method: 'POST', path: '/api/identity/refresh', access: access.public,
    summary: 'Exchange a refresh token for a new pair; the presented one stops working', tags: ['tokens'],
    body: RefreshRequest, responses: { 200: TokenPair }, errors: [400, 401],
    edge: { limit: 'auth', bodyLimit: 8192 },
  }),
  logout: defineRoute({
    service: 'identity', method: 'POST', path: '/api/identity/logout', access: access.public,
    summary: 'End a session: its refresh token family is revoked, and the access tokens issued in it stop working at the edge', tags: ['tokens'],
    body: LogoutRequest, responses: { 204: Type.Null() }, errors: [400],
    edge: { limit: 'auth', bodyLimit: 8192 },
  }),
  revokedSessions: defineRoute({
    service: 'identity', method: 'GET', path: '/.well-known/bazaar-revoked-sessions.json', access: access.public,
    summary: 'Sessions revoked within the access-token lifetime (polled by the gateway)', tags: ['tokens'],
    responses: { 200: RevokedSessions }, errors: [],
  }),
  // Under /api/identity, not /api/admin: the gateway routes an area (the second segment) to one service,
  // so an "admin" area could not also hold other services' admin routes.
  listCustomers: defineRoute({
    service: 'identity', method: 'GET', path: '/api/identity/customers', access: access.admin,
    summary: 'Accounts, newest first, one page at a time; q searches email and name (admin)', tags: ['customers'],
    query: ListCustomersQuery, responses: { 200: CustomerPage }, errors: [400, 401, 403],
  }),
  getCustomer: defineRoute({
    service: 'identity', method: 'GET', path: '/api/identity/customers/:id', access: access.admin,
    summary: 'One account (admin)', tags: ['customers'],
    params: CustomerParams, responses: { 200: Customer }, errors: [400, 401, 403, 404],
  }),
  jwks: defineRoute({
    service: 'identity', method: 'GET', path: '/.well-known/jwks.json', access: access.public,
    summary: 'Public signing keys (RFC 7517)', tags: ['tokens'],
    responses: { 200: Jwks }, errors: [],
  }),
};
