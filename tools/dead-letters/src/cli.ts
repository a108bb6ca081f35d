import { listDeadLetters, replayDeadLetters, type DeadLetter, type NatsHandles, type NatsNames } from '@bazaar/messaging';

export const USAGE = `Usage: npm run dead-letters -- <command>

  list [--json]        the dead letters, oldest first
  replay <id>...       replay dead letters by id (the SEQ column) or event id, to the consumer that gave up on them
  replay --all         replay every dead letter

Environment: NATS_URL (default nats://127.0.0.1:4222), NATS_STREAM_PREFIX (as the services use).`;

export interface CliDeps {
  handles: NatsHandles;
  names: NatsNames;
  print(line: string): void;
}

const column = (value: string, width: number) => (value.length > width ? `${value.slice(0, width - 1)}…` : value.padEnd(width));

function table(letters: DeadLetter[]): string[] {
  const head = `${column('SEQ', 6)} ${column('DEAD AT', 24)} ${column('CONSUMER', 14)} ${column('SOURCE', 10)} ${column('TYPE', 26)} ${column('EVENT ID', 36)} ${column('TRIES', 5)} ERROR`;
  const rows = letters.map(
    (l) =>
      `${column(String(l.seq), 6)} ${column(l.at, 24)} ${column(l.consumer, 14)} ${column(l.source, 10)} ${column(l.type, 26)} ${column(l.eventId, 36)} ${column(String(l.deliveries), 5)} ${l.error}`,
  );
  return [head, ...rows];
}

/** Run one command; returns the process exit code (2: bad usage). */
export async function runDeadLetters(args: string[], deps: CliDeps): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case 'list': {
      if (rest.some((a) => a !== '--json')) break;
      const letters = await listDeadLetters(deps.handles, deps.names);
      if (rest.includes('--json')) {
        deps.print(JSON.stringify(letters, null, 2));
      } else {
        for (const line of table(letters)) deps.print(line);
        deps.print(`${letters.length} dead letter${letters.length === 1 ? '' : 's'} in ${deps.names.deadLetterStream}`);
      }
      return 0;
    }
    case 'replay': {
      if (rest.length === 0 || (rest.includes('--all') && rest.length > 1)) break;
      const replayed = await replayDeadLetters(deps.handles, deps.names, rest[0] === '--all' ? { all: true } : { ids: rest });
      for (const l of replayed) deps.print(`replayed ${l.seq}: ${l.type} ${l.eventId} to ${l.consumer} (on ${l.subject})`);
      deps.print(`${replayed.length} replayed`);
      return 0;
    }
    default:
      break;
  }
  deps.print(USAGE);
  return 2;
}
