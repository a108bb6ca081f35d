/**
 * Several instances of one service. A URL setting such as PAYMENTS_URL may
 * list them, comma-separated ("http://127.0.0.1:8086,http://127.0.0.1:8186");
 * the launcher writes that when a service is scaled, and in Kubernetes the
 * Service is one URL in front of all its pods.
 */

/** Split a URL setting into its instance base URLs (no trailing slash). */
export function instanceUrls(value: string): string[] {
  const urls = value
    .split(',')
    .map((u) => u.trim().replace(/\/+$/, ''))
    .filter((u) => u.length > 0);
  if (urls.length === 0) throw new Error(`expected one or more URLs separated by commas, got "${value}"`);
  for (const url of urls) {
    if (!/^https?:\/\/[^\s/]+/.test(url)) throw new Error(`"${url}" is not an http(s) URL`);
  }
  return urls;
}

/**
 * Round-robin over instances, skipping one that failed to connect for
 * `ejectMs` (it is tried again afterwards). When every instance is ejected,
 * the one ejected longest ago is tried: better a likely failure than none.
 */
export class InstanceRing {
  readonly size: number;
  private readonly ejectedUntil: number[];
  /** Order of ejection, to pick the one ejected longest ago when all are out. */
  private readonly ejectedOrder: number[];
  private ejections = 0;
  private cursor = 0;
  private readonly ejectMs: number;

  constructor(size: number, opts: { ejectMs?: number } = {}) {
    this.size = size;
    this.ejectedUntil = new Array<number>(size).fill(0);
    this.ejectedOrder = new Array<number>(size).fill(0);
    this.ejectMs = opts.ejectMs ?? 2000;
  }

  /** The next instance to call; `exclude` lists instances already tried for this request. */
  pick(exclude: ReadonlySet<number> = new Set()): number | undefined {
    const now = Date.now();
    let fallback: number | undefined;
    for (let step = 0; step < this.size; step++) {
      const i = (this.cursor + step) % this.size;
      if (exclude.has(i)) continue;
      if ((this.ejectedUntil[i] as number) <= now) {
        this.cursor = (i + 1) % this.size;
        return i;
      }
      if (fallback === undefined || (this.ejectedOrder[i] as number) < (this.ejectedOrder[fallback] as number)) fallback = i;
    }
    return fallback;
  }

  /** The instance could not be reached: skip it for a while. */
  eject(i: number): void {
    this.ejectedUntil[i] = Date.now() + this.ejectMs;
    this.ejectedOrder[i] = ++this.ejections;
  }

  /** The instance answered: it is in rotation again. */
  restore(i: number): void {
    this.ejectedUntil[i] = 0;
  }

  ejected(): number[] {
    const now = Date.now();
    return this.ejectedUntil.flatMap((until, i) => (until > now ? [i] : []));
  }
}
