/**
 * Generated artwork for products without an uploaded picture: an SVG that
 * depends only on the product's id and category, so the same product
 * always looks the same, on every instance and after every restart.
 */
import { createHash } from 'node:crypto';

/** A simple glyph per category, drawn in a 100x100 box centred at (50, 50). */
const GLYPHS: Record<string, string> = {
  audio: '<path d="M24 58v-8a26 26 0 0 1 52 0v8" fill="none" stroke="currentColor" stroke-width="7" stroke-linecap="round"/><rect x="18" y="54" width="16" height="24" rx="6"/><rect x="66" y="54" width="16" height="24" rx="6"/>',
  electronics: '<path d="M56 14 28 56h20l-6 30 30-44H52z"/>',
  computers: '<rect x="16" y="22" width="68" height="44" rx="5" fill="none" stroke="currentColor" stroke-width="7"/><path d="M38 82h24M50 68v14" stroke="currentColor" stroke-width="7" stroke-linecap="round"/>',
  'home-kitchen': '<path d="M20 44h60v20a16 16 0 0 1-16 16H36a16 16 0 0 1-16-16z"/><path d="M12 48h8M80 48h8M40 34c0-6 6-6 6-12M56 34c0-6 6-6 6-12" stroke="currentColor" stroke-width="5" stroke-linecap="round" fill="none"/>',
  books: '<path d="M50 28c-10-8-24-8-34-4v52c10-4 24-4 34 4zM50 28c10-8 24-8 34-4v52c-10-4-24-4-34 4z"/>',
  'sports-outdoors': '<path d="M10 80 38 34l14 20 10-14 28 40z"/><circle cx="72" cy="24" r="8"/>',
  'toys-games': '<rect x="20" y="20" width="26" height="26" rx="5"/><rect x="54" y="20" width="26" height="26" rx="5" opacity=".7"/><rect x="20" y="54" width="26" height="26" rx="5" opacity=".7"/><rect x="54" y="54" width="26" height="26" rx="5"/>',
  fashion: '<path d="M36 16 16 28l8 16 8-4v44h36V40l8 4 8-16-20-12c-2 8-8 12-14 12s-12-4-14-12z"/>',
  beauty: '<path d="M50 12C40 32 28 44 28 60a22 22 0 0 0 44 0c0-16-12-28-22-48z"/>',
  garden: '<path d="M20 80C20 44 44 20 82 18c0 38-24 62-60 62z"/><path d="M24 76 60 40" stroke="#fff" stroke-opacity=".5" stroke-width="4" stroke-linecap="round"/>',
};
const DEFAULT_GLYPH = '<circle cx="50" cy="50" r="30"/>';

/** The artwork of one product, as an SVG document (square, 600x600). */
export function productArtwork(product: { id: string; category: string }): string {
  const h = createHash('sha256').update(product.id).digest();
  const byte = (i: number) => h[i] as number;
  const hue = Math.round((byte(0) / 255) * 360);
  const hue2 = (hue + 30 + Math.round((byte(1) / 255) * 60)) % 360;
  const bg1 = `hsl(${hue} 70% 92%)`;
  const bg2 = `hsl(${hue2} 65% 84%)`;
  const ink = `hsl(${hue} 45% 32%)`;
  const accent = `hsl(${hue2} 60% 62%)`;
  const blobs = [0, 1, 2]
    .map((k) => {
      const cx = 60 + Math.round((byte(2 + k * 3) / 255) * 480);
      const cy = 60 + Math.round((byte(3 + k * 3) / 255) * 480);
      const r = 60 + Math.round((byte(4 + k * 3) / 255) * 120);
      return `<circle cx="${cx}" cy="${cy}" r="${r}" fill="${accent}" opacity="${(0.12 + k * 0.06).toFixed(2)}"/>`;
    })
    .join('');
  const rotate = Math.round((byte(12) / 255) * 24) - 12;
  const glyph = GLYPHS[product.category] ?? DEFAULT_GLYPH;
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 600 600" width="600" height="600" aria-hidden="true">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${bg1}"/><stop offset="1" stop-color="${bg2}"/></linearGradient></defs>
<rect width="600" height="600" fill="url(#g)"/>${blobs}
<g transform="translate(300 290) rotate(${rotate}) translate(-150 -150) scale(3)" fill="${ink}" color="${ink}">${glyph}</g>
</svg>`;
}
