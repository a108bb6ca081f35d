import { randomUUID } from 'node:crypto';

/** One received message, as the API shows it. */
export interface StoredMessage {
  id: string;
  /** The Message-ID header (empty when the sender set none). */
  messageId: string;
  /** The From header as written, or the envelope sender. */
  from: string;
  /** Envelope recipients: where the mail was actually delivered (includes Bcc). */
  to: string[];
  subject: string;
  text: string;
  html?: string;
  receivedAt: string;
  /** Size of the raw message in bytes. */
  size: number;
}

export type NewMessage = Omit<StoredMessage, 'id' | 'receivedAt'>;

/** Received mail, in memory, bounded: past `max` the oldest message is dropped. */
export function createMailbox(opts: { max: number }) {
  // Oldest first; the API reverses. A plain array is fine at this size.
  const messages: StoredMessage[] = [];
  return {
    add(message: NewMessage): StoredMessage {
      const stored: StoredMessage = { id: randomUUID(), ...message, receivedAt: new Date().toISOString() };
      messages.push(stored);
      if (messages.length > opts.max) messages.splice(0, messages.length - opts.max);
      return stored;
    },

    /** Newest first; `to` keeps messages with that recipient (case-insensitive). */
    list(filter: { to?: string } = {}): StoredMessage[] {
      const to = filter.to?.trim().toLowerCase();
      const newestFirst = [...messages].reverse();
      return to ? newestFirst.filter((m) => m.to.some((r) => r.toLowerCase() === to)) : newestFirst;
    },

    get(id: string): StoredMessage | undefined {
      return messages.find((m) => m.id === id);
    },

    clear(): number {
      const count = messages.length;
      messages.length = 0;
      return count;
    },

    get size(): number {
      return messages.length;
    },
  };
}

export type Mailbox = ReturnType<typeof createMailbox>;
