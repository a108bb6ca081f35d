import { Type } from 'typebox';
import { configSchema } from '@bazaar/kit';

/** Gateway configuration, from the environment. */
export const GatewayConfig = configSchema({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  BAZAAR_UPSTREAMS: Type.String({
    pattern: '^([a-z][a-z0-9-]*=https?://[^,\\s]+(,[a-z][a-z0-9-]*=https?://[^,\\s]+)*)?$',
    default: '',
    description: 'Routing table: area=url pairs separated by commas, e.g. identity=http://127.0.0.1:8081,catalog=http://127.0.0.1:8082',
  }),
  UPSTREAM_TIMEOUT_MS: Type.Integer({ minimum: 100, maximum: 60_000, default: 1500 }),
  UPSTREAM_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 50, maximum: 10_000, default: 500 }),
});

/** Parse `area=url,area=url` into a map; the schema already checked the shape. */
export function parseUpstreams(value: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const pair of value.split(',').filter(Boolean)) {
    const at = pair.indexOf('=');
    out.set(pair.slice(0, at), pair.slice(at + 1).replace(/\/+$/, ''));
  }
  return out;
}
