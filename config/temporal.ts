import fs from 'node:fs';
import type { ConnectionOptions } from '@temporalio/client';
import type { Env } from './env';

/** temporalConnectionOptions builds client/worker connection options from the environment. */
export function temporalConnectionOptions(env: Env, address: string): ConnectionOptions {
  const mtls = env.TEMPORAL_TLS_CLIENT_CERT_PATH && env.TEMPORAL_TLS_CLIENT_KEY_PATH;
  const tls = mtls
    ? {
        clientCertPair: {
          crt: fs.readFileSync(env.TEMPORAL_TLS_CLIENT_CERT_PATH!),
          key: fs.readFileSync(env.TEMPORAL_TLS_CLIENT_KEY_PATH!),
        },
      }
    : env.TEMPORAL_TLS || env.TEMPORAL_API_KEY
      ? true
      : undefined;
  return { address, tls, apiKey: env.TEMPORAL_API_KEY };
}
