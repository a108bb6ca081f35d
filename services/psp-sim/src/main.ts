import { createLogger, loadConfig, main, startService, startTelemetry } from '@bazaar/kit';
import { PspSimConfig } from './config.ts';
import { buildApp } from './app.ts';

await main(async () => {
  const config = loadConfig(PspSimConfig);
  startTelemetry({ service: 'psp-sim', config });
  const logger = createLogger({ service: 'psp-sim', level: config.LOG_LEVEL });
  const app = buildApp({
    logger,
    behaviour: { latencyMs: config.PSP_LATENCY_MS, failureRate: config.PSP_FAILURE_RATE },
    bodyLimit: config.BODY_LIMIT_BYTES,
  });
  await startService({ app, config, logger });
});
