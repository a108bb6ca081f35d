// Uploads through sharp: decoded, resized, re-encoded as WebP and named by their digest; anything else refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { AppError } from '@bazaar/kit';
import { productImages } from '../src/images.ts';
import { diskImageBytes, openStorefrontStore, productImageRepository } from '../src/store/index.ts';

async function setup(t: { after(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'bazaar-storefront-upload-'));
  const store = await openStorefrontStore({ dataDir: '', inMemory: true });
  t.after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const repo = productImageRepository(store.db);
  return { repo, images: productImages({ repo, bytes: diskImageBytes(dir), maxBytes: 200_000, maxPixels: 400 }) };
}

test('a PNG upload is resized to fit, re-encoded as WebP without metadata, and stored under its digest', async (t) => {
  const { repo, images } = await setup(t);
  const png = await sharp({ create: { width: 1000, height: 500, channels: 3, background: '#3366ff' } })
    .withMetadata({ exif: { IFD0: { Copyright: 'someone' } } })
    .png()
    .toBuffer();
  const saved = await images.upload({ productId: 'p-1', data: png, uploadedBy: 'admin@bazaar.local' });
  assert.equal(saved.width, 400);
  assert.equal(saved.height, 200);
  assert.match(saved.digest, /^[0-9a-f]{20}$/);
  assert.deepEqual(await repo.find('p-1'), saved);
  const stored = await images.read('p-1', saved.digest);
  assert.ok(stored);
  const meta = await sharp(stored).metadata();
  assert.equal(meta.format, 'webp');
  assert.equal(meta.exif, undefined, 'metadata is dropped');
  assert.equal(await images.read('p-2', saved.digest), undefined, 'the digest is per product');
  assert.equal(await images.read('p-1', '../../etc/passwd'), undefined);
});

test('a file that is not a JPEG, PNG or WebP picture, or is too large, is refused with a coded error', async (t) => {
  const { images } = await setup(t);
  const refused = async (data: Buffer, code: string) => {
    await assert.rejects(images.upload({ productId: 'p-1', data, uploadedBy: 'admin' }), (error: unknown) => error instanceof AppError && error.code === code);
  };
  await refused(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'IMAGE_INVALID');
  await refused(Buffer.from('just text'), 'IMAGE_INVALID');
  await refused(await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } }).gif().toBuffer(), 'IMAGE_INVALID');
  await refused(Buffer.alloc(200_001, 1), 'IMAGE_TOO_LARGE');
});

test('sharp (libvips) is loaded at the first upload, not when the storefront starts', async () => {
  // In a process of its own (this file imports sharp itself): load everything the storefront's main loads, then look
  // for libvips among the process's mapped files; then load sharp and look again (the check can see it).
  const script = `
    const { readFileSync } = await import('node:fs');
    const vips = () => readFileSync('/proc/self/maps', 'utf8').includes('libvips');
    await import(${JSON.stringify(new URL('../src/app.ts', import.meta.url).href)});
    const atStart = vips();
    await import('sharp');
    process.stdout.write(JSON.stringify({ atStart, afterUpload: vips() }));`;
  const { execFileSync } = await import('node:child_process');
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url), encoding: 'utf8', timeout: 60_000 });
  assert.deepEqual(JSON.parse(out), { atStart: false, afterUpload: true });
});
