import { write as fsWrite, writeSync } from 'node:fs';

/**
 * Lines for a file descriptor (stdout), batched: kept in memory until 32 KiB
 * are waiting or a second has passed, then written with one asynchronous
 * write, never more than one at a time. One syscall per few dozen lines
 * instead of one per line, and no blocking of the event loop on a slow
 * reader. (pino's SonicBoom does the same but measures its whole pending
 * buffer on every line, which showed up in the gateway's profile.)
 */
export class LineWriter {
  private parts: string[] = [];
  private size = 0;
  private writing = false;
  private readonly fd: number;
  private readonly batchBytes: number;
  private readonly timer: NodeJS.Timeout;

  constructor(opts: { fd?: number; batchBytes?: number; flushEveryMs?: number } = {}) {
    this.fd = opts.fd ?? 1;
    this.batchBytes = opts.batchBytes ?? 32_768;
    this.timer = setInterval(() => this.flush(), opts.flushEveryMs ?? 1000);
    this.timer.unref();
  }

  /** Queue a line (or several, newline-terminated). */
  write(text: string): boolean {
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= this.batchBytes) this.flush();
    return true;
  }

  /** Start writing what is queued, unless a write is under way (its end will pick the rest up). */
  flush(): void {
    if (this.writing || this.size === 0) return;
    this.writing = true;
    this.send(Buffer.from(this.take()));
  }

  /** Write everything now, synchronously (on exit). */
  flushSync(): void {
    clearInterval(this.timer);
    if (this.size > 0) writeSync(this.fd, this.take());
  }

  private take(): string {
    const text = this.parts.join('');
    this.parts = [];
    this.size = 0;
    return text;
  }

  private send(buffer: Buffer): void {
    fsWrite(this.fd, buffer, 0, buffer.length, null, (error, written) => {
      if (!error && written < buffer.length) return this.send(buffer.subarray(written));
      // On EAGAIN (a non-blocking pipe is full) try again shortly; other errors drop the batch: logging must not take the gateway down.
      if (error && (error as NodeJS.ErrnoException).code === 'EAGAIN') return void setTimeout(() => this.send(buffer), 10);
      this.writing = false;
      if (this.size >= this.batchBytes) this.flush();
    });
  }
}
