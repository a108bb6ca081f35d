import { HttpPool, type Logger } from '@bazaar/kit';

const LIST_PATH = '/.well-known/bazaar-revoked-sessions.json';

/**
 * The sessions identity has revoked (logout, refresh-token reuse) within the
 * access-token lifetime, polled from identity's
 * /.well-known/bazaar-revoked-sessions.json. Checking a token is one Set
 * lookup of its `fid` claim; a poll that fails keeps the last list (and is
 * logged), so an identity outage does not un-revoke anything that was known.
 * See docs/adr/0085-sessions-and-revocation.md.
 */
export class RevocationList {
  private families = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly urls: string[];
  private readonly pools: HttpPool[];
  private readonly logger: Logger;
  private next = 0;
  private failing = false;

  constructor(opts: { identityUrl: string; logger: Logger }) {
    this.urls = opts.identityUrl.split(',').map((u) => u.trim().replace(/\/+$/, '')).filter(Boolean);
    this.pools = this.urls.map((url) => new HttpPool(url, { connections: 1 }));
    this.logger = opts.logger;
  }

  /** Whether the session `fid` has been revoked. */
  has(fid: string | undefined): boolean {
    return fid !== undefined && this.families.size > 0 && this.families.has(fid);
  }

  /** Replace the list (tests, and each poll). */
  set(families: Iterable<string>): void {
    this.families = new Set(families);
  }

  /** Fetch the list once, from the next identity instance. */
  async poll(): Promise<void> {
    const i = this.next++ % Math.max(1, this.urls.length);
    const [url, pool] = [this.urls[i], this.pools[i]];
    if (url === undefined || pool === undefined) return;
    try {
      const res = await pool.request({ method: 'GET', path: LIST_PATH, signal: AbortSignal.timeout(1000) });
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      const body = JSON.parse(res.text) as { families?: unknown };
      if (!Array.isArray(body.families)) throw new Error('no "families" list');
      this.set(body.families.filter((f): f is string => typeof f === 'string'));
      if (this.failing) this.logger.info('revoked-sessions list reachable again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn({ err: error, url }, 'cannot fetch the revoked-sessions list from identity: keeping the last one');
      this.failing = true;
    }
  }

  /** Poll every `intervalMs` until stop(). */
  start(intervalMs: number): void {
    void this.poll();
    this.timer = setInterval(() => void this.poll(), intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    for (const pool of this.pools) void pool.close();
  }
}
