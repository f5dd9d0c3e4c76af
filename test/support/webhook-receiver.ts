import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature, WEBHOOK_HEADERS, type SignatureCheck } from '../../activities/webhooks';

/** ReceivedWebhook is one request as the receiver saw it. */
interface ReceivedWebhook {
  path: string;
  headers: http.IncomingHttpHeaders;
  rawBody: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON
  body: any;
  /** check is the result of verifySignature on the raw body, as a receiver would run it. */
  check: SignatureCheck;
  /** status is what the receiver answered. */
  status: number;
}

export interface WebhookReceiver {
  /** url is the base URL; any path on it is accepted. */
  url: string;
  received: ReceivedWebhook[];
  close(): Promise<void>;
}

/**
 * startWebhookReceiver listens on a free local port, verifies each request's signature with
 * secret, records it, and answers with respond(path, index of the request on that path from 0);
 * when respond gives no status, 200 if the signature verifies, else 401.
 */
export async function startWebhookReceiver(
  secret: string,
  respond: (path: string, index: number) => number | undefined = () => undefined,
): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const raw = Buffer.concat(chunks);
      const path = request.url ?? '/';
      const header = request.headers[WEBHOOK_HEADERS.signature.toLowerCase()];
      const check = verifySignature(secret, raw, typeof header === 'string' ? header : undefined, Math.floor(Date.now() / 1000));
      const index = received.filter((entry) => entry.path === path).length;
      const status = respond(path, index) ?? (check.valid ? 200 : 401);
      const rawBody = raw.toString('utf8');
      let body: unknown;
      try {
        body = JSON.parse(rawBody);
      } catch {
        body = undefined;
      }
      received.push({ path, headers: request.headers, rawBody, body, check, status });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? 'ok' : `refused (${status})`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
