/**
 * Static assets, fingerprinted at start-up: /assets/app.3f9c1e2a.css is
 * cached for a year (immutable) because a changed file gets a new name. No
 * build step: the files in public/ are what the browser gets, hashed and
 * gzipped once in memory when the service starts.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

interface Asset {
  url: string;
  type: string;
  body: Buffer;
  gzip: Buffer;
}

export interface Assets {
  /** The fingerprinted URL of a file in public/, e.g. url('app.css'). */
  url(name: string): string;
  /** Every asset: URL -> size in bytes, raw and gzipped (tests check the client budget). */
  sizes(): { url: string; bytes: number; gzipBytes: number }[];
  register(app: FastifyInstance): void;
}

export function loadAssets(dir: string): Assets {
  const byName = new Map<string, Asset>();
  const byUrl = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const ext = extname(name);
    const type = TYPES[ext];
    if (!type) continue;
    const body = readFileSync(join(dir, name));
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 10);
    const asset: Asset = { url: `/assets/${name.slice(0, -ext.length)}.${hash}${ext}`, type, body, gzip: gzipSync(body, { level: 9 }) };
    byName.set(name, asset);
    byUrl.set(asset.url, asset);
  }
  return {
    url(name) {
      const asset = byName.get(name);
      if (!asset) throw new Error(`no asset public/${name}`);
      return asset.url;
    },
    sizes: () => [...byUrl.values()].map((a) => ({ url: a.url, bytes: a.body.length, gzipBytes: a.gzip.length })),
    register(app) {
      app.get('/assets/:file', { schema: { hide: true } }, async (request, reply) => {
        const asset = byUrl.get(request.url.split('?')[0] as string);
        if (!asset) return reply.code(404).type('text/plain; charset=utf-8').header('cache-control', 'no-store').send('Not found');
        const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
        reply.header('cache-control', 'public, max-age=31536000, immutable').header('vary', 'accept-encoding').type(asset.type);
        if (gzip) reply.header('content-encoding', 'gzip');
        return reply.send(gzip ? asset.gzip : asset.body);
      });
    },
  };
}
