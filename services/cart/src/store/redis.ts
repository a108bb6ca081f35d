import { Redis } from 'ioredis';
import { SpanKind, commonErrors, recordSpan, type Attributes } from '@bazaar/kit';
import type { CartLimits, CartLine, CartSnapshot, CartStore } from '../domain/model.ts';

/**
 * The Redis implementation of CartStore: per cart a hash (product → quantity)
 * and a sorted set (product → position, for "the order first added"), both
 * under `<prefix>{<userId>}:` so a cart's keys share a cluster slot. Every
 * change is one Lua script, so Redis runs it alone: the line limit cannot be
 * overshot by concurrent additions, and removeOrdered is all-or-nothing.
 * A third key holds the cart's revision (INCR on every change); unlike the
 * lines it never expires, so a cart that expired and was filled again is
 * never taken for a version that was already ordered. A fourth, a hash
 * beside the lines (product → the revision the line was last set at), lets a
 * late order confirmation leave alone a line set after checkout (issue 12);
 * a line without an entry (older carts) counts as set at 0.
 */

/** KEYS: lines, order, revision. The revision, then the lines in position order: [revision, productId, quantity, ...]. */
const GET = `
local ids = redis.call('ZRANGE', KEYS[2], 0, -1)
local out = { redis.call('GET', KEYS[3]) or '0' }
for _, id in ipairs(ids) do
  local q = redis.call('HGET', KEYS[1], id)
  if q then out[#out + 1] = id; out[#out + 1] = q end
end
return out
`;

/**
 * KEYS: lines, order, revision, set-at. ARGV: productId, quantity (0 removes), maxLines,
 * ttlSeconds, expected revision ('' for none). 1 = set, 0 = cart full, -1 = conflict.
 */
const SET = `
if ARGV[5] ~= '' and (redis.call('GET', KEYS[3]) or '0') ~= ARGV[5] then return -1 end
local id = ARGV[1]
if ARGV[2] == '0' then
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  redis.call('HDEL', KEYS[4], id)
  redis.call('INCR', KEYS[3])
  return 1
end
if redis.call('HEXISTS', KEYS[1], id) == 0 then
  if redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
  local last = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  local position = 1
  if last[2] then position = tonumber(last[2]) + 1 end
  redis.call('ZADD', KEYS[2], position, id)
end
redis.call('HSET', KEYS[1], id, ARGV[2])
redis.call('HSET', KEYS[4], id, redis.call('INCR', KEYS[3]))
for _, k in ipairs({ KEYS[1], KEYS[2], KEYS[4] }) do redis.call('EXPIRE', k, ARGV[4]) end
return 1
`;

/** KEYS: lines, order, revision, set-at. ARGV: productId, ttlSeconds. An emptied hash/zset disappears by itself; the revision moves only when a line went. */
const REMOVE = `
if redis.call('HDEL', KEYS[1], ARGV[1]) == 1 then redis.call('INCR', KEYS[3]) end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
for _, k in ipairs({ KEYS[1], KEYS[2], KEYS[4] }) do redis.call('EXPIRE', k, ARGV[2]) end
return 1
`;

/**
 * KEYS: lines, order, revision, set-at[, event marker]. ARGV: ttlSeconds, the
 * order's cart revision ('' when unknown), then productId, quantity pairs.
 * With a marker key the whole change happens at most once: an existing marker
 * means this event was applied already (0); otherwise the lines change and the
 * marker is written in the same script (1). A line set after the order's
 * revision is the shopper's later decision and stays (issue 12); the
 * revision moves only when a line changed.
 */
const REMOVE_ORDERED = `
if KEYS[5] and redis.call('EXISTS', KEYS[5]) == 1 then return 0 end
local placed = tonumber(ARGV[2])
local changes = {}
for i = 3, #ARGV, 2 do
  local id = ARGV[i]
  local have = tonumber(redis.call('HGET', KEYS[1], id))
  if have and (not placed or tonumber(redis.call('HGET', KEYS[4], id) or '0') <= placed) then
    changes[#changes + 1] = { id, have - tonumber(ARGV[i + 1]) }
  end
end
if #changes > 0 then
  local revision = redis.call('INCR', KEYS[3])
  for _, c in ipairs(changes) do
    if c[2] > 0 then
      redis.call('HSET', KEYS[1], c[1], c[2])
      redis.call('HSET', KEYS[4], c[1], revision)
    else
      redis.call('HDEL', KEYS[1], c[1])
      redis.call('ZREM', KEYS[2], c[1])
      redis.call('HDEL', KEYS[4], c[1])
    end
  end
end
for _, k in ipairs({ KEYS[1], KEYS[2], KEYS[4] }) do redis.call('EXPIRE', k, ARGV[1]) end
if KEYS[5] then redis.call('SET', KEYS[5], '1', 'EX', ARGV[1]) end
return 1
`;

interface CartCommands {
  cartGet(lines: string, order: string, revision: string): Promise<string[]>;
  cartSet(lines: string, order: string, revision: string, setAt: string, productId: string, quantity: number, maxLines: number, ttlSeconds: number, expected: string): Promise<number>;
  cartRemove(lines: string, order: string, revision: string, setAt: string, productId: string, ttlSeconds: number): Promise<number>;
  /** Variadic keys: `numKeys` (4 or 5), the keys, then the arguments. */
  cartRemoveOrdered(numKeys: number, ...keysAndArgs: (string | number)[]): Promise<number>;
}

type CartRedis = Redis & CartCommands;

export interface RedisCartOptions extends CartLimits {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string;
  /** Every key starts with it, so environments and test runs sharing a server never collide. */
  keyPrefix: string;
  /** A cart (and an event marker) expires this long after its last write. */
  ttlSeconds: number;
  /** Longest wait for one command before the request fails with 503. */
  commandTimeoutMs?: number;
}

/** A CartStore in Redis, plus what only Redis needs: event-bound clears, a readiness ping, and its connection. */
export interface RedisCartStore extends CartStore {
  /**
   * The same store for one event's effect: its `removeOrdered` runs at most
   * once per `eventId` (a marker key written in the same script), so a
   * redelivery, or two instances handling one event at once, changes nothing.
   */
  forEvent(eventId: string): CartStore;
  /** Resolves when Redis answers PING; rejects otherwise (readiness). */
  ping(): Promise<void>;
  /** Close the connection; stop the event consumer first. */
  close(): Promise<void>;
}

/** The URL with any password hidden, for messages and logs. */
export function maskedRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable REDIS_URL)';
  }
}

/**
 * Connect to Redis and return the cart store on it. Fails at once, naming
 * the server, when Redis does not answer; later outages surface per request
 * as 503 UPSTREAM_UNAVAILABLE while the client reconnects.
 */
export async function openRedisCartStore(opts: RedisCartOptions): Promise<RedisCartStore> {
  const client = new Redis(opts.url, {
    lazyConnect: true,
    connectTimeout: 2000,
    commandTimeout: opts.commandTimeoutMs ?? 2000,
    // A cart request should fail fast while Redis is away rather than queue behind reconnects.
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(times * 200, 2000),
  });
  // Errors surface on each command; without a listener a dropped connection would crash the process.
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (error) {
    client.disconnect();
    throw new Error(`Redis is not reachable at ${maskedRedisUrl(opts.url)} (REDIS_URL): ${(error as Error).message}`, { cause: error });
  }
  client.defineCommand('cartGet', { numberOfKeys: 3, lua: GET });
  client.defineCommand('cartSet', { numberOfKeys: 4, lua: SET });
  client.defineCommand('cartRemove', { numberOfKeys: 4, lua: REMOVE });
  client.defineCommand('cartRemoveOrdered', { lua: REMOVE_ORDERED });
  return redisCartStore(client as CartRedis, opts);
}

function redisCartStore(client: CartRedis, opts: RedisCartOptions): RedisCartStore {
  const ttl = opts.ttlSeconds;
  const server = serverAttributes(opts.url);
  /** One Redis call in a CLIENT span (recorded after the fact: no await added), named after the script it runs. */
  const guarded = <T>(operation: string, call: () => Promise<T>): Promise<T> => traced(operation, server, call);
  // Encoded so no user or event id can forge another cart's key or break the {hash tag}.
  const base = (userId: string) => `${opts.keyPrefix}{${encodeURIComponent(userId)}}`;
  const keysOf = (userId: string) => ({
    lines: `${base(userId)}:lines`,
    order: `${base(userId)}:order`,
    revision: `${base(userId)}:revision`,
    setAt: `${base(userId)}:set-at`,
  });

  async function removeOrdered(userId: string, ordered: CartLine[], placedAt: number | undefined, eventId?: string): Promise<void> {
    const byProduct = totals(ordered);
    if (byProduct.size === 0 && eventId === undefined) return;
    const { lines, order, revision, setAt } = keysOf(userId);
    const cartKeys = [lines, order, revision, setAt];
    const keys = eventId === undefined ? cartKeys : [...cartKeys, `${base(userId)}:applied:${encodeURIComponent(eventId)}`];
    const args = [ttl, placedAt === undefined ? '' : placedAt, ...[...byProduct].flat()];
    await guarded('cartRemoveOrdered', () => client.cartRemoveOrdered(keys.length, ...keys, ...args));
  }

  async function snapshot(userId: string): Promise<CartSnapshot> {
    const { lines, order, revision } = keysOf(userId);
    const [rev, ...flat] = await guarded('cartGet', () => client.cartGet(lines, order, revision));
    const out: CartLine[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ productId: flat[i] as string, quantity: Number(flat[i + 1]) });
    return { lines: out, revision: Number(rev ?? 0) };
  }

  const store: CartStore = {
    getLines: async (userId) => (await snapshot(userId)).lines,
    snapshot,

    async setQuantity(userId, productId, quantity, expectedRevision) {
      const { lines, order, revision, setAt } = keysOf(userId);
      if (quantity === 0 && expectedRevision === undefined) {
        await guarded('cartRemove', () => client.cartRemove(lines, order, revision, setAt, productId, ttl));
        return 'removed';
      }
      const expected = expectedRevision === undefined ? '' : String(expectedRevision);
      const done = await guarded('cartSet', () => client.cartSet(lines, order, revision, setAt, productId, quantity, opts.maxLines, ttl, expected));
      if (done === -1) return 'conflict';
      if (quantity === 0) return 'removed';
      return done === 1 ? 'set' : 'cart-full';
    },

    async remove(userId, productId) {
      const { lines, order, revision, setAt } = keysOf(userId);
      await guarded('cartRemove', () => client.cartRemove(lines, order, revision, setAt, productId, ttl));
    },

    removeOrdered: (userId, ordered, placedAt) => removeOrdered(userId, ordered, placedAt),
  };

  return {
    ...store,
    forEvent: (eventId) => ({ ...store, removeOrdered: (userId, ordered, placedAt) => removeOrdered(userId, ordered, placedAt, eventId) }),
    async ping() {
      try {
        await client.ping();
      } catch (error) {
        throw new Error(`Redis at ${maskedRedisUrl(opts.url)} does not answer PING: ${(error as Error).message}`, { cause: error });
      }
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

/** OpenTelemetry's server and database attributes of the Redis URL (never its credentials). */
function serverAttributes(url: string): Attributes {
  try {
    const u = new URL(url);
    const db = u.pathname.replace(/^\//, '') || '0';
    return { 'db.system.name': 'redis', 'db.namespace': db, 'server.address': u.hostname, 'server.port': Number(u.port || 6379) };
  } catch {
    return { 'db.system.name': 'redis' };
  }
}

/**
 * Run a Redis call, as a CLIENT span of the current request or event
 * (`redis EVALSHA cartSet`: each store operation is one Lua script); a lost
 * or slow connection becomes 503 UPSTREAM_UNAVAILABLE (the cart cannot
 * answer, the caller may retry). An error Redis itself replied (a
 * ReplyError: a script bug, a wrong key type) stays a 500.
 */
async function traced<T>(operation: string, server: Attributes, call: () => Promise<T>): Promise<T> {
  const startTime = Date.now();
  const span = (error?: unknown) =>
    recordSpan(`redis EVALSHA ${operation}`, {
      kind: SpanKind.CLIENT,
      startTime,
      endTime: Date.now(),
      attributes: { ...server, 'db.operation.name': 'EVALSHA', 'db.stored_procedure.name': operation },
      ...(error === undefined ? {} : { error }),
    });
  try {
    const result = await call();
    span();
    return result;
  } catch (error) {
    span(error);
    if (error instanceof Error && error.name === 'ReplyError') throw error;
    const unavailable = commonErrors.UPSTREAM_UNAVAILABLE('The cart store (Redis) is unavailable; try again shortly.');
    unavailable.cause = error;
    throw unavailable;
  }
}

/** Quantities summed per product (an order could list a product twice). */
function totals(lines: CartLine[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const l of lines) out.set(l.productId, (out.get(l.productId) ?? 0) + l.quantity);
  return out;
}
