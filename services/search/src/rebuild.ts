// `npm run rebuild -w @bazaar/search`: delete the snapshot, so the next start
// rebuilds the index from catalog's and inventory's event history. For a
// search that is running, POST /internal/search/rebuild instead (a running
// instance would save its snapshot again on its next tick or at shutdown).
import { Type } from 'typebox';
import { BaseConfig, loadConfig, main } from '@bazaar/kit';
import { snapshotDir } from './config.ts';
import { snapshotStore } from './store/snapshot.ts';

await main(async () => {
  const config = loadConfig(Type.Object({ BAZAAR_DATA_DIR: BaseConfig.BAZAAR_DATA_DIR }));
  const snapshots = snapshotStore(snapshotDir(config.BAZAAR_DATA_DIR));
  await snapshots.remove();
  process.stdout.write(`Deleted ${snapshots.location}: search rebuilds its index from the event history when it next starts.\n`);
});
