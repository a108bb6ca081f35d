import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import type { AsPlainObject } from 'minisearch';
import { ProductChangedData } from '@bazaar/contracts/events';
import { createSerial } from '@bazaar/kit';
import type { IndexState } from '../domain/product-index.ts';

/** Bump when the file's shape changes: an older file is then rebuilt from events, never misread. */
export const SNAPSHOT_FORMAT = 1;

const SnapshotFile = Type.Object({
  format: Type.Literal(SNAPSHOT_FORMAT),
  takenAt: Type.String(),
  /** Feed position per stream ("catalog/search"): the events the state already includes. */
  cursors: Type.Record(Type.String(), Type.Integer({ minimum: 0 })),
  products: Type.Array(ProductChangedData),
  stock: Type.Array(Type.Tuple([Type.String(), Type.Integer({ minimum: 0 })])),
  // MiniSearch checks its own serialization when loading it.
  fullText: Type.Object({ serializationVersion: Type.Integer() }, { additionalProperties: true }),
});

/** The index state and the feed positions it includes, as one unit. */
export interface Snapshot {
  takenAt: string;
  cursors: Record<string, number>;
  state: IndexState;
}

export type LoadedSnapshot = { kind: 'missing' } | { kind: 'unreadable'; reason: string } | { kind: 'ok'; snapshot: Snapshot };

/**
 * The search service's only storage: one JSON file holding the index and the
 * feed cursors together, so a loaded snapshot always resumes exactly where
 * its state was taken. Written to a temp file, flushed, then renamed over the
 * old one: a crash mid-write leaves the previous snapshot intact.
 */
export function snapshotStore(dir: string) {
  const file = join(dir, 'snapshot.json');
  /** Saves and removes run one at a time. */
  const writing = createSerial();

  async function write(snapshot: Snapshot): Promise<void> {
    const body: Static<typeof SnapshotFile> = {
      format: SNAPSHOT_FORMAT,
      takenAt: snapshot.takenAt,
      cursors: snapshot.cursors,
      products: snapshot.state.products,
      stock: snapshot.state.stock,
      fullText: snapshot.state.fullText as AsPlainObject & { serializationVersion: number },
    };
    await mkdir(dir, { recursive: true });
    const temp = join(dir, `.snapshot-${process.pid}-${randomUUID()}.tmp`);
    try {
      const handle = await open(temp, 'w', 0o600);
      try {
        await handle.writeFile(JSON.stringify(body));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
    // The rename itself is durable only once the directory is flushed.
    const folder = await open(dir, 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  }

  return {
    location: file,

    /** The saved snapshot; 'missing' or 'unreadable' mean the index must be rebuilt from events. */
    async load(): Promise<LoadedSnapshot> {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') return { kind: 'missing' };
        return { kind: 'unreadable', reason: (error as Error).message };
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (error) {
        return { kind: 'unreadable', reason: `not JSON (${(error as Error).message})` };
      }
      if (!Value.Check(SnapshotFile, parsed)) {
        const first = Value.Errors(SnapshotFile, parsed)[0];
        return { kind: 'unreadable', reason: `unexpected content at ${first?.instancePath || '/'}: ${first?.message ?? 'invalid'}` };
      }
      const { takenAt, cursors, products, stock, fullText } = parsed;
      return { kind: 'ok', snapshot: { takenAt, cursors, state: { products, stock, fullText: fullText as unknown as AsPlainObject } } };
    },

    /** Save atomically; saves never overlap (a second waits for the first). */
    save(snapshot: Snapshot): Promise<void> {
      return writing(() => write(snapshot));
    },

    /** Delete the snapshot, so the next start rebuilds from the event history. */
    remove(): Promise<void> {
      // After any save in flight, so a save cannot bring the file back.
      return writing(() => rm(file, { force: true }));
    },
  };
}

export type SnapshotStore = ReturnType<typeof snapshotStore>;
