/**
 * Highlighting for search results: which words of a product name match the
 * query. The search service matches prefixes and small typos (MiniSearch
 * fuzzy), so the same rule marks "headphnes" in "Headphones".
 */
export interface Segment {
  text: string;
  hit: boolean;
}

/** Levenshtein distance, bounded: answers max+1 as soon as it is exceeded. */
function distance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const v = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
      row.push(v);
      best = Math.min(best, v);
    }
    if (best > max) return max + 1;
    prev = row;
  }
  return prev[b.length] as number;
}

/** Whether a word of the text matches a query term: a prefix, or a small typo away (1 edit, 2 for long terms). */
export function wordMatches(word: string, term: string): boolean {
  const w = word.toLowerCase();
  const t = term.toLowerCase();
  if (t.length < 2) return w === t;
  if (w.startsWith(t)) return true;
  const max = t.length >= 7 ? 2 : t.length >= 4 ? 1 : 0;
  if (max === 0) return false;
  return distance(w, t, max) <= max || distance(w.slice(0, t.length), t, max) <= max;
}

/** Split `text` into segments, marking the words that match any term of `query`. */
export function highlight(text: string, query: string): Segment[] {
  const terms = query.split(/[^\p{L}\p{N}]+/u).filter((t) => t.length > 0);
  if (terms.length === 0) return [{ text, hit: false }];
  const out: Segment[] = [];
  for (const part of text.split(/([\p{L}\p{N}]+)/u)) {
    if (part === '') continue;
    const hit = /[\p{L}\p{N}]/u.test(part) && terms.some((t) => wordMatches(part, t));
    const last = out[out.length - 1];
    if (last && last.hit === hit) last.text += part;
    else out.push({ text: part, hit });
  }
  return out;
}
