import { JetStreamApiError, JetStreamApiCodes, type JsMsg, type StoredMsg } from '@nats-io/jetstream';
import { headers } from '@nats-io/transport-node';
import type { NatsNames } from './config.ts';
import type { NatsHandles } from './connection.ts';
import { Headers, deadLetterStreamConfig, ensureStream } from './streams.ts';

/** Headers a dead letter carries about where it came from and why it died. */
const Dead = {
  consumer: 'Bazaar-Dead-Consumer',
  source: 'Bazaar-Dead-Source',
  eventId: 'Bazaar-Dead-Event-Id',
  type: 'Bazaar-Dead-Type',
  subject: 'Bazaar-Dead-Subject',
  stream: 'Bazaar-Dead-Stream',
  streamSeq: 'Bazaar-Dead-Stream-Seq',
  deliveries: 'Bazaar-Dead-Deliveries',
  error: 'Bazaar-Dead-Error',
  at: 'Bazaar-Dead-At',
} as const;

/** One event that a consumer gave up on. */
export interface DeadLetter {
  /** Its position in the dead-letter stream: the id `dead-letters replay <id>` takes. */
  seq: number;
  eventId: string;
  type: string;
  source: string;
  consumer: string;
  /** The subject it was published on; a replay publishes it there again. */
  subject: string;
  /** Where it was in its source's stream. */
  stream: string;
  streamSeq: number;
  /** Handler attempts made. */
  deliveries: number;
  /** The last handler error. */
  error: string;
  /** When it was dead-lettered (ISO-8601). */
  at: string;
  /** The message body as published: the CloudEvent JSON (or whatever could not be parsed as one). */
  body: string;
}

/** What the consumer knows when it gives up on a message. */
export interface DeadLetterCause {
  consumer: string;
  source: string;
  eventId: string;
  type: string;
  deliveries: number;
  error: string;
}

/** A header value: one line, bounded. */
const oneLine = (value: string, max = 1000) => value.replace(/[\r\n]+/g, ' ').slice(0, max);

/**
 * Copy a message into the dead-letter stream and wait until it is stored.
 * The Nats-Msg-Id names the consumer and the message's place in its stream,
 * so a consumer that crashed after this and dead-letters it again stores it
 * once; a replayed copy (a new place) that dies again is a new dead letter.
 */
export async function writeDeadLetter(handles: NatsHandles, names: NatsNames, msg: JsMsg, cause: DeadLetterCause): Promise<void> {
  await ensureStream(handles.jsm, deadLetterStreamConfig(names), { owner: false });
  const h = headers();
  for (const name of [Headers.contentType, Headers.traceparent]) {
    const value = msg.headers?.get(name);
    if (value) h.set(name, value);
  }
  h.set(Dead.consumer, cause.consumer);
  h.set(Dead.source, cause.source);
  h.set(Dead.eventId, oneLine(cause.eventId, 200));
  h.set(Dead.type, oneLine(cause.type, 200));
  h.set(Dead.subject, msg.subject);
  h.set(Dead.stream, msg.info.stream);
  h.set(Dead.streamSeq, String(msg.info.streamSequence));
  h.set(Dead.deliveries, String(cause.deliveries));
  h.set(Dead.error, oneLine(cause.error) || '(no message)');
  h.set(Dead.at, new Date().toISOString());
  await handles.js.publish(names.deadLetterSubject(cause.consumer, cause.source), msg.data, {
    msgID: `${msg.info.stream}.${msg.info.streamSequence}.${cause.consumer}`,
    headers: h,
    timeout: 5000,
  });
}

function toDeadLetter(m: StoredMsg): DeadLetter {
  const get = (name: string) => m.header?.get(name) ?? '';
  return {
    seq: m.seq,
    eventId: get(Dead.eventId),
    type: get(Dead.type),
    source: get(Dead.source),
    consumer: get(Dead.consumer),
    subject: get(Dead.subject),
    stream: get(Dead.stream),
    streamSeq: Number(get(Dead.streamSeq)) || 0,
    deliveries: Number(get(Dead.deliveries)) || 0,
    error: get(Dead.error),
    at: get(Dead.at) || m.timestamp,
    body: m.string(),
  };
}

const notFound = (error: unknown) =>
  error instanceof JetStreamApiError && (error.code === JetStreamApiCodes.StreamNotFound || error.code === JetStreamApiCodes.NoMessageFound);

/**
 * The dead letters still waiting, oldest first (at most `limit`). Reads the
 * stream message by message: a dead-letter stream is small, and this needs
 * no consumer on it.
 */
export async function listDeadLetters(handles: NatsHandles, names: NatsNames, opts: { limit?: number } = {}): Promise<DeadLetter[]> {
  const limit = opts.limit ?? 1000;
  let state;
  try {
    state = (await handles.jsm.streams.info(names.deadLetterStream)).state;
  } catch (error) {
    if (notFound(error)) return [];
    throw error;
  }
  const found: DeadLetter[] = [];
  for (let seq = state.first_seq; seq <= state.last_seq && found.length < limit && state.messages > 0; seq++) {
    const m = await handles.jsm.streams.getMessage(names.deadLetterStream, { seq }).catch((error: unknown) => {
      if (notFound(error)) return null;
      throw error;
    });
    if (m) found.push(toDeadLetter(m));
  }
  return found;
}

/**
 * Publish a dead letter back to its source's stream for its consumer only
 * (Bazaar-Replay-For: other consumers of the source acknowledge it unseen),
 * then remove it from the dead-letter stream. The replay has its own
 * Nats-Msg-Id (the original one may still be in the duplicate window); a
 * crash between the two steps leaves the dead letter listed, and replaying
 * it again is harmless: the consumer's inbox drops an event it has handled.
 */
export async function replayDeadLetter(handles: NatsHandles, names: NatsNames, letter: DeadLetter): Promise<void> {
  const stored = await handles.jsm.streams.getMessage(names.deadLetterStream, { seq: letter.seq });
  if (!stored) throw new Error(`dead letter ${letter.seq} is gone (already replayed?)`);
  const h = headers();
  for (const name of [Headers.contentType, Headers.traceparent]) {
    const value = stored.header?.get(name);
    if (value) h.set(name, value);
  }
  h.set(Headers.replayFor, letter.consumer);
  await handles.js.publish(letter.subject, stored.data, { msgID: `${letter.eventId}.replay.${letter.seq}`, headers: h, timeout: 5000 });
  await handles.jsm.streams.deleteMessage(names.deadLetterStream, letter.seq, false);
}

/**
 * Replay dead letters chosen by id: a number is a dead letter's seq, anything
 * else an event id (every consumer's dead letter of that event). Throws,
 * naming them, when some ids match nothing.
 */
export async function replayDeadLetters(handles: NatsHandles, names: NatsNames, select: { ids: string[] } | { all: true }): Promise<DeadLetter[]> {
  const letters = await listDeadLetters(handles, names, { limit: Number.MAX_SAFE_INTEGER });
  let chosen = letters;
  if ('ids' in select) {
    const matches = (l: DeadLetter, id: string) => (/^\d+$/.test(id) ? l.seq === Number(id) : l.eventId === id);
    const missing = select.ids.filter((id) => !letters.some((l) => matches(l, id)));
    if (missing.length > 0) throw new Error(`no dead letter with id ${missing.join(', ')} (see "dead-letters list")`);
    chosen = letters.filter((l) => select.ids.some((id) => matches(l, id)));
  }
  for (const letter of chosen) await replayDeadLetter(handles, names, letter);
  return chosen;
}
