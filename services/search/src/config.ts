import { join } from 'node:path';
import { Type, type Static } from 'typebox';
import { ServiceCredentialConfig, configSchema } from '@bazaar/kit';

/** Search configuration, from the environment. */
export const SearchConfig = configSchema({
  ...ServiceCredentialConfig,
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8089 }),
  CATALOG_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8082', description: 'Where catalog serves its event feed' }),
  INVENTORY_URL: Type.String({ pattern: '^https?://', default: 'http://127.0.0.1:8083', description: 'Where inventory serves its event feed' }),
  SEARCH_SNAPSHOT_INTERVAL_MS: Type.Integer({ minimum: 100, default: 10_000, description: 'How often the index is saved to disk when it changed' }),
  SEARCH_FEED_WAIT_MS: Type.Integer({ minimum: 100, maximum: 25_000, default: 20_000, description: 'Long-poll wait on the event feeds (events arrive as soon as written; this only bounds an idle request)' }),
});
export type SearchConfigValues = Static<typeof SearchConfig>;

/** Where a search instance keeps its snapshot: its own folder under the data dir. */
export function snapshotDir(dataDir: string): string {
  return join(dataDir, 'search');
}
