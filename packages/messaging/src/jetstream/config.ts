import { Type, type Static } from 'typebox';

/** One NATS server URL: nats:// or tls://, or a bare host:port. */
const SERVER = '(?:(?:nats|tls)://)?[^\\s,/]+(?::\\d{1,5})?';

/**
 * Config keys for the NATS JetStream event transport; spread into a service's
 * `configSchema({...})`. With NATS_URL unset the service stays on the embedded
 * HTTP feed.
 */
export const NatsConfig = {
  NATS_URL: Type.Optional(
    Type.String({
      pattern: `^${SERVER}(?:,${SERVER})*$`,
      description: 'NATS server(s) with JetStream, e.g. nats://127.0.0.1:4222 (comma-separated for a cluster). Unset: embedded HTTP feed',
    }),
  ),
  NATS_STREAM_PREFIX: Type.String({
    pattern: '^[A-Za-z0-9_-]*$',
    default: '',
    description: 'Prefix for stream names and subjects, so several Bazaars (or test runs) can share one NATS server',
  }),
  NATS_MAX_DELIVER: Type.Integer({
    minimum: 1,
    maximum: 100,
    default: 5,
    description: 'Handler attempts per event before it goes to the dead-letter stream',
  }),
};

/** The parsed NATS settings, as they appear in a service's loaded config. */
export type NatsSettings = Static<ReturnType<typeof Type.Object<typeof NatsConfig>>>;

/** A name piece safe as a stream-name part and a subject token (no dots, spaces or wildcards). */
function token(value: string): string {
  const cleaned = value.replace(/[^A-Za-z0-9_-]/g, '_');
  if (cleaned.length === 0) throw new Error(`"${value}" cannot name a NATS stream or subject`);
  return cleaned;
}

/** Event types become subject tokens; their dots stay (more tokens, still matched by `>`). */
function typeTokens(type: string): string {
  return type
    .split('.')
    .map((t) => (t.length === 0 ? '_' : token(t)))
    .join('.');
}

/** Stream, subject and durable names for one prefix; every part of Bazaar derives its names here. */
export interface NatsNames {
  prefix: string;
  /** `[<prefix>_]BAZAAR_<SOURCE>`: one stream per producing service. */
  stream(source: string): string;
  /** `[<prefix>.]bazaar.<source>.>`: what a source's stream holds. */
  streamSubjects(source: string): string;
  /** `[<prefix>.]bazaar.<source>.<type>`: where one event is published. */
  subject(source: string, type: string): string;
  /** The durable consumer of a consuming service (shared by all its instances). */
  durable(consumer: string): string;
  /** `[<prefix>_]BAZAAR_DEAD_LETTERS`. */
  deadLetterStream: string;
  /** `[<prefix>.]bazaar-dead-letters.>` — deliberately outside `bazaar.>`, so no source stream overlaps it. */
  deadLetterSubjects: string;
  deadLetterSubject(consumer: string, source: string): string;
}

/** Names for a stream prefix ('' for none). */
export function natsNames(prefix = ''): NatsNames {
  // The prefix is config (NATS_STREAM_PREFIX, already validated): refuse rather than quietly rename.
  if (!/^[A-Za-z0-9_-]*$/.test(prefix)) throw new Error(`NATS stream prefix "${prefix}" may hold only letters, digits, _ and -`);
  const streamPrefix = prefix === '' ? '' : `${prefix}_`;
  const subjectPrefix = prefix === '' ? '' : `${prefix}.`;
  return {
    prefix,
    stream: (source) => `${streamPrefix}BAZAAR_${token(source).toUpperCase()}`,
    streamSubjects: (source) => `${subjectPrefix}bazaar.${token(source)}.>`,
    subject: (source, type) => `${subjectPrefix}bazaar.${token(source)}.${typeTokens(type)}`,
    durable: (consumer) => token(consumer),
    deadLetterStream: `${streamPrefix}BAZAAR_DEAD_LETTERS`,
    deadLetterSubjects: `${subjectPrefix}bazaar-dead-letters.>`,
    deadLetterSubject: (consumer, source) => `${subjectPrefix}bazaar-dead-letters.${token(consumer)}.${token(source)}`,
  };
}
