import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK, resources, tracing } from '@opentelemetry/sdk-node';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';

/**
 * OpenTelemetry traces, off unless OTEL_EXPORTER_OTLP_ENDPOINT is set. Then a sign-off is one
 * trace: the HTTP request (http instrumentation; express 5 has none), the Temporal Update the API sends
 * (client interceptor), the workflow's handling of it (workflow interceptors, exported through a
 * sink), the activities it runs (activity interceptor) and their PostgreSQL queries (pg
 * instrumentation). Spans go over OTLP/HTTP to `<endpoint>/v1/traces`; the OTEL_* variables of
 * the OpenTelemetry SDK (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_HEADERS, …) apply as usual.
 */

/** SERVICE_NAME names rollgate's spans unless OTEL_SERVICE_NAME says otherwise. */
export const SERVICE_NAME = 'rollgate';

let started: { sdk: NodeSDK; plugin: OpenTelemetryPlugin } | undefined;

/**
 * startTracing turns tracing on when endpoint is set; once per process, and before http and pg
 * are first loaded (telemetry/tracing-register.ts, imported first by the entry
 * points), or their calls go untraced.
 */
export function startTracing(endpoint: string | undefined, serviceName = SERVICE_NAME): boolean {
  if (endpoint === undefined || started !== undefined) return started !== undefined;
  const exporter = new OTLPTraceExporter({ url: `${endpoint.replace(/\/+$/, '')}/v1/traces` });
  const resource = new resources.Resource({ 'service.name': serviceName });
  const sdk = new NodeSDK({
    resource,
    spanProcessors: [new tracing.BatchSpanProcessor(exporter)],
    instrumentations: [new HttpInstrumentation(), new PgInstrumentation()],
  });
  sdk.start();
  // Workflow spans are made in the sandbox and exported by the worker through this processor.
  const plugin = new OpenTelemetryPlugin({ resource, spanProcessor: new tracing.BatchSpanProcessor(exporter) });
  started = { sdk, plugin };
  return true;
}

/** tracingPlugins are the Temporal plugins for a Client or a Worker: the OpenTelemetry one when tracing is on. */
export function tracingPlugins(): OpenTelemetryPlugin[] {
  return started ? [started.plugin] : [];
}

/** stopTracing flushes and ends the tracing started here, if any. */
export async function stopTracing(): Promise<void> {
  const current = started;
  started = undefined;
  await current?.sdk.shutdown();
}
