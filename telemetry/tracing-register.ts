import { loadEnv } from '../config/env';
import { startTracing } from './tracing';

/*
 * Imported first by the entry points (api/server.ts, workers/main.ts, cli/start.ts), so that
 * tracing, when OTEL_EXPORTER_OTLP_ENDPOINT is set, is on before http and pg load.
 * An invalid environment is left for the entry point to report.
 */
try {
  startTracing(loadEnv().OTEL_EXPORTER_OTLP_ENDPOINT);
} catch {
  // The entry point's own loadEnv names the problem.
}
