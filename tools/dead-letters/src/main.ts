import { Type, createLogger, loadConfig, main } from '@bazaar/kit';
import { NatsConfig, connectJetStream } from '@bazaar/messaging';
import { USAGE, runDeadLetters } from './cli.ts';

/** The tool reads the same NATS keys as the services; NATS_URL defaults to the local server `npm run start:infra` uses. */
const DeadLettersConfig = Type.Object({
  ...NatsConfig,
  NATS_URL: Type.String({ minLength: 1, default: 'nats://127.0.0.1:4222', description: 'NATS server(s) with JetStream, as the services use' }),
});

const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(args.length === 0 ? 2 : 0);
}

const CONNECT_TIMEOUT_MS = 5000;

await main(async () => {
  const config = loadConfig(DeadLettersConfig);
  const connection = connectJetStream({
    url: config.NATS_URL,
    prefix: config.NATS_STREAM_PREFIX,
    logger: createLogger({ service: 'dead-letters', level: 'silent' }),
    name: 'bazaar-dead-letters',
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    const handles = await Promise.race([
      connection.ready(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`cannot reach NATS JetStream at ${config.NATS_URL} within ${CONNECT_TIMEOUT_MS / 1000} s`)), CONNECT_TIMEOUT_MS);
      }),
    ]);
    process.exitCode = await runDeadLetters(args, { handles, names: connection.names, print: (line) => console.log(line) });
  } catch (error) {
    console.error(`dead-letters: ${(error as Error).message}`);
    process.exitCode = 1;
  } finally {
    clearTimeout(timer);
    await connection.close();
  }
});
