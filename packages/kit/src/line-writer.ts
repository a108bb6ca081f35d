import { write as fsWrite, writeSync } from 'node:fs';

/**
 * Lines for a file descriptor (stdout), batched: kept in memory until 32 KiB
 * are waiting or a second has passed, then written with one asynchronous
 * write, never more than one at a time. One syscall per few dozen lines
 * instead of one per line, and no blocking of the event loop on a slow
 * reader. (pino's SonicBoom does the same but measures its whole pending
 * buffer on every line, which showed up in the gateway's profile.)
 *
 * Every service logs through one (`stdoutLines()`): a line written to
 * `process.stdout` cost a write(2) of its own, a fifth of a product read's
 * CPU (docs/performance.md, "December 7, second session"; ADR 0092). What is
 * queued is written synchronously when the process exits, however it exits
 * (signal, crash, process.exit); only a SIGKILL or an abort loses up to a
 * second of lines.
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
    if (this.size > 0) writeAllSync(this.fd, Buffer.from(this.take()));
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

const pause = new Int32Array(new SharedArrayBuffer(4));

/**
 * Write a whole buffer to a descriptor that may be non-blocking (a full pipe answers EAGAIN): wait for the reader,
 * 1 ms at a time for at most ~2 s, rather than drop the last lines (the exit's own). Other errors drop them: logging
 * must not stop an exit.
 */
function writeAllSync(fd: number, buffer: Buffer): void {
  let offset = 0;
  for (let tries = 0; offset < buffer.length && tries < 2000; tries++) {
    try {
      offset += writeSync(fd, buffer, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

let stdout: LineWriter | undefined;

/** The process's one batched writer for stdout (created on first use), flushed when the process exits. */
export function stdoutLines(): LineWriter {
  if (!stdout) {
    const writer = new LineWriter();
    process.on('exit', () => writer.flushSync());
    stdout = writer;
  }
  return stdout;
}
