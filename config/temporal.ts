import fs from 'node:fs';
import type { TLSConfig } from '@temporalio/client';
import type { Env } from './env';

/** TemporalConnectionSettings fit both the client's Connection and the worker's NativeConnection. */
export interface TemporalConnectionSettings {
  tls?: TLSConfig | boolean;
  apiKey?: string;
}

/** temporalConnectionOptions derives TLS and API-key settings from the environment. */
export function temporalConnectionOptions(env: Env): TemporalConnectionSettings {
  const certPath = env.TEMPORAL_TLS_CLIENT_CERT_PATH;
  const keyPath = env.TEMPORAL_TLS_CLIENT_KEY_PATH;
  if (certPath && keyPath) {
    return { tls: { clientCertPair: { crt: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) } }, apiKey: env.TEMPORAL_API_KEY };
  }
  if (env.TEMPORAL_TLS || env.TEMPORAL_API_KEY) return { tls: true, apiKey: env.TEMPORAL_API_KEY };
  return {};
}
